package org.pcipass.pci;

import java.util.Locale;
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
            Pattern.compile("pci_([0-9a-fA-F]+)_([0-9a-fA-F]+)_([0-9a-fA-F]+)_([0-9a-fA-F]+)");

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
        int n = text.length();
        return n >= 12 && text.charAt(n - 2) == '.' && text.charAt(n - 5) == ':' && text.charAt(n - 8) == ':'
                && COLON_FORM.matcher(text).matches();
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
        return String.format(Locale.ROOT, "%04x:%02x:%02x.%x", domain, bus, slot, function);
    }

    /** {@code 09:00.0}: lspci's short form (drops the domain). */
    public String shortForm() {
        return String.format(Locale.ROOT, "%02x:%02x.%x", bus, slot, function);
    }

    /** {@code pci_0000_09_00_0}: libvirt's node device name. */
    public String nodedevName() {
        return String.format(Locale.ROOT, "pci_%04x_%02x_%02x_%x", domain, bus, slot, function);
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
