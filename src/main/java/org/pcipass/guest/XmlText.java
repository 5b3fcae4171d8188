package org.pcipass.guest;

/**
 * Text for XML content and attribute values, escaped as libvirt's {@code virBufferEscapeString}
 * does: the five markup characters become entities and control characters XML 1.0 cannot carry
 * are dropped. pci.ids names hold {@code &} ("AT&T", "Dell & Co"), and a name must never end an
 * element or start one.
 */
public final class XmlText {
    private XmlText() {}

    public static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '\'' -> b.append("&apos;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
