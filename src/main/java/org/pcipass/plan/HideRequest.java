package org.pcipass.plan;

import java.util.List;

/**
 * {@code pcipass hide DEVICE... [--driver D] [--with-group] [--force] [--persist]}.
 *
 * @param driver pciback, vfio-pci or pci-stub; null for the host's default (pciback in a Xen dom0,
 *     vfio-pci otherwise)
 */
public record HideRequest(List<org.pcipass.pci.PciAddress> devices, String driver, boolean withGroup, boolean force,
        boolean persist) {
    public static final List<String> STUBS = List.of("pciback", "vfio-pci", "pci-stub");

    public HideRequest {
        devices = List.copyOf(devices);
        if (driver != null && !STUBS.contains(driver)) {
            throw new IllegalArgumentException("driver: '" + driver + "' is not one of " + String.join(", ", STUBS));
        }
    }
}
