package org.pcipass.persist;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.pci.PciAddress;

/**
 * The stub parameters of the kernel command line the system booted with ({@code /proc/cmdline}):
 * {@code vfio-pci.ids=}, {@code pci-stub.ids=}, {@code xen-pciback.hide=} or {@code pciback.hide=}.
 *
 * <p>Why pcipass cares: kmod's modprobe (and module-init-tools from 3.5) reads {@code MODULE.PARAM=VALUE}
 * from {@code /proc/cmdline} and appends it to the module's options after every {@code options} line
 * of the configuration files ({@code insmod vfio-pci.ko ids=LINE ids=CMDLINE}); the kernel sets the
 * parameter once per occurrence, and string parameters keep the last, so the command line's value
 * replaces the line's. A built-in stub reads only the command line. RHEL 5's module-init-tools 3.3
 * never reads {@code /proc/cmdline}: there the line alone counts for a module.
 *
 * @param text the command line, as {@code /proc/cmdline} holds it ("" when there is none)
 * @param readByModprobe whether the root's modprobe passes the command line's parameters to modules
 *     it loads (false on RHEL 5 and older)
 */
public record KernelCmdline(String text, boolean readByModprobe) {
    /** No command line (tests, {@code pcipass config} for a root without {@code /proc}). */
    public static final KernelCmdline NONE = new KernelCmdline("", true);

    private static final Pattern HIDE_ENTRY = Pattern.compile("\\(([^()]*)\\)");
    /** vfio-pci's and pci-stub's entry: {@code vendor:device[:subvendor:subdevice[:class:class_mask]]}, hex. */
    private static final Pattern ID = Pattern.compile("([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})((?::[0-9a-fA-F]{1,8})*)");
    /** pciback's entry: {@code [domain:]bus:slot.function}, {@code *} for the slot or the function. */
    private static final Pattern SLOT = Pattern.compile(
            "(?:[0-9a-fA-F]{1,8}:)?[0-9a-fA-F]{1,2}:(?:[0-9a-fA-F]{1,2}|\\*)\\.(?:[0-7]|\\*)");

    public KernelCmdline {
        text = text == null ? "" : text;
    }

    /** The target root's command line: {@code proc/cmdline} under the config root. */
    public static KernelCmdline of(PersistTarget target) {
        return new KernelCmdline(target.cmdline(), !target.file().equals(PersistTarget.MODPROBE_CONF));
    }

    /**
     * The value the kernel ends with for {@code module.param}: the last occurrence, quotes removed;
     * null when the command line does not set it. Module names match with - and _ alike, as the
     * kernel and modprobe match them.
     */
    public String value(String module, String param) {
        String word = parameter(module, param);
        return word == null ? null : word.substring(word.indexOf('=') + 1);
    }

    /**
     * That last occurrence as the command line writes it (quotes removed), e.g.
     * {@code vfio_pci.ids=10de:1b80}; null when absent.
     */
    public String parameter(String module, String param) {
        String wanted = normal(module) + "." + param;
        String found = null;
        for (String word : words()) {
            int eq = word.indexOf('=');
            if (eq > 0 && normal(word.substring(0, eq)).equals(wanted)) {
                found = word;
            }
        }
        return found;
    }

    /**
     * {@code STUB.ids=}'s entries that a modprobe line can carry, each once, as {@link DeviceIds}
     * writes them; empty when the parameter is absent. An entry whose subvendor and subdevice are
     * "any" ({@code ffffffff}) is its vendor:device pair; see {@link #unusableIds}.
     */
    public List<String> ids(Stub stub) {
        List<String> out = new ArrayList<>();
        for (String entry : entries(stub.driverName(), "ids")) {
            String e = idEntry(entry);
            if (e != null && !out.contains(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * {@code STUB.ids=}'s entries pcipass does not copy into its line: a subvendor, subdevice or class
     * of their own (pcipass writes vendor:device pairs only), or not ids at all.
     */
    public List<String> unusableIds(Stub stub) {
        return entries(stub.driverName(), "ids").stream().filter(e -> idEntry(e) == null).toList();
    }

    private List<String> entries(String module, String param) {
        String v = value(module, param);
        List<String> out = new ArrayList<>();
        if (v != null) {
            for (String entry : v.split(",")) {
                if (!entry.isBlank()) {
                    out.add(entry.strip());
                }
            }
        }
        return out;
    }

    /**
     * {@code MODULE.hide=}'s entries, inside the parentheses, each once: full addresses for the
     * ones that are addresses ({@code 09:00.0} becomes {@code 0000:09:00.0}), wildcards as written.
     */
    public List<String> hide(String pcibackModule) {
        List<String> out = new ArrayList<>();
        for (String entry : hideEntries(pcibackModule)) {
            if (SLOT.matcher(entry).matches()) {
                String e = hideEntry(entry);
                if (!out.contains(e)) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** {@code MODULE.hide=}'s entries that are not a slot pciback parses (left out of pcipass's line). */
    public List<String> unusableHide(String pcibackModule) {
        return hideEntries(pcibackModule).stream().filter(e -> !SLOT.matcher(e).matches()).toList();
    }

    private List<String> hideEntries(String pcibackModule) {
        String v = value(pcibackModule, "hide");
        List<String> out = new ArrayList<>();
        if (v != null) {
            Matcher m = HIDE_ENTRY.matcher(v);
            while (m.find()) {
                if (!m.group(1).isBlank()) {
                    out.add(m.group(1).strip());
                }
            }
        }
        return out;
    }

    /** The order of merged {@code hide=} entries: addresses in address order, then anything else. */
    static final Comparator<String> HIDE_ORDER = Comparator.comparing(KernelCmdline::address,
            Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(Comparator.naturalOrder());

    /**
     * {@code 10DE:1B80} → {@code 10de:1b80}, {@code 8086:10d3:ffffffff:ffffffff} → {@code 8086:10d3};
     * null for an entry with a subvendor, subdevice or class of its own, or no ids at all.
     */
    static String idEntry(String entry) {
        Matcher m = ID.matcher(entry);
        if (!m.matches() || !m.group(3).replace(":ffffffff", "").replace(":FFFFFFFF", "").isEmpty()
                || m.group(3).split(":").length > 3) {
            return null;
        }
        return new DeviceIds(Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16)).toString();
    }

    private static String hideEntry(String entry) {
        PciAddress a = address(entry);
        return a == null ? entry : a.toString();
    }

    private static PciAddress address(String entry) {
        try {
            return entry.startsWith("pci_") ? null : PciAddress.parse(entry);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The words as the kernel splits them: at spaces outside double quotes; quotes removed, as the
     * kernel removes them from a value.
     */
    private List<String> words() {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        for (char c : text.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (Character.isWhitespace(c) && !quoted) {
                add(words, word);
            } else {
                word.append(c);
            }
        }
        add(words, word);
        return words;
    }

    private static void add(List<String> words, StringBuilder word) {
        if (word.length() > 0) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** Names compare with - as _ (the kernel's parameq, kmod's underscores()). */
    private static String normal(String name) {
        return name.replace('-', '_');
    }
}
