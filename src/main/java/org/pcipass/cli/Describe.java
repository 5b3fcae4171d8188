package org.pcipass.cli;

import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciDevice;

/** lspci-style words for a device: {@code Ethernet controller [0200]: Intel Corporation 82574L}. */
final class Describe {
    private Describe() {}

    static String ids(PciDevice d) {
        return "[" + orQ(Json.hex(d.vendorId(), 4)) + ":" + orQ(Json.hex(d.deviceId(), 4)) + "]";
    }

    /** {@code [1028:0235]}, with {@code ????} for an id that could not be read; null when neither could. */
    static String subsystemIds(PciDevice d) {
        if (d.subsystemVendorId() == null && d.subsystemDeviceId() == null) {
            return null;
        }
        return "[" + orQ(Json.hex(d.subsystemVendorId(), 4)) + ":" + orQ(Json.hex(d.subsystemDeviceId(), 4)) + "]";
    }

    /**
     * The header type in {@code show}'s words: from {@code config}, else what the class says (as the
     * verdict goes by it), else unknown.
     */
    static String header(PciDevice d) {
        if (d.headerType() != null) {
            return Json.headerType(d.headerType());
        }
        String cls = d.classCode() == null ? null : Json.hex(d.classCode() >>> 8, 4);
        if (d.isPciBridge()) {
            return "bridge (class " + cls + "; config unreadable)";
        }
        if (d.isCardBusBridge()) {
            return "cardbus (class " + cls + "; config unreadable)";
        }
        return "unknown (config unreadable)";
    }

    static String line(HostSnapshot host, PciDevice d) {
        String cls = host.className(d);
        String clsCode = d.classCode() == null ? "????" : Json.hex(d.classCode() >>> 8, 4);
        String vendor = host.vendorName(d);
        String device = host.deviceName(d);
        StringBuilder b = new StringBuilder();
        b.append(cls == null ? "Class" : cls).append(" [").append(clsCode).append("]: ");
        b.append(vendor == null ? "Vendor " + orQ(Json.hex(d.vendorId(), 4)) : vendor).append(' ');
        b.append(device == null ? "Device " + orQ(Json.hex(d.deviceId(), 4)) : device);
        if (d.revision() != null && d.revision() != 0) {
            b.append(" (rev ").append(Json.hex(d.revision(), 2)).append(')');
        }
        return b.toString();
    }

    private static String orQ(String s) {
        return s == null ? "????" : s;
    }
}
