package org.pcipass.guest;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.pci.PciAddress;

/**
 * One xl PCI_SPEC_STRING (xl-pci-configuration(5)): what {@code xl pci-attach} and xl.cfg's
 * {@code pci = [ ... ]} take.
 *
 * <p>Grammar, as Xen 4.17's libxlu_pci.c reads it: {@code [BDF[@VSLOT]][,KEY=VALUE]...}, one
 * trailing comma allowed. BDF is {@code [DDDD:]BB:SS.F} in hex with domain ≤ ffff, bus ≤ ff,
 * slot ≤ 1f and F 0-7 or {@code *} (every function); it may also be given as {@code bdf=BDF}, and
 * only the first element may be bare. VSLOT is hex ≤ 1f, also {@code vslot=VSLOT}. The other keys
 * are {@code permissive}, {@code msitranslate}, {@code seize}, {@code power_mgmt} (0 or 1),
 * {@code rdm_policy} ({@code strict} or {@code relaxed}) and {@code name}; a spec gives exactly one
 * of a BDF and a name.
 *
 * <p>pcipass is stricter than libxlu where libxlu is silently wrong, and says so in the message:
 * no spaces anywhere (libxlu reads {@code 01:00.0, permissive=1} as the unknown key
 * {@code " permissive"}); each key at most once (libxlu lets the last one win, the man page forbids
 * it); booleans only {@code 0} or {@code 1} (libxlu's {@code atoi} reads {@code yes} as 0); no
 * empty value; nothing after a BDF or vslot given as a key's value (libxlu ignores
 * {@code bdf=01:00.0junk}'s tail). A name is 1-64 characters of {@code A-Z a-z 0-9 _ . + -}
 * (libxl allows 64 printable characters; these are the ones that are safe, unquoted, in an xl.cfg
 * string and a shell command line).
 *
 * @param device the host device; null when the spec gives {@code name} instead. With
 *     {@code allFunctions} its function is 0.
 * @param allFunctions the function was {@code *}: every function of the slot
 * @param vslot the guest's slot, 0-0x1f, or null to let xl choose
 * @param rdmPolicy null when not given (xl's default is strict)
 * @param name the name the device was made assignable under ({@code xl pci-assignable-add -n}), or null
 */
public record XlPciSpec(PciAddress device, boolean allFunctions, Integer vslot, Boolean permissive,
        Boolean msitranslate, Boolean seize, Boolean powerMgmt, RdmPolicy rdmPolicy, String name) {

    /** {@code rdm_policy}: what xl does when a reserved memory region clashes with the guest's layout. */
    public enum RdmPolicy {
        STRICT, RELAXED;

        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static final List<String> KEYS =
            List.of("bdf", "vslot", "permissive", "msitranslate", "seize", "power_mgmt", "rdm_policy", "name");
    private static final Pattern BDF =
            Pattern.compile("(?:([0-9a-fA-F]+):)?([0-9a-fA-F]+):([0-9a-fA-F]+)\\.([0-9a-fA-F]+|\\*)");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.+-]{1,64}");

    public XlPciSpec {
        if ((device == null) == (name == null)) {
            throw new IllegalArgumentException("an xl PCI spec gives exactly one of a device and a name, not "
                    + (device == null ? "neither" : "both"));
        }
        if (device != null && device.domain() > 0xffff) {
            throw new IllegalArgumentException("device " + device + ": xl takes PCI domains up to ffff");
        }
        if (allFunctions && (device == null || device.function() != 0)) {
            throw new IllegalArgumentException("allFunctions needs a device whose function is 0, got " + device);
        }
        if (vslot != null && (vslot < 0 || vslot > 0x1f)) {
            throw new IllegalArgumentException("vslot out of range (0-1f): " + Integer.toHexString(vslot));
        }
        if (name != null && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + GuestName.printable(name) + "' is not 1-64 characters"
                    + " of A-Z a-z 0-9 _ . + -");
        }
    }

    /** The spec xl.cfg's {@code pci = [ '0000:09:00.0' ]} lists by default: the device, nothing else. */
    public static XlPciSpec of(PciAddress device) {
        return new XlPciSpec(device, false, null, null, null, null, null, null, null);
    }

    /**
     * Parses a spec.
     *
     * @throws IllegalArgumentException {@code invalid xl PCI spec 'SPEC': WHAT IS WRONG}, with the fix
     */
    public static XlPciSpec parse(String spec) {
        return new Parser(spec).parse();
    }

    /**
     * The canonical form: {@code DDDD:BB:SS.F[@VV][,permissive=N][,msitranslate=N][,seize=N][,power_mgmt=N]
     * [,rdm_policy=P]}, or with a name {@code name=NAME[,vslot=VV][,...]}; lower-case hex, the
     * domain in four digits, the vslot in two, keys in the man page's order.
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if (device != null) {
            String bdf = device.toString();
            b.append(allFunctions ? bdf.substring(0, bdf.length() - 1) + "*" : bdf);
            if (vslot != null) {
                b.append('@').append(hex2(vslot));
            }
        } else {
            b.append("name=").append(name);
            if (vslot != null) {
                b.append(",vslot=").append(hex2(vslot));
            }
        }
        flag(b, "permissive", permissive);
        flag(b, "msitranslate", msitranslate);
        flag(b, "seize", seize);
        flag(b, "power_mgmt", powerMgmt);
        if (rdmPolicy != null) {
            b.append(",rdm_policy=").append(rdmPolicy.text());
        }
        return b.toString();
    }

    private static String hex2(int v) {
        return (v < 0x10 ? "0" : "") + Integer.toHexString(v);
    }

    private static void flag(StringBuilder b, String key, Boolean value) {
        if (value != null) {
            b.append(',').append(key).append('=').append(value ? '1' : '0');
        }
    }

    /** One parse: the fields as they are found, each key at most once. */
    private static final class Parser {
        private final String spec;
        private final Set<String> seen = new HashSet<>();
        private PciAddress device;
        private boolean allFunctions;
        private Integer vslot;
        private Boolean permissive;
        private Boolean msitranslate;
        private Boolean seize;
        private Boolean powerMgmt;
        private RdmPolicy rdmPolicy;
        private String name;

        Parser(String spec) {
            this.spec = spec == null ? "" : spec;
        }

        XlPciSpec parse() {
            if (spec.isEmpty()) {
                throw invalid("it is empty; write BDF[@VSLOT][,KEY=VALUE]..., e.g. 0000:09:00.0,permissive=1");
            }
            rejectWhitespace();
            String[] parts = spec.split(",", -1);
            int n = parts.length > 1 && parts[parts.length - 1].isEmpty() ? parts.length - 1 : parts.length;
            for (int i = 0; i < n; i++) {
                element(parts[i], i);
            }
            if (device == null && name == null) {
                throw invalid("it names no device: give a BDF (e.g. 0000:09:00.0) or name=NAME");
            }
            if (device != null && name != null) {
                throw invalid("it gives both a BDF and name=" + name + ": a name stands for a BDF, give one of them");
            }
            return new XlPciSpec(device, allFunctions, vslot, permissive, msitranslate, seize, powerMgmt, rdmPolicy,
                    name);
        }

        private void rejectWhitespace() {
            for (int i = 0; i < spec.length(); i++) {
                char c = spec.charAt(i);
                if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                    String what = c == ' ' ? "a space" : c == '\t' ? "a tab" : c == '\n' ? "a newline"
                            : String.format("the control character U+%04X", (int) c);
                    throw invalid(what + " at character " + (i + 1) + "; xl takes no spaces: write it without them,"
                            + " e.g. 01:00.0,permissive=1");
                }
            }
        }

        private void element(String part, int index) {
            if (part.isEmpty()) {
                throw invalid(index == 0 ? "it starts with a comma" : "it has an empty element (two commas in a row)");
            }
            int eq = part.indexOf('=');
            if (eq < 0) {
                if (index > 0) {
                    throw invalid(bare(part));
                }
                positional(part);
                return;
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            if (key.isEmpty()) {
                throw invalid("'" + part + "' has no key before =");
            }
            if (!KEYS.contains(key)) {
                throw invalid("unknown key '" + key + "'; the keys are " + String.join(", ", KEYS));
            }
            once(key);
            keyValue(key, value);
        }

        private String bare(String part) {
            if (KEYS.contains(part)) {
                return "'" + part + "' has no value: write " + part + "=VALUE";
            }
            return "'" + part + "' is not KEY=VALUE; only the first element may be a bare BDF[@VSLOT]";
        }

        /** The first element without '=': BDF or BDF@VSLOT. */
        private void positional(String part) {
            int at = part.indexOf('@');
            once("bdf");
            bdf(at < 0 ? part : part.substring(0, at));
            if (at >= 0) {
                once("vslot");
                vslot(part.substring(at + 1), "@");
            }
        }

        private void keyValue(String key, String value) {
            switch (key) {
                case "bdf" -> bdf(value);
                case "vslot" -> vslot(value, "vslot=");
                case "permissive" -> permissive = bool(key, value);
                case "msitranslate" -> msitranslate = bool(key, value);
                case "seize" -> seize = bool(key, value);
                case "power_mgmt" -> powerMgmt = bool(key, value);
                case "rdm_policy" -> rdmPolicy = rdmPolicy(value);
                default -> name = name(value);
            }
        }

        /** Marks {@code key} given; a second time is refused, naming both ways it can be given. */
        private void once(String key) {
            if (!seen.add(key)) {
                String forms = key.equals("bdf") ? " (a bare BDF and bdf= are the same key)"
                        : key.equals("vslot") ? " (@VSLOT and vslot= are the same key)" : "";
                throw invalid(key + " is given twice" + forms + "; each key at most once");
            }
        }

        private void bdf(String text) {
            Matcher m = BDF.matcher(text);
            if (!m.matches()) {
                throw invalid("'" + text + "' is not a BDF: write [DDDD:]BB:SS.F in hex, F 0-7 or *");
            }
            long domain = m.group(1) == null ? 0 : field(m.group(1), 0xffff, "domain");
            int bus = (int) field(m.group(2), 0xff, "bus");
            int slot = (int) field(m.group(3), 0x1f, "slot");
            boolean all = m.group(4).equals("*");
            int function = all ? 0 : (int) field(m.group(4), 7, "function");
            device = new PciAddress(domain, bus, slot, function);
            allFunctions = all;
        }

        private long field(String digits, long max, String what) {
            long v = hexValue(digits);
            if (v > max) {
                throw invalid(what + " " + digits + " is above " + Long.toHexString(max) + " (xl's limit for a BDF's "
                        + what + ")");
            }
            return v;
        }

        private void vslot(String text, String how) {
            if (!HEX.matcher(text).matches()) {
                throw invalid((how.equals("@") ? "'@" + text + "'" : "vslot=" + text) + " is not a hex slot number;"
                        + " vslot is hex, 0-1f");
            }
            long v = hexValue(text);
            if (v > 0x1f) {
                throw invalid("vslot " + text + " is above 1f (vslot is hex, 0-1f)");
            }
            vslot = (int) v;
        }

        private Boolean bool(String key, String value) {
            return switch (value) {
                case "1" -> true;
                case "0" -> false;
                default -> throw invalid(key + " takes 0 or 1, not '" + value + "'");
            };
        }

        private RdmPolicy rdmPolicy(String value) {
            return switch (value) {
                case "strict" -> RdmPolicy.STRICT;
                case "relaxed" -> RdmPolicy.RELAXED;
                default -> throw invalid("rdm_policy takes strict or relaxed, not '" + value + "'");
            };
        }

        private String name(String value) {
            if (!NAME.matcher(value).matches()) {
                throw invalid("name '" + value + "' is not 1-64 characters of A-Z a-z 0-9 _ . + -");
            }
            return value;
        }

        /** The value of hex digits, saturated: more than 8 significant digits is above every limit here. */
        private static long hexValue(String digits) {
            String d = digits.replaceFirst("^0+(?=.)", "");
            return d.length() > 8 ? Long.MAX_VALUE : Long.parseLong(d, 16);
        }

        private IllegalArgumentException invalid(String why) {
            return new IllegalArgumentException("invalid xl PCI spec '" + printable(spec) + "': " + why);
        }

        /** The spec as one line can quote it: control characters escaped, cut only past 200 characters. */
        private static String printable(String spec) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < spec.length() && i < 200; i++) {
                char c = spec.charAt(i);
                b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
            return spec.length() > 200 ? b + "…" : b.toString();
        }
    }
}
