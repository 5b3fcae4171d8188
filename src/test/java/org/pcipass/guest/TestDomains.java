package org.pcipass.guest;

import java.util.List;
import org.pcipass.pci.PciAddress;

/**
 * Minimal domain XMLs around {@link HostdevXml}'s elements, as a person (or virt-install) would
 * define them: a Xen PV guest with passthrough and libosinfo metadata, a KVM q35 guest, and a guest
 * of libvirt's test driver. The name is escaped with {@link #escapeAttr}.
 */
final class TestDomains {
    static final String RHEL6 = "http://redhat.com/rhel/6.10";

    private TestDomains() {}

    /** {@code <domain type='xen'>}, PV ({@code <os><type>linux}), passthrough on, RHEL 6 in libosinfo metadata. */
    static String xenPv(String name, String... hostdevs) {
        return """
                <domain type='xen'>
                  <name>%s</name>
                  <metadata>
                    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                      <libosinfo:os id="%s"/>
                    </libosinfo:libosinfo>
                  </metadata>
                  <memory unit='KiB'>524288</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='xenpv'>linux</type>
                  </os>
                  <features>
                    <xen>
                      <passthrough state='on'/>
                    </xen>
                  </features>
                  <devices>
                %s
                  </devices>
                </domain>
                """.formatted(escapeAttr(name), RHEL6, indent(hostdevs));
    }

    /** {@code <domain type='kvm'>}, q35 HVM, no metadata. */
    static String kvm(String name, String... hostdevs) {
        return """
                <domain type='kvm'>
                  <name>%s</name>
                  <memory unit='KiB'>1048576</memory>
                  <vcpu>2</vcpu>
                  <os>
                    <type arch='x86_64' machine='q35'>hvm</type>
                  </os>
                  <devices>
                %s
                  </devices>
                </domain>
                """.formatted(escapeAttr(name), indent(hostdevs));
    }

    /** A domain of another type (libvirt's test driver accepts {@code test}, {@code xen} and {@code kvm}). */
    static String ofType(String type, String osType, String name, String... hostdevs) {
        return """
                <domain type='%s'>
                  <name>%s</name>
                  <memory unit='KiB'>65536</memory>
                  <os>
                    <type>%s</type>
                  </os>
                  <devices>
                %s
                  </devices>
                </domain>
                """.formatted(type, escapeAttr(name), osType, indent(hostdevs));
    }

    /** pcipass's own hostdevs for {@code devices} ({@code managed='no'}). */
    static String[] hostdevs(boolean xen, PciAddress... devices) {
        return List.of(devices).stream().map(d -> HostdevXml.hostdev(d, xen, false)).toArray(String[]::new);
    }

    private static String indent(String... elements) {
        StringBuilder b = new StringBuilder();
        for (String e : elements) {
            for (String line : e.split("\n")) {
                b.append("    ").append(line).append('\n');
            }
        }
        return b.toString().stripTrailing();
    }

    /**
     * {@code text} made safe inside a single- or double-quoted XML attribute: {@code & < > ' "} as
     * entities, tab/newline/CR as character references (a parser would fold them to spaces otherwise).
     *
     * @throws IllegalArgumentException for a character XML 1.0 cannot carry at all (other control
     *     characters, lone surrogates, U+FFFE/U+FFFF), naming its position
     */
    static String escapeAttr(String text) {
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

}
