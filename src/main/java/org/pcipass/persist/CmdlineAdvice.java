package org.pcipass.persist;

import java.util.Objects;

/**
 * A kernel command-line parameter the user must add (or change) because modprobe lines cannot do the job.
 *
 * @param parameter e.g. {@code xen-pciback.hide=(0000:09:00.0)} or {@code vfio-pci.ids=10de:1b80}
 * @param why one sentence, e.g. {@code xen-pciback is built into the kernel, so it ignores modprobe options}
 * @param replaces the same parameter as the command line has it now ({@code vfio-pci.ids=1b36:0005}),
 *     which {@code parameter} merges; null when the command line does not set it
 */
public record CmdlineAdvice(String parameter, String why, String replaces) {
    public CmdlineAdvice {
        Objects.requireNonNull(parameter, "parameter");
        Objects.requireNonNull(why, "why");
    }

    /** Advice to add a parameter the command line does not have. */
    public CmdlineAdvice(String parameter, String why) {
        this(parameter, why, null);
    }

    /** The parameter's name: {@code xen-pciback.hide}. */
    public String name() {
        int eq = parameter.indexOf('=');
        return eq < 0 ? parameter : parameter.substring(0, eq);
    }

    /**
     * {@code add PARAMETER to the kernel command line: WHY}, or {@code replace OLD with PARAMETER on
     * the kernel command line: WHY}.
     */
    public String message() {
        return (replaces == null ? "add " + parameter + " to" : "replace " + replaces + " with " + parameter + " on")
                + " the kernel command line: " + why;
    }

    /** What to say when no persisted device needs the advice any more: undo it, if it was followed. */
    public String withdrawal() {
        String undo = replaces == null ? "remove " + parameter + " from the kernel command line if you added it"
                : "change " + parameter + " back to " + replaces + " on the kernel command line if you changed it";
        return undo + ": no device persisted by pcipass needs " + name() + " any more";
    }
}
