package org.pcipass.persist;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.pcipass.pci.PciAddress;

/**
 * What pcipass's block says, as modprobe reads it: the original modules pciback loads first
 * ({@code install}), the devices pciback hides ({@code hide=}, each entry as written: an address, or
 * a pattern with {@code *}), the ids vfio-pci and pci-stub take ({@code ids=}), the modules that wait
 * for them ({@code softdep}), and every other line, kept as it is. A command edits only what belongs
 * to the devices it changes; the rest of the block stays as the file says, whatever pcipass's
 * registry remembers (it may have been lost, or a line removed by hand).
 */
final class PersistedBlock {
    private static final Pattern INSTALL = Pattern.compile(
            "install (\\S+) /sbin/modprobe (?:xen-)?pciback; /sbin/modprobe --first-time --ignore-install (\\S+)");
    private static final Pattern HIDE = Pattern.compile("options (?:xen-)?pciback hide=((?:\\([^()\\s]+\\))+)");
    private static final Pattern ENTRY = Pattern.compile("\\(([^()\\s]+)\\)");
    private static final Pattern IDS = Pattern.compile(
            "options (vfio-pci|pci-stub) ids=([0-9a-fA-F]{4}:[0-9a-fA-F]{4}(?:,[0-9a-fA-F]{4}:[0-9a-fA-F]{4})*)");
    private static final Pattern SOFTDEP = Pattern.compile("softdep (\\S+) pre:((?: (?:vfio-pci|pci-stub))+)");

    /** An options line for one of the stubs, whatever its parameters. */
    private static final Pattern STUB_OPTIONS = Pattern.compile("options\\s+(?:xen[-_])?pciback\\b.*|options\\s+vfio[-_]pci\\b.*"
            + "|options\\s+pci[-_]stub\\b.*");

    private final Set<String> installs = new LinkedHashSet<>();
    private final Set<String> hide = new TreeSet<>(KernelCmdline.HIDE_ORDER);
    private final Map<Stub, Set<DeviceIds>> ids = new EnumMap<>(Stub.class);
    private final Map<String, Set<Stub>> softdeps = new LinkedHashMap<>();
    private final List<String> other = new ArrayList<>();

    private PersistedBlock() {
        ModprobeLines.ID_STUBS.forEach(s -> ids.put(s, new TreeSet<>()));
    }

    /** Reads a block's body (as {@link ModprobeFile#blockBody()} or {@link ModprobeLines.Rendering#lines()} gives it). */
    static PersistedBlock parse(List<String> body) {
        PersistedBlock b = new PersistedBlock();
        body.forEach(b::read);
        return b;
    }

    private void read(String line) {
        String l = line.strip();
        Matcher m;
        if ((m = INSTALL.matcher(l)).matches() && m.group(1).equals(m.group(2))) {
            installs.add(m.group(1));
        } else if ((m = HIDE.matcher(l)).matches()) {
            Matcher e = ENTRY.matcher(m.group(1));
            while (e.find()) {
                hide.add(e.group(1).toLowerCase(java.util.Locale.ROOT));
            }
        } else if ((m = IDS.matcher(l)).matches()) {
            for (String id : m.group(2).split(",")) {
                ids.get(Stub.of(m.group(1))).add(DeviceIds.parse(id));
            }
        } else if ((m = SOFTDEP.matcher(l)).matches()) {
            Set<Stub> stubs = softdeps.computeIfAbsent(m.group(1), k -> EnumSet.noneOf(Stub.class));
            for (String s : m.group(2).strip().split(" ")) {
                stubs.add(Stub.of(s));
            }
        } else if (!l.isEmpty()) {
            other.add(line);
        }
    }

    /**
     * The body in the renderer's order ({@link ModprobeLines}): install lines, pciback's hide=,
     * vfio-pci's and pci-stub's ids=, softdeps, then the lines pcipass does not write.
     */
    List<String> lines(String pcibackModule) {
        List<String> out = new ArrayList<>();
        installs.forEach(m -> out.add(ModprobeLines.installLine(m, pcibackModule)));
        if (!hide.isEmpty()) {
            out.add(ModprobeLines.optionsLine(pcibackModule, "hide",
                    hide.stream().map(e -> "(" + e + ")").collect(Collectors.joining())));
        }
        ids.forEach((stub, set) -> {
            if (!set.isEmpty()) {
                out.add(ModprobeLines.optionsLine(stub.driverName(), "ids",
                        set.stream().map(DeviceIds::toString).collect(Collectors.joining(","))));
            }
        });
        softdeps.forEach((module, stubs) -> {
            if (!stubs.isEmpty()) {
                out.add(ModprobeLines.softdepLine(module, stubs));
            }
        });
        out.addAll(other);
        return out;
    }

    // ---- what it hides -----------------------------------------------------------------------------

    /** The stubs whose lines hide device {@code a} (with ids {@code id}, null when unknown) at boot. */
    Set<Stub> covering(PciAddress a, DeviceIds id) {
        Set<Stub> out = EnumSet.noneOf(Stub.class);
        if (hide.stream().anyMatch(e -> matches(e, a))) {
            out.add(Stub.PCIBACK);
        }
        ids.forEach((stub, set) -> {
            if (id != null && set.contains(id)) {
                out.add(stub);
            }
        });
        return out;
    }

    /** A pattern entry of the hide list ({@code 0000:0a:*.*}) that takes {@code a}, or null. */
    String patternCovering(PciAddress a) {
        return hide.stream().filter(e -> e.contains("*") && matches(e, a)).findFirst().orElse(null);
    }

    /** The lines pcipass does not write that name {@code a} or its ids: it cannot edit them for a command. */
    List<String> otherLinesNaming(PciAddress a, DeviceIds id) {
        String lower = a.toString();
        String shortForm = lower.substring(5);
        return other.stream().filter(l -> !STUB_OPTIONS.matcher(l.strip()).matches()).filter(l -> { // those: refused anyway
            String x = l.toLowerCase(java.util.Locale.ROOT);
            return x.contains(lower) || x.contains("(" + shortForm + ")") || (id != null && x.contains(id.toString()));
        }).toList();
    }

    /**
     * The block's options lines for a stub that it cannot read as pcipass writes them (a long-form
     * id, another parameter): a second line of pcipass's for that stub would fight them at boot.
     */
    List<String> unreadableStubOptions() {
        return other.stream().filter(l -> STUB_OPTIONS.matcher(l.strip()).matches()).toList();
    }

    /** The original modules the block loads before {@code stub}: install lines for pciback, softdeps for the others. */
    Set<String> modulesBefore(Stub stub) {
        if (stub == Stub.PCIBACK) {
            return Set.copyOf(installs);
        }
        Set<String> out = new LinkedHashSet<>();
        softdeps.forEach((m, stubs) -> {
            if (stubs.contains(stub)) {
                out.add(m);
            }
        });
        return out;
    }

    /** pciback's hide entry as the kernel compares it: domain optional, {@code *} for slot or function. */
    static boolean matches(String entry, PciAddress a) {
        String e = entry.indexOf(':') == entry.lastIndexOf(':') ? "0000:" + entry : entry;
        String[] want = e.split("[:.]");
        String[] have = a.toString().split("[:.]");
        if (want.length != 4) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            if (!want[i].equals("*") && !strip(want[i]).equals(strip(have[i]))) {
                return false;
            }
        }
        return true;
    }

    private static String strip(String hex) {
        String s = hex.replaceFirst("^0+(?=.)", "");
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    // ---- edits -------------------------------------------------------------------------------------

    /** Drops {@code a}'s own hide entry and its ids from {@code stub}'s ids= line. */
    void uncover(PciAddress a, DeviceIds id, Stub stub) {
        if (stub == Stub.PCIBACK) {
            hide.remove(a.toString());
            hide.removeIf(e -> !e.contains("*") && matches(e, a));
        } else if (id != null) {
            ids.get(stub).remove(id);
        }
    }

    /** Drops the line that loads {@code module} before {@code stub}. */
    void dropModule(String module, Stub stub) {
        if (stub == Stub.PCIBACK) {
            installs.remove(module);
        } else if (softdeps.containsKey(module)) {
            softdeps.get(module).remove(stub);
        }
    }

    /**
     * Drops the lines that order modules before a stub that takes nothing at boot any more
     * (pciback's install lines without a hide= entry, softdeps for a stub without ids=).
     */
    void dropIdleModuleLines() {
        if (hide.isEmpty()) {
            installs.clear();
        }
        softdeps.values().forEach(stubs -> stubs.removeIf(s -> ids.get(s).isEmpty()));
    }

    /** Adds everything {@code more} says (a rendering of the devices a command persists). */
    void add(PersistedBlock more) {
        installs.addAll(more.installs);
        hide.addAll(more.hide);
        more.ids.forEach((stub, set) -> ids.get(stub).addAll(set));
        more.softdeps.forEach((m, stubs) -> softdeps.computeIfAbsent(m, k -> EnumSet.noneOf(Stub.class)).addAll(stubs));
        more.other.forEach(l -> {
            if (!other.contains(l)) {
                other.add(l);
            }
        });
    }
}
