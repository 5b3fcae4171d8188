package org.pcipass.persist;

import org.pcipass.pci.PciAddress;

/** Test shorthands for persisted devices. */
final class Devices {
    private Devices() {}

    static PersistedDevice pciback(String address, String driver, String module) {
        return new PersistedDevice(PciAddress.parse(address), Stub.PCIBACK, driver, module, DeviceIds.parse("14e4:1639"));
    }

    static PersistedDevice on(Stub stub, String address, String driver, String module, String ids) {
        return new PersistedDevice(PciAddress.parse(address), stub, driver, module, DeviceIds.parse(ids));
    }

    /** The seed's device: 0000:09:00.0 on bnx2, a module. */
    static PersistedDevice seed() {
        return pciback("0000:09:00.0", "bnx2", "bnx2");
    }
}
