package org.pcipass.plan;

import java.util.List;
import org.pcipass.pci.PciAddress;

/** {@code pcipass unhide DEVICE... [--with-group] [--persist]}. */
public record UnhideRequest(List<PciAddress> devices, boolean withGroup, boolean persist) {
    public UnhideRequest {
        devices = List.copyOf(devices);
    }
}
