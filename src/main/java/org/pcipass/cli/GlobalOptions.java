package org.pcipass.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.host.HostPaths;
import picocli.CommandLine.Option;

/**
 * The options every command takes, before or after the command name. A value given after the
 * command wins over one given before it, which wins over the environment, then the default.
 */
public final class GlobalOptions {
    @Option(names = "--sysfs", paramLabel = "DIR", description = "sysfs tree to read (default /sys; env PCIPASS_SYSFS)")
    String sysfs;

    @Option(names = "--config-root", paramLabel = "DIR",
            description = "root for /etc, /proc, /dev, /lib/modules, /boot, /run (default /; env PCIPASS_CONFIG_ROOT)")
    String configRoot;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "pcipass's own state (default /var/lib/pcipass; env PCIPASS_STATE_DIR)")
    String stateDir;

    @Option(names = "--pci-ids", paramLabel = "FILE",
            description = "pci.ids to name devices with (default /usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids,"
                    + " then a bundled copy; env PCIPASS_PCI_IDS)")
    String pciIds;

    static HostPaths resolve(GlobalOptions before, GlobalOptions after, Map<String, String> env) {
        Path sysfs = dir("--sysfs", pick(after.sysfs, before.sysfs, env.get("PCIPASS_SYSFS"), "/sys"));
        Path root = dir("--config-root", pick(after.configRoot, before.configRoot, env.get("PCIPASS_CONFIG_ROOT"), "/"));
        Path state = path("--state-dir",
                pick(after.stateDir, before.stateDir, env.get("PCIPASS_STATE_DIR"), "/var/lib/pcipass"));
        String ids = pick(after.pciIds, before.pciIds, env.get("PCIPASS_PCI_IDS"), null);
        return new HostPaths(sysfs, root, state, ids == null ? null : path("--pci-ids", ids));
    }

    private static String pick(String... values) {
        for (String v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static Path path(String option, String value) {
        if (value.isBlank() || value.indexOf('\0') >= 0) {
            throw new PcipassException.BadInput(option + " '" + value + "' is not a path; give a directory or file");
        }
        try {
            return Path.of(value);
        } catch (RuntimeException e) {
            throw new PcipassException.BadInput(option + " '" + value + "' is not a path: " + e.getMessage());
        }
    }

    private static Path dir(String option, String value) {
        Path p = path(option, value);
        if (!Files.isDirectory(p)) {
            throw new PcipassException.BadInput(option + " " + value + " is not a directory; give an existing directory");
        }
        return p;
    }
}
