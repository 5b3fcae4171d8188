package org.pcipass.persist;

import java.util.Objects;

/**
 * A kernel command-line parameter the user must add because modprobe lines cannot do the job.
 *
 * @param parameter e.g. {@code xen-pciback.hide=(0000:09:00.0)} or {@code vfio-pci.ids=10de:1b80}
 * @param why one sentence, e.g. {@code xen-pciback is built into the kernel, so it ignores modprobe options}
 */
public record CmdlineAdvice(String parameter, String why) {
    public CmdlineAdvice {
        Objects.requireNonNull(parameter, "parameter");
        Objects.requireNonNull(why, "why");
    }

    /** The parameter's name: {@code xen-pciback.hide}. */
    public String name() {
        int eq = parameter.indexOf('=');
        return eq < 0 ? parameter : parameter.substring(0, eq);
    }

    /** {@code add PARAMETER to the kernel command line: WHY}. */
    public String message() {
        return "add " + parameter + " to the kernel command line: " + why;
    }
}
