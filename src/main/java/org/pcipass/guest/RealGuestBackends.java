package org.pcipass.guest;

import java.util.List;
import java.util.Objects;
import org.pcipass.host.CommandRunner;

/**
 * The backends of a real run: libvirt through libvirt-java (loaded only here, when asked for), xl
 * through the command runner.
 */
public final class RealGuestBackends implements GuestBackends {
    private final CommandRunner runner;

    public RealGuestBackends(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /**
     * @throws org.pcipass.PcipassException.BadInput for a bad libvirt URI, before anything is loaded
     * @throws IllegalArgumentException for a backend name other than {@code libvirt} and {@code xl}
     *     (callers check {@code --via} first)
     */
    @Override
    public GuestBackend open(String backend, String uri) {
        return switch (backend) {
            // the URI is checked here too, so that a bad one never even loads LibvirtBackend's class
            case LIBVIRT -> LibvirtBackend.open(LibvirtUri.check(uri));
            case XL -> new XlBackend(runner);
            default -> throw new IllegalArgumentException("backend '" + backend + "' is not libvirt or xl");
        };
    }

    /** {@code xl} is on PATH and {@code xl info} succeeds (it fails outside a Xen dom0, or without xenstored). */
    @Override
    public boolean xlAnswers() {
        return runner.available("xl") && runner.run(List.of("xl", "info")).exitCode() == 0;
    }
}
