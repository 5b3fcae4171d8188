package org.pcipass.store;

import java.time.Instant;
import java.util.Objects;
import org.pcipass.guest.GuestName;
import org.pcipass.pci.PciAddress;

/**
 * A successful live attach or detach of a device, for the hotplug guard (the seed: more than 512
 * hotplugs of a device in a brief period can crash the kernel). The store keeps {@code at} to the
 * millisecond, and one event per device, op and millisecond: give an event the time the plan recorded,
 * so that a plan committed again after a crash is not counted twice.
 *
 * @param op {@link #ATTACH} or {@link #DETACH}
 */
public record HotplugEvent(PciAddress device, String op, String guest, Instant at) {
    public static final String ATTACH = "attach";
    public static final String DETACH = "detach";

    public HotplugEvent {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(at, "at");
        GuestName.check(guest);
        if (!ATTACH.equals(op) && !DETACH.equals(op)) {
            throw new IllegalArgumentException("op: '" + op + "' is not attach or detach");
        }
    }
}
