package org.pcipass.guest;

import org.pcipass.PcipassException;

/**
 * A libvirt/xl domain name as DESIGN.md allows it: 1–64 characters of {@code [A-Za-z0-9_.+-]}, not
 * starting with {@code -}. Checked before any hypervisor is contacted or a native library loaded,
 * so a hostile name never reaches XML, a config line or a command.
 */
public final class GuestName {
    public static final int MAX = 64;

    private GuestName() {}

    /** {@code name}, checked; a bad one is bad input (exit 2) naming it and the rule. */
    public static String check(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new PcipassException.BadInput("guest name '" + printable(name) + "' " + problem
                    + "; a guest name is 1-" + MAX + " characters of A-Z a-z 0-9 _ . + - and does not start with -");
        }
        return name;
    }

    public static boolean valid(String name) {
        return problem(name) == null;
    }

    private static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.length() > MAX) {
            return "is " + name.length() + " characters long";
        }
        if (name.charAt(0) == '-') {
            return "starts with -";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "_.+-".indexOf(c) >= 0;
            if (!ok) {
                return "holds " + describe(c);
            }
        }
        return null;
    }

    private static String describe(char c) {
        return c < 0x20 || c == 0x7f ? String.format("the control character U+%04X", (int) c)
                : c == '\'' ? "a quote (')" : "'" + c + "'";
    }

    /**
     * A user's string as one line of an error may quote it (a guest name, a URI, an option's value):
     * control characters escaped ({@code \x0a}; C1 ones as {@code \u0085}), cut at 80 with an ellipsis.
     */
    public static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            if (c < 0x80 && Character.isISOControl(c)) {
                b.append(String.format("\\x%02x", (int) c));
            } else if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return s.length() > 80 ? b + "…" : b.toString();
    }
}
