package org.pcipass.guest;

/**
 * Opens backends: the real ones in {@code pcipass}, fakes in tests (one seam, as the command runner
 * is for host commands).
 */
public interface GuestBackends {
    String LIBVIRT = "libvirt";
    String XL = "xl";

    /**
     * A backend: {@code libvirt} on {@code uri}, or {@code xl} (uri ignored).
     *
     * @throws GuestException when it cannot be reached (libvirtd down, no libvirt library, xl missing)
     */
    GuestBackend open(String backend, String uri);

    /** The real backends: libvirt through libvirt-java, xl through {@code runner}. Opened lazily. */
    static GuestBackends real(org.pcipass.host.CommandRunner runner) {
        return new RealGuestBackends(runner);
    }

    /** Whether {@code xl} answers here (a Xen dom0 with its toolstack): the default backend there. */
    boolean xlAnswers();
}
