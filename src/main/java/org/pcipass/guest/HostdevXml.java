package org.pcipass.guest;

import org.pcipass.pci.PciAddress;

/**
 * libvirt's {@code <hostdev>} element for a PCI device (REFERENCE.md "libvirt"), as pcipass gives it
 * to {@code virDomainAttachDeviceFlags} and prints for {@code pcipass config --format libvirt}:
 *
 * <pre>
 * &lt;hostdev mode='subsystem' type='pci' managed='no'&gt;
 *   &lt;driver name='xen'/&gt;
 *   &lt;source&gt;
 *     &lt;address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/&gt;
 *   &lt;/source&gt;
 * &lt;/hostdev&gt;
 * </pre>
 *
 * Only numbers go into it, so nothing needs escaping here; the tests' TestDomains.escapeAttr is for whoever builds
 * a larger document around it.
 */
public final class HostdevXml {
    private HostdevXml() {}

    /**
     * The element, without a trailing newline.
     *
     * @param xen a Xen guest: {@code <driver name='xen'/>} (pciback); KVM gets no driver element (vfio-pci)
     * @param managed {@code managed='yes'}: libvirt binds the device at guest start and gives it back
     *     to the host at guest stop; pcipass itself always writes {@code managed='no'} (it owns the binding)
     */
    public static String hostdev(PciAddress device, boolean xen, boolean managed) {
        StringBuilder b = new StringBuilder(200);
        b.append("<hostdev mode='subsystem' type='pci' managed='").append(managed ? "yes" : "no").append("'>\n");
        if (xen) {
            b.append("  <driver name='xen'/>\n");
        }
        b.append("  <source>\n    ").append(address(device)).append("\n  </source>\n</hostdev>");
        return b.toString();
    }

    /** {@code <address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>}: hex, as libvirt writes it. */
    public static String address(PciAddress device) {
        return "<address domain='0x" + hex(device.domain(), 4) + "' bus='0x" + hex(device.bus(), 2)
                + "' slot='0x" + hex(device.slot(), 2) + "' function='0x" + Integer.toHexString(device.function())
                + "'/>";
    }

    private static String hex(long value, int digits) {
        String h = Long.toHexString(value);
        return h.length() >= digits ? h : "0".repeat(digits - h.length()) + h;
    }
}
