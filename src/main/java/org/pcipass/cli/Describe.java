package org.pcipass.cli;

import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciDevice;

/** lspci-style words for a device: {@code Ethernet controller [0200]: Intel Corporation 82574L}. */
final class Describe {
    private Describe() {}

    static String ids(PciDevice d) {
        return "[" + orQ(Json.hex(d.vendorId(), 4)) + ":" + orQ(Json.hex(d.deviceId(), 4)) + "]";
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
