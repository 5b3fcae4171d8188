package org.pcipass.persist;

import java.util.Locale;

/** A stub driver that holds a hidden device, by its sysfs driver name. */
public enum Stub {
    PCIBACK("pciback"),
    VFIO_PCI("vfio-pci"),
    PCI_STUB("pci-stub");

    private final String driverName;

    Stub(String driverName) {
        this.driverName = driverName;
    }

    /** The name under {@code /sys/bus/pci/drivers/}. */
    public String driverName() {
        return driverName;
    }

    /** The module name: pciback's is {@code pciback} (RHEL 5) or {@code xen-pciback}, as the caller found it. */
    public String module(String pcibackModule) {
        return this == PCIBACK ? pcibackModule : driverName;
    }

    /** The stub named {@code pciback}, {@code vfio-pci} or {@code pci-stub} (any case). */
    public static Stub of(String driverName) {
        String lower = driverName == null ? "" : driverName.toLowerCase(Locale.ROOT);
        for (Stub s : values()) {
            if (s.driverName.equals(lower)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown stub driver '" + driverName + "': use pciback, vfio-pci or pci-stub");
    }

    @Override
    public String toString() {
        return driverName;
    }
}
