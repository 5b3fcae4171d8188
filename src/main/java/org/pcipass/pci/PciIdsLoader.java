package org.pcipass.pci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.pcipass.PcipassException;

/**
 * Finds the pci.ids to use: the file named with {@code --pci-ids} (garbled or missing is an error),
 * else {@code /usr/share/misc/pci.ids}, then {@code /usr/share/hwdata/pci.ids} (a garbled default
 * is skipped with a warning), then the copy bundled in the jar.
 */
public final class PciIdsLoader {
    public static final List<Path> DEFAULTS =
            List.of(Path.of("/usr/share/misc/pci.ids"), Path.of("/usr/share/hwdata/pci.ids"));

    private PciIdsLoader() {}

    public static PciIds load(Path named, Consumer<String> warn) {
        return load(named, DEFAULTS, warn);
    }

    /** As {@link #load(Path, Consumer)}, with the default places given (tests). */
    static PciIds load(Path named, List<Path> defaults, Consumer<String> warn) {
        if (named != null) {
            return loadNamed(named);
        }
        for (Path p : defaults) {
            if (!Files.isRegularFile(p)) {
                continue;
            }
            try {
                return PciIds.load(p);
            } catch (PciIds.Garbled e) {
                warn.accept(e.getMessage() + "; skipped it");
            } catch (IOException e) {
                warn.accept("cannot read pci.ids " + p + " (" + e.getMessage() + "); skipped it");
            }
        }
        try {
            PciIds bundled = PciIds.bundled();
            if (bundled != null) {
                return bundled;
            }
        } catch (IOException | PciIds.Garbled e) {
            warn.accept("the bundled pci.ids cannot be read (" + e.getMessage() + ")");
        }
        warn.accept("no pci.ids found: names are left out; install pci.ids or pass --pci-ids FILE");
        return PciIds.empty();
    }

    private static PciIds loadNamed(Path named) {
        if (Files.isDirectory(named)) {
            throw new PcipassException.BadInput("--pci-ids " + named + " is a directory; name a pci.ids file");
        }
        if (!Files.isRegularFile(named)) {
            throw new PcipassException.BadInput("--pci-ids " + named + " does not exist; name a pci.ids file");
        }
        try {
            return PciIds.load(named);
        } catch (PciIds.Garbled e) {
            throw new PcipassException.BadInput("--pci-ids: " + e.getMessage()
                    + "; name a complete pci.ids file (e.g. /usr/share/misc/pci.ids)");
        } catch (IOException e) {
            throw new PcipassException.BadInput("--pci-ids " + named + " cannot be read: " + e.getMessage());
        }
    }
}
