package org.pcipass.guest;

import java.util.Objects;
import org.pcipass.pci.PciAddress;

/**
 * A PCI device a hypervisor lists for a domain, whoever put it there.
 *
 * @param live in the running domain (libvirt's live XML, {@code xl pci-list})
 * @param config in the persistent definition (libvirt's inactive XML)
 * @param managed libvirt's {@code managed='yes'}: libvirt binds it at start and gives it back at stop
 */
public record Hostdev(String guest, PciAddress device, boolean live, boolean config, boolean managed) {
    public Hostdev {
        Objects.requireNonNull(guest, "guest");
        Objects.requireNonNull(device, "device");
    }
}
