package org.pcipass.pci;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI function address: domain:bus:slot.function.
 *
 * <p>Accepted forms, any case: {@code 0000:09:00.0}, {@code 09:00.0} (domain 0000) and libvirt's
 * {@code pci_0000_09_00_0}. Domains take up to 8 hex digits (Intel VMD uses {@code 10000:e1:00.0}).
 */
public record PciAddress(long domain, int bus, int slot, int function) implements Comparable<PciAddress> {
    private static final String FORMS = "write it as 0000:09:00.0, 09:00.0 or pci_0000_09_00_0";
    private static final Pattern COLON_FORM =
            Pattern.compile("(?:([0-9a-fA-F]+):)?([0-9a-fA-F]+):([0-9a-fA-F]+)\\.([0-9a-fA-F]+)");
    private static final Pattern NODEDEV_FORM =
            Pattern.compile("(?i)pci_([0-9a-f]+)_([0-9a-f]+)_([0-9a-f]+)_([0-9a-f]+)");

    public PciAddress {
        if (domain < 0 || domain > 0xffff_ffffL) {
            throw new IllegalArgumentException("PCI domain out of range (0-ffffffff): " + Long.toHexString(domain));
        }
        if (bus < 0 || bus > 0xff) {
            throw new IllegalArgumentException("PCI bus out of range (00-ff): " + bus);
        }
        if (slot < 0 || slot > 0x1f) {
            throw new IllegalArgumentException("PCI slot out of range (00-1f): " + slot);
        }
        if (function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI function out of range (0-7): " + function);
        }
    }

    /** Parses any accepted form; the message of the exception names the input and the forms. */
    public static PciAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(text == null ? "" : text, "it is empty");
        }
        Matcher m = NODEDEV_FORM.matcher(text);
        boolean nodedev = m.matches();
        if (!nodedev) {
            m = COLON_FORM.matcher(text);
            if (!m.matches()) {
                throw invalid(text, "not of the form [DDDD:]BB:SS.F");
            }
        }
        String domain = m.group(1) == null ? "0000" : m.group(1);
        return new PciAddress(
                hex(text, domain, 8, "domain"),
                (int) hex(text, m.group(2), 2, "bus"),
                (int) checked(text, hex(text, m.group(3), 2, "slot"), 0x1f, "slot", "00-1f"),
                (int) checked(text, hex(text, m.group(4), 1, "function"), 7, "function", "0-7"));
    }

    /** Whether {@code text} is a canonical sysfs device name (e.g. {@code 0000:09:00.0}). */
    public static boolean looksLikeSysfsName(String text) {
        return ofSysfsName(text) != null;
    }

    /**
     * Parses a canonical sysfs name ({@code DDDD:BB:SS.F}, lower-case, 4 to 8 domain digits) without
     * a regular expression, or returns null: the scanner meets thousands of these.
     */
    public static PciAddress ofSysfsName(String text) {
        int n = text.length();
        if (n < 12 || n > 16 || text.charAt(n - 2) != '.' || text.charAt(n - 5) != ':' || text.charAt(n - 8) != ':') {
            return null;
        }
        long domain = hexOrMinus(text, 0, n - 8);
        long bus = hexOrMinus(text, n - 7, n - 5);
        long slot = hexOrMinus(text, n - 4, n - 2);
        long function = hexOrMinus(text, n - 1, n);
        if (domain < 0 || bus < 0 || slot < 0 || slot > 0x1f || function < 0 || function > 7) {
            return null;
        }
        return new PciAddress(domain, (int) bus, (int) slot, (int) function);
    }

    private static long hexOrMinus(String s, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

    private static long hex(String text, String digits, int maxDigits, String field) {
        if (digits.isEmpty() || digits.length() > maxDigits) {
            throw invalid(text, field + " takes " + (maxDigits == 1 ? "1 hex digit" : "at most " + maxDigits + " hex digits"));
        }
        return Long.parseLong(digits, 16);
    }

    private static long checked(String text, long value, long max, String field, String range) {
        if (value > max) {
            throw invalid(text, field + " must be " + range);
        }
        return value;
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid PCI address '" + text + "': " + why + "; " + FORMS);
    }

    /** {@code 0000:09:00.0}: the sysfs name, lower-case, domain at least 4 digits. */
    @Override
    public String toString() {
        return join(':', ':', '.');
    }

    /** {@code 09:00.0}: lspci's short form (drops the domain). */
    public String shortForm() {
        String full = toString();
        return full.substring(full.indexOf(':') + 1);
    }

    /** {@code pci_0000_09_00_0}: libvirt's node device name. */
    public String nodedevName() {
        return "pci_" + join('_', '_', '_');
    }

    // String.format costs microseconds, and listings print thousands of addresses: one char array, one String.
    private String join(char a, char b, char c) {
        int domainDigits = Math.max(4, 16 - Long.numberOfLeadingZeros(domain | 1) / 4);
        char[] out = new char[domainDigits + 8];
        int i = digits(out, 0, domain, domainDigits);
        out[i++] = a;
        i = digits(out, i, bus, 2);
        out[i++] = b;
        i = digits(out, i, slot, 2);
        out[i++] = c;
        out[i] = Character.forDigit(function, 16);
        return new String(out);
    }

    /** Writes {@code value} as {@code n} lower-case hex digits at {@code at}; returns the index after them. */
    private static int digits(char[] out, int at, long value, int n) {
        for (int k = n - 1; k >= 0; k--) {
            out[at + k] = Character.forDigit((int) (value & 0xf), 16);
            value >>>= 4;
        }
        return at + n;
    }

    /*
     * equals and hashCode written out: a record's generated ones go through invokedynamic and method
     * handles, which a listing calls tens of thousands of times (map keys) and the JVM then spins
     * dozens of LambdaForm classes at run time for.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof PciAddress a && a.domain == domain && a.bus == bus && a.slot == slot
                && a.function == function;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(domain) * 31 * 256 * 32 * 8 + (bus << 8 | slot << 3 | function);
    }

    @Override
    public int compareTo(PciAddress o) {
        int c = Long.compare(domain, o.domain);
        if (c == 0) c = Integer.compare(bus, o.bus);
        if (c == 0) c = Integer.compare(slot, o.slot);
        if (c == 0) c = Integer.compare(function, o.function);
        return c;
    }
}
