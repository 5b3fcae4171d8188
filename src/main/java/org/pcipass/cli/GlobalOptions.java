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
        Path sysfs = dir(pick(given, env, "--sysfs", "PCIPASS_SYSFS", "/sys"));
        Path root = dir(pick(given, env, "--config-root", "PCIPASS_CONFIG_ROOT", "/"));
        Path state = stateDir(given, env).path();
        String[] ids = pick(given, env, "--pci-ids", "PCIPASS_PCI_IDS", null);
        return new HostPaths(sysfs, root, state, ids[1] == null ? null : path(ids));
    }

    /** A path and the name of the option or variable it came from, for messages. */
    record Named(String name, Path path) {}

    /** The state dir, unchecked but for being a path, and where it came from. */
    static Named stateDir(Map<String, String> given, Map<String, String> env) {
        String[] named = pick(given, env, "--state-dir", "PCIPASS_STATE_DIR", "/var/lib/pcipass");
        return new Named(named[0], path(named));
    }

    /**
     * {name the value came from, value}: the option, else the environment variable (an empty one
     * counts as unset, as in the shell's {@code ${VAR:-default}}), else the default.
     */
    private static String[] pick(Map<String, String> given, Map<String, String> env, String option, String var,
            String fallback) {
        if (given.get(option) != null) {
            return new String[] {option, given.get(option)};
        }
        String v = env.get(var);
        if (v != null && !v.isEmpty()) {
            return new String[] {var, v};
        }
        return new String[] {option, fallback};
    }

    private static Path path(String[] named) {
        return path(named[0], named[1]);
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

    private static Path dir(String[] named) {
        String option = named[0];
        String value = named[1];
        Path p = path(option, value);
        if (!Files.isDirectory(p)) {
            throw new PcipassException.BadInput(option + " " + value + " is not a directory; give an existing directory");
        }
        return p;
    }
}
