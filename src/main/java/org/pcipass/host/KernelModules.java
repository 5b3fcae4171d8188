package org.pcipass.host;

import java.util.Locale;
import org.pcipass.sysfs.Sysfs;

/**
 * The kernel's modules as seen under the config root: which release, whether a module is loaded,
 * built in, or present as a {@code .ko} file under {@code /lib/modules/RELEASE}.
 */
public final class KernelModules {
    public enum State { LOADED, BUILT_IN, AVAILABLE, MISSING }

    private final Sysfs sys;
    private final Sysfs root;
    private final String release;
    private String dep;
    private String builtin;

    public KernelModules(Sysfs sys, Sysfs root) {
        this.sys = sys;
        this.root = root;
        this.release = findRelease(root);
    }

    /** The kernel release: {@code /proc/sys/kernel/osrelease}, else the only {@code /lib/modules} entry. */
    private static String findRelease(Sysfs root) {
        String r = root.read("proc/sys/kernel/osrelease");
        if (r != null && !r.isBlank()) {
            return r.strip();
        }
        String[] dirs = root.list("lib/modules");
        return dirs.length == 1 ? dirs[0] : null;
    }

    public String release() {
        return release;
    }

    /**
     * The state of a module, by any of its names ({@code xen-pciback}, {@code pciback}). A driver
     * registered under {@code bus/pci/drivers/DRIVER} counts as loaded.
     */
    public State state(String driver, String... moduleNames) {
        if (driver != null && sys.isDirectory("bus/pci/drivers/" + driver)) {
            return State.LOADED;
        }
        for (String m : moduleNames) {
            if (sys.exists("module/" + m.replace('-', '_') + "/initstate")) {
                return State.LOADED;
            }
        }
        for (String m : moduleNames) {
            if (listed(builtin(), m)) {
                return State.BUILT_IN;
            }
        }
        for (String m : moduleNames) {
            if (listed(dep(), m)) {
                return State.AVAILABLE;
            }
        }
        return State.MISSING;
    }

    /** The first of the names that exists as a module file, or null. */
    public String availableName(String... moduleNames) {
        for (String m : moduleNames) {
            if (listed(dep(), m)) {
                return m;
            }
        }
        return null;
    }

    private String dep() {
        if (dep == null) {
            dep = release == null ? "" : orEmpty(root.readAll("lib/modules/" + release + "/modules.dep"));
        }
        return dep;
    }

    private String builtin() {
        if (builtin == null) {
            builtin = release == null ? "" : orEmpty(root.readAll("lib/modules/" + release + "/modules.builtin"));
        }
        return builtin;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** Whether a modules.dep / modules.builtin text names {@code …/NAME.ko} (any compression). */
    private static boolean listed(String text, String module) {
        String lower = text.toLowerCase(Locale.ROOT);
        for (String name : new String[] {module, module.replace('-', '_'), module.replace('_', '-')}) {
            String needle = "/" + name.toLowerCase(Locale.ROOT) + ".ko";
            int i = lower.indexOf(needle);
            while (i >= 0) {
                int end = i + needle.length();
                if (end == lower.length() || ":.\n ".indexOf(lower.charAt(end)) >= 0) {
                    return true;
                }
                i = lower.indexOf(needle, end);
            }
        }
        return false;
    }
}
