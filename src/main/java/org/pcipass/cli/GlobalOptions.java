package org.pcipass.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.host.HostPaths;

/**
 * Resolves the global options: the command line (the last one given wins, before or after the
 * command name), then the environment ({@code PCIPASS_SYSFS} …), then the default.
 */
final class GlobalOptions {
    private GlobalOptions() {}

    static HostPaths resolve(Map<String, String> given, Map<String, String> env) {
        Path sysfs = dir("--sysfs", pick(given.get("--sysfs"), env.get("PCIPASS_SYSFS"), "/sys"));
        Path root = dir("--config-root", pick(given.get("--config-root"), env.get("PCIPASS_CONFIG_ROOT"), "/"));
        Path state = path("--state-dir", pick(given.get("--state-dir"), env.get("PCIPASS_STATE_DIR"), "/var/lib/pcipass"));
        String ids = pick(given.get("--pci-ids"), env.get("PCIPASS_PCI_IDS"), null);
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
