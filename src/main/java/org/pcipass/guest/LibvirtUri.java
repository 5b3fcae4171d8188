package org.pcipass.guest;

import org.pcipass.PcipassException;

/**
 * The check a libvirt connection URI ({@code --connect}) passes before libvirt-java, JNA or libvirt's
 * C library is loaded. It references none of them, so a bad URI costs nothing but this class.
 *
 * <p>Anything else goes to libvirt as it is: libvirt parses URIs (and names the problem); pcipass
 * only hands it over as an argument, never inside XML, a config line or a command.
 */
public final class LibvirtUri {
    /** Longer than any real URI (a host name is at most 253 characters), short enough to quote in one line. */
    public static final int MAX = 1024;

    private static final String RULE = "a libvirt connection URI is one line of at most " + MAX
            + " characters, e.g. --connect qemu:///system or --connect xen:///system";

    private LibvirtUri() {}

    /** {@code uri}, checked; an empty, over-long or multi-line one is bad input (exit 2) naming it and the rule. */
    public static String check(String uri) {
        if (uri == null || uri.isEmpty()) {
            throw new PcipassException.BadInput("the libvirt connection URI is empty; " + RULE);
        }
        if (uri.length() > MAX) {
            throw new PcipassException.BadInput("libvirt connection URI '" + GuestName.printable(uri) + "' is "
                    + uri.length() + " characters long; " + RULE);
        }
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (Character.isISOControl(c)) {
                throw new PcipassException.BadInput("libvirt connection URI '" + GuestName.printable(uri)
                        + "' holds " + String.format("the control character U+%04X", (int) c) + "; " + RULE);
            }
        }
        return uri;
    }
}
