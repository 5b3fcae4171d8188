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
 * Only numbers go into it, so nothing needs escaping here; {@link #escapeAttr} is for whoever builds
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

    /**
     * {@code text} made safe inside a single- or double-quoted XML attribute: {@code & < > ' "} as
     * entities, tab/newline/CR as character references (a parser would fold them to spaces otherwise).
     *
     * @throws IllegalArgumentException for a character XML 1.0 cannot carry at all (other control
     *     characters, lone surrogates, U+FFFE/U+FFFF), naming its position
     */
    public static String escapeAttr(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '\'' -> b.append("&apos;");
                case '"' -> b.append("&quot;");
                case '\t' -> b.append("&#9;");
                case '\n' -> b.append("&#10;");
                case '\r' -> b.append("&#13;");
                default -> {
                    if (!xmlChar(text, i)) {
                        throw new IllegalArgumentException(String.format(
                                "character U+%04X at index %d cannot be written in XML", (int) c, i));
                    }
                    b.append(c);
                }
            }
        }
        return b.toString();
    }

    /** XML 1.0's Char production for the UTF-16 unit at {@code i} (a surrogate must be half of a pair). */
    private static boolean xmlChar(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x20) {
            return false;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }
        return c != 0xfffe && c != 0xffff;
    }

    private static String hex(long value, int digits) {
        String h = Long.toHexString(value);
        return h.length() >= digits ? h : "0".repeat(digits - h.length()) + h;
    }
}
