package org.pcipass.plan;

import java.util.List;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;

/**
 * {@code pcipass attach GUEST DEVICE...}.
 *
 * @param connect the libvirt URI; null for xl
 * @param mode null: as virt-manager chooses from the domain's state
 * @param driver the stub to hide on; null: the one the guest's hypervisor needs
 * @param guestOs {@code --guest-os} (e.g. {@code rhel6}), or null
 */
public record AttachRequest(String guest, List<PciAddress> devices, String backend, String connect, Mode mode,
        boolean withGroup, boolean persist, String driver, String guestOs, boolean allowInsecure) {
    public AttachRequest {
        devices = List.copyOf(devices);
    }
}
