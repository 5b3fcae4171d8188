package org.pcipass.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.pci.PciAddress;

/** PLACEHOLDER until the SQLite store lands: STATE/owners, what list reads. */
public final class Owners {
    public static final String FILE = "owners";

    public record Owner(String guest, boolean external) {}

    private Owners() {}

    public static Map<PciAddress, Owner> read(Path stateDir) {
        Map<PciAddress, Owner> out = new TreeMap<>();
        try {
            for (String l : Files.readAllLines(stateDir.resolve(FILE))) {
                String[] f = l.strip().split(" ");
                if (f.length == 3 && !l.startsWith("#")) {
                    try {
                        out.put(PciAddress.parse(f[0]), new Owner(f[1], f[2].equals("external")));
                    } catch (IllegalArgumentException e) {
                        // a garbled line is skipped
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static void write(Path stateDir, Map<PciAddress, Owner> owners) {
        Map<PciAddress, Owner> all = new TreeMap<>(read(stateDir));
        all.values().removeIf(o -> !o.external());
        all.putAll(owners);
        StringBuilder b = new StringBuilder("# who owns which device (pcipass's assignments and other tools'), for pcipass list\n");
        all.forEach((a, o) -> b.append(a).append(' ').append(o.guest()).append(o.external() ? " external\n" : " pcipass\n"));
        StateFiles.writeAtomically(stateDir.resolve(FILE), b.toString());
    }

    public static void writeExternal(Path stateDir, Map<PciAddress, String> external) {
        Map<PciAddress, Owner> all = new TreeMap<>(read(stateDir));
        all.values().removeIf(Owner::external);
        external.forEach((a, g) -> all.putIfAbsent(a, new Owner(g, true)));
        StringBuilder b = new StringBuilder("# who owns which device (pcipass's assignments and other tools'), for pcipass list\n");
        all.forEach((a, o) -> b.append(a).append(' ').append(o.guest()).append(o.external() ? " external\n" : " pcipass\n"));
        StateFiles.writeAtomically(stateDir.resolve(FILE), b.toString());
    }
}
