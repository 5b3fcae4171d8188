package org.pcipass.guest;

import java.util.List;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.IommuGroup;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;

/**
 * A PCI device as libvirt's {@code virsh nodedev-dumpxml pci_0000_09_00_0} prints it (libvirt 9,
 * {@code virNodeDeviceDefFormat}): name, sysfs path, parent, driver, then the {@code pci} capability
 * with decimal domain/bus/slot/function, ids and pci.ids names, SR-IOV relatives, bridge type, IOMMU
 * group, NUMA node and PCIe link, in libvirt's order and indentation.
 *
 * <p>Left out, as pcipass does not read them: the link's {@code port} (the PCIe capability beyond
 * the 64 bytes of config space a non-root user may read; optional in libvirt's schema), VPD and
 * mediated-device types.
 */
public final class NodedevXml {
    private NodedevXml() {}

    /** @param d the device with its details ({@link HostSnapshot#deviceInFull}) */
    public static String render(HostSnapshot host, PciDevice d) {
        StringBuilder b = new StringBuilder("<device>\n");
        b.append("  <name>").append(d.address().nodedevName()).append("</name>\n");
        if (d.sysfsPath() != null) {
            b.append("  <path>").append(XmlText.escape("/sys/" + d.sysfsPath())).append("</path>\n");
        }
        b.append("  <parent>").append(parent(host, d)).append("</parent>\n");
        if (d.driver() != null) {
            b.append("  <driver>\n    <name>").append(XmlText.escape(d.driver())).append("</name>\n  </driver>\n");
        }
        b.append("  <capability type='pci'>\n");
        pciCapability(b, host, d);
        b.append("  </capability>\n</device>\n");
        return b.toString();
    }

    /**
     * The nearest node device above it: the PCI device whose directory holds this one's (its bridge),
     * or {@code computer} for a device on a root bus ({@code pci0000:00} is no node device).
     */
    static String parent(HostSnapshot host, PciDevice d) {
        if (d.sysfsPath() == null) {
            return "computer";
        }
        String[] parts = d.sysfsPath().split("/");
        PciAddress up = parts.length < 2 ? null : PciAddress.ofSysfsName(parts[parts.length - 2]);
        return up != null && host.devices().containsKey(up) ? up.nodedevName() : "computer";
    }

    private static void pciCapability(StringBuilder b, HostSnapshot host, PciDevice d) {
        String in = "    ";
        PciAddress a = d.address();
        if (d.classCode() != null) {
            b.append(in).append(String.format("<class>0x%06x</class>\n", d.classCode()));
        }
        b.append(in).append("<domain>").append(a.domain()).append("</domain>\n");
        b.append(in).append("<bus>").append(a.bus()).append("</bus>\n");
        b.append(in).append("<slot>").append(a.slot()).append("</slot>\n");
        b.append(in).append("<function>").append(a.function()).append("</function>\n");
        // an id that could not be read is what a vanished device's config space answers
        named(b, "product", d.deviceId() == null ? 0xffff : d.deviceId(), host.deviceName(d));
        named(b, "vendor", d.vendorId() == null ? 0xffff : d.vendorId(), host.vendorName(d));
        sriov(b, d);
        if (d.isPciBridge() || d.isCardBusBridge()) {
            b.append(in).append("<capability type='").append(d.isPciBridge() ? "pci-bridge" : "cardbus-bridge")
                    .append("'/>\n");
        }
        IommuGroup g = d.iommuGroup() == null ? null : host.groups().get(d.iommuGroup());
        if (g != null) {
            b.append(in).append("<iommuGroup number='").append(g.id()).append("'>\n");
            g.members().forEach(m -> b.append(in).append("  ").append(address(m)).append('\n'));
            b.append(in).append("</iommuGroup>\n");
        }
        if (d.numaNode() != null) {
            b.append(in).append("<numa node='").append(d.numaNode()).append("'/>\n");
        }
        pciExpress(b, d.link());
    }

    private static void named(StringBuilder b, String element, int id, String name) {
        b.append("    <").append(element).append(String.format(" id='0x%04x'", id));
        if (name == null) {
            b.append("/>\n");
        } else {
            b.append('>').append(XmlText.escape(name)).append("</").append(element).append(">\n");
        }
    }

    /** A VF names its PF; a PF with SR-IOV its enabled VFs and how many it could have. */
    private static void sriov(StringBuilder b, PciDevice d) {
        if (d.physfn() != null) {
            b.append("    <capability type='phys_function'>\n      ").append(address(d.physfn()))
                    .append("\n    </capability>\n");
        }
        if (d.sriov() == null) {
            return;
        }
        Integer max = d.sriov().totalVfs();
        b.append("    <capability type='virt_functions'");
        if (max != null && max > 0) {
            b.append(" maxCount='").append(max).append('\'');
        }
        List<PciAddress> vfs = d.virtfns();
        if (vfs.isEmpty()) {
            b.append("/>\n");
            return;
        }
        b.append(">\n");
        vfs.forEach(vf -> b.append("      ").append(address(vf)).append('\n'));
        b.append("    </capability>\n");
    }

    /** libvirt's {@code <pci-express>}: the link's capability (max) and status (current). */
    private static void pciExpress(StringBuilder b, PciDevice.Link link) {
        if (link == null) {
            return; // conventional PCI: sysfs has no link attributes
        }
        if (link.maxWidth() == null || link.maxWidth() <= 0) {
            b.append("    <pci-express/>\n"); // PCIe without a link (a root-complex integrated endpoint)
            return;
        }
        b.append("    <pci-express>\n");
        b.append("      <link validity='cap'").append(speed(link.maxSpeed())).append(" width='").append(link.maxWidth())
                .append("'/>\n");
        if (link.width() != null) {
            b.append("      <link validity='sta'").append(speed(link.speed())).append(" width='").append(link.width())
                    .append("'/>\n");
        }
        b.append("    </pci-express>\n");
    }

    /**
     * sysfs's {@code 8.0 GT/s PCIe} (older kernels: {@code 8 GT/s}) as libvirt's speed attribute
     * ({@code 2.5}, {@code 5}, {@code 8}, {@code 16}, {@code 32}, {@code 64}); none when unknown.
     */
    static String speed(String sysfs) {
        if (sysfs == null) {
            return "";
        }
        String n = sysfs.strip().split("\\s+")[0];
        if (!n.matches("\\d+(\\.\\d+)?") || Double.parseDouble(n) <= 0) {
            return "";
        }
        if (n.endsWith(".0")) {
            n = n.substring(0, n.length() - 2);
        }
        return " speed='" + n + "'";
    }

    /** An address as libvirt prints one in node device XML (function in decimal after {@code 0x}). */
    static String address(PciAddress a) {
        return String.format("<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%d'/>", a.domain(),
                a.bus(), a.slot(), a.function());
    }
}
