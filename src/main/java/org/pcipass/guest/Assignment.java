package org.pcipass.guest;

import java.time.Instant;
import java.util.Objects;
import org.pcipass.pci.PciAddress;

/**
 * A device pcipass gave to a guest: one guest per device.
 *
 * @param backend {@code libvirt} or {@code xl}: later commands on this assignment use it
 * @param connect the libvirt URI it was made on; null for xl
 * @param state {@link #ATTACHED} or {@link #DETACH_PENDING} (the guest has not let go yet)
 */
public record Assignment(PciAddress device, String guest, String backend, String connect, Mode mode, String state,
        Instant since) {
    public static final String ATTACHED = "attached";
    public static final String DETACH_PENDING = "detach-pending";
    /** Shown, never stored: the hypervisor no longer agrees with the record. */
    public static final String STALE = "stale";

    public Assignment {
        Objects.requireNonNull(device, "device");
        GuestName.check(guest);
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        if (!state.equals(ATTACHED) && !state.equals(DETACH_PENDING)) {
            throw new IllegalArgumentException("state: '" + state + "' is not attached or detach-pending");
        }
    }

    public Assignment withState(String s) {
        return new Assignment(device, guest, backend, connect, mode, s, since);
    }
}
