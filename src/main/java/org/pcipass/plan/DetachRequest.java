package org.pcipass.plan;

import java.util.List;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;

/**
 * {@code pcipass detach GUEST DEVICE...}.
 *
 * @param backend, connect where to detach when no assignment records it (else the assignment's own)
 * @param mode null: wherever the hypervisor lists the device
 * @param giveBack {@code --return}: a released device goes back to its original driver
 */
public record DetachRequest(String guest, List<PciAddress> devices, String backend, String connect, Mode mode,
        int timeoutSeconds, boolean giveBack) {
    public DetachRequest {
        devices = List.copyOf(devices);
    }
}
