package org.pcipass.persist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.pcipass.pci.PciAddress;

/**
 * Renders pcipass's block from the set of persisted devices, in the seed's format:
 *
 * <pre>
 * install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2
 * options pciback hide=(0000:09:00.0)(0000:0a:04.1)
 * options vfio-pci ids=10de:1b80,10de:10f0
 * softdep nouveau pre: vfio-pci
 * </pre>
 *
 * Lines come in that order: pciback's {@code install} lines (one per original module, ordered by
 * the module's first device address), its {@code options} line (every device, in address order),
 * then {@code options vfio-pci ids=}, {@code options pci-stub ids=}, then one {@code softdep} per
 * original module of the id-based stubs. What modprobe cannot do becomes {@link CmdlineAdvice}
 * (a built-in stub or original driver) or a boot re-apply (ids shared with devices that stay).
 *
 * <p>A stub parameter on the kernel command line ({@link KernelCmdline}) is merged into the stub's
 * line and into the advice, so that the devices either names stay hidden: where modprobe reads the
 * command line, its value replaces the line's when the stub loads, so pcipass's devices it does not
 * name are advised onto it and re-applied at boot.
 */
public final class ModprobeLines {
    /** The stubs that take devices by id ({@code ids=}), in the order their lines come. */
    static final List<Stub> ID_STUBS = List.of(Stub.VFIO_PCI, Stub.PCI_STUB);

    private ModprobeLines() {}

    /**
     * What {@link #render} decided.
     *
     * @param lines the block's body, no line terminators; empty when modprobe has nothing to do
     * @param advice kernel command-line parameters to add or change, each with its reason
     * @param bootReapply devices that only {@code pcipass apply-boot} can hide at boot, in address order
     * @param notes what else to say: why each boot re-apply device is one (in its order), then what
     *     pcipass took from the kernel command line
     */
    public record Rendering(List<String> lines, List<CmdlineAdvice> advice, List<PersistedDevice> bootReapply,
            List<String> notes) {
        public Rendering {
            lines = List.copyOf(lines);
            advice = List.copyOf(advice);
            bootReapply = List.copyOf(bootReapply);
            notes = List.copyOf(notes);
        }

        /** {@code pcipass config --format modprobe}: the lines, then advice and notes as comments. */
        public String configText() {
            StringBuilder sb = new StringBuilder();
            lines.forEach(l -> sb.append(l).append('\n'));
            advice.forEach(a -> sb.append("# ").append(a.message()).append('\n'));
            notes.forEach(n -> sb.append("# ").append(n).append('\n'));
            return sb.toString();
        }
    }

    /** {@link #render(Collection, String, Set, Set, KernelCmdline)} for a command line without stub parameters. */
    public static Rendering render(Collection<PersistedDevice> devices, String pcibackModule,
            Set<Stub> builtInStubs, Set<DeviceIds> sharedIds) {
        return render(devices, pcibackModule, builtInStubs, sharedIds, KernelCmdline.NONE);
    }

    /**
     * Renders the block for {@code devices}.
     *
     * @param pcibackModule {@code pciback} or {@code xen-pciback}: names the module in both pciback lines
     * @param builtInStubs stubs built into the kernel: modprobe options do nothing for them
     * @param sharedIds vendor:device ids that devices outside the persisted set also carry: an
     *     {@code ids=} line would take those devices too, so devices with these ids are re-applied at boot
     * @param cmdline the kernel command line: its stub parameters are merged (see the class comment)
     */
    public static Rendering render(Collection<PersistedDevice> devices, String pcibackModule,
            Set<Stub> builtInStubs, Set<DeviceIds> sharedIds, KernelCmdline cmdline) {
        List<PersistedDevice> sorted = sorted(devices);
        Out out = new Out();
        renderPciback(of(sorted, Stub.PCIBACK), pcibackModule, builtInStubs.contains(Stub.PCIBACK), cmdline, out);
        Set<DeviceIds> unusable = new HashSet<>(sharedIds);
        unusable.addAll(idsOnBothIdStubs(sorted));
        Map<String, Set<Stub>> softdeps = new LinkedHashMap<>();
        for (Stub stub : ID_STUBS) {
            List<PersistedDevice> group = of(sorted, stub);
            List<PersistedDevice> byIds = group.stream().filter(d -> !unusable.contains(d.ids())).toList();
            group.stream().filter(d -> unusable.contains(d.ids())).forEach(d -> out.reapply(d, bootReapplyReason(d)));
            renderIdStub(stub, byIds, builtInStubs.contains(stub), cmdline, out, softdeps);
        }
        softdeps.forEach((module, stubs) -> out.lines.add(softdepLine(module, stubs)));
        return out.rendering();
    }

    /**
     * {@code pcipass config --format cmdline}: the kernel command-line form for every device,
     * e.g. {@code xen-pciback.hide=(0000:09:00.0)(0000:0a:04.1) vfio-pci.ids=10de:1b80}.
     */
    public static String cmdline(Collection<PersistedDevice> devices, String pcibackModule) {
        return cmdline(devices, pcibackModule, KernelCmdline.NONE);
    }

    /** {@link #cmdline(Collection, String)}, each parameter merged with the same one on {@code cmdline}. */
    public static String cmdline(Collection<PersistedDevice> devices, String pcibackModule, KernelCmdline cmdline) {
        List<PersistedDevice> sorted = sorted(devices);
        List<String> params = new ArrayList<>();
        List<PersistedDevice> pciback = of(sorted, Stub.PCIBACK);
        if (!pciback.isEmpty()) {
            params.add(StubParam.hide(pcibackModule, cmdline).parameter(pciback));
        }
        for (Stub stub : ID_STUBS) {
            List<PersistedDevice> group = of(sorted, stub);
            if (!group.isEmpty()) {
                params.add(StubParam.ids(stub, cmdline).parameter(group));
            }
        }
        return String.join(" ", params);
    }

    /**
     * What to say about the devices of {@code previous} that {@code next} no longer persists but
     * the kernel command line still names: the stub takes them again at the next boot.
     */
    public static List<String> stillOnCmdline(Collection<PersistedDevice> previous, Collection<PersistedDevice> next,
            String pcibackModule, Set<Stub> builtInStubs, KernelCmdline cmdline) {
        Set<PciAddress> kept = next.stream().map(PersistedDevice::address).collect(Collectors.toSet());
        List<String> notes = new ArrayList<>();
        for (PersistedDevice d : sorted(previous)) {
            StubParam p = StubParam.of(d.stub(), pcibackModule, cmdline);
            boolean read = cmdline.readByModprobe() || builtInStubs.contains(d.stub());
            if (!kept.contains(d.address()) && read && p.names(d)) {
                notes.add(d.address() + " stays named by the kernel command line's " + p.current() + ", so "
                        + p.module() + " takes it again at the next boot: remove " + p.entry(d) + " from that"
                        + " parameter to keep it on the host");
            }
        }
        return notes;
    }

    /** The modules a block for {@code devices} configures with {@code options}: the stubs in use. */
    public static Set<String> stubModules(Collection<PersistedDevice> devices, String pcibackModule) {
        Set<String> names = new LinkedHashSet<>();
        for (PersistedDevice d : sorted(devices)) {
            names.add(d.stub().module(pcibackModule));
            if (d.stub() == Stub.PCIBACK) {
                names.add("pciback");
                names.add("xen-pciback");
            }
        }
        return names;
    }

    /** The original drivers' modules, ordered by their first device's address. */
    public static Set<String> originalModules(Collection<PersistedDevice> devices) {
        Set<String> modules = new LinkedHashSet<>();
        sorted(devices).stream().map(PersistedDevice::module).filter(Objects::nonNull).forEach(modules::add);
        return modules;
    }

    /** Why a device is in {@link Rendering#bootReapply()}. */
    public static String bootReapplyReason(PersistedDevice d) {
        if (d.builtIn()) {
            return d.address() + ": " + d.driver() + " is built into the kernel and binds it before any module"
                    + " loads; pcipass apply-boot moves it to " + d.stub() + " early in boot";
        }
        return d.address() + ": other devices that stay on the host also have ids " + d.ids() + ", which "
                + d.stub() + ".ids would take too; pcipass apply-boot hides this one by address early in boot";
    }

    private static void renderPciback(List<PersistedDevice> devices, String module, boolean stubBuiltIn,
            KernelCmdline cmdline, Out out) {
        if (devices.isEmpty()) {
            return;
        }
        StubParam p = StubParam.hide(module, cmdline);
        otherPcibackName(module, cmdline, out);
        if (stubBuiltIn) {
            builtInStub(p, devices, out);
            return;
        }
        for (String original : originalModules(devices)) {
            out.lines.add(installLine(original, module));
        }
        out.lines.add(p.optionsLine(devices));
        builtInDriverAdvice(devices, p, out);
        mergeTheCommandLine(p, devices, cmdline, out);
    }

    private static void renderIdStub(Stub stub, List<PersistedDevice> devices, boolean stubBuiltIn,
            KernelCmdline cmdline, Out out, Map<String, Set<Stub>> softdeps) {
        if (devices.isEmpty()) {
            return;
        }
        StubParam p = StubParam.ids(stub, cmdline);
        if (stubBuiltIn) {
            builtInStub(p, devices, out);
            return;
        }
        out.lines.add(p.optionsLine(devices));
        for (String original : originalModules(devices)) {
            softdeps.computeIfAbsent(original, m -> new LinkedHashSet<>()).add(stub);
        }
        builtInDriverAdvice(devices, p, out);
        mergeTheCommandLine(p, devices, cmdline, out);
    }

    /** A built-in stub reads the command line alone: advise it, merged, unless it names every device already. */
    private static void builtInStub(StubParam p, List<PersistedDevice> devices, Out out) {
        if (!p.missed(devices).isEmpty()) {
            out.advise(new CmdlineAdvice(p.parameter(devices), builtInStubWhy(p.module()), p.current()));
        }
    }

    /** {@code install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2}: pciback first. */
    static String installLine(String original, String pcibackModule) {
        return "install " + original + " /sbin/modprobe " + pcibackModule + "; /sbin/modprobe --first-time --ignore-install "
                + original;
    }

    /** {@code options pciback hide=(0000:09:00.0)(0000:0a:04.1)}, {@code options vfio-pci ids=10de:1b80,10de:10f0}. */
    static String optionsLine(String module, String parameter, String value) {
        return "options " + module + " " + parameter + "=" + value;
    }

    /** {@code softdep nouveau pre: vfio-pci}: the stubs load before the original module. */
    static String softdepLine(String module, Set<Stub> stubs) {
        return "softdep " + module + " pre: " + stubs.stream().map(Stub::driverName).collect(Collectors.joining(" "));
    }

    /** A built-in original driver binds during kernel start, before a modular stub can be loaded. */
    private static void builtInDriverAdvice(List<PersistedDevice> devices, StubParam p, Out out) {
        List<PersistedDevice> builtIn = devices.stream().filter(PersistedDevice::builtIn).toList();
        builtIn.forEach(d -> out.reapply(d, bootReapplyReason(d)));
        if (p.missed(builtIn).isEmpty()) {
            return;
        }
        String stubModule = p.module();
        String who = builtIn.stream().map(d -> d.driver() + " (" + d.address() + ")").collect(Collectors.joining(", "));
        out.advise(new CmdlineAdvice(p.parameter(devices), who + (builtIn.size() == 1 ? " is" : " are")
                + " built into the kernel, and no modprobe line can load " + stubModule
                + " before a built-in driver binds; the command line wins only where " + stubModule
                + " is built in too, so pcipass also re-applies the hide at boot", p.current()));
    }

    /**
     * The command line's own value for a modular stub: merged into the line (said when it adds to
     * it); where modprobe passes it to the stub it comes after the line's and wins, so the devices
     * it does not name need it changed, and apply-boot until then.
     */
    private static void mergeTheCommandLine(StubParam p, List<PersistedDevice> devices, KernelCmdline cmdline, Out out) {
        if (p.current() == null) {
            return;
        }
        if (!p.unusable().isEmpty()) {
            out.notes.add("the kernel command line's " + p.current() + " has " + String.join(", ", p.unusable())
                    + ", which pcipass does not copy into its " + p.module() + " line (it writes "
                    + (p.isHide() ? "[domain:]bus:slot.function entries" : "vendor:device pairs only") + ")");
        }
        if (p.addsTo(devices)) {
            out.notes.add("the kernel command line (/proc/cmdline) has " + p.current() + (cmdline.readByModprobe()
                    ? ": pcipass's line carries its " + p.what() + " too (" + p.optionsLine(devices) + "), so that"
                            + " they stay hidden if the parameter leaves the command line"
                    : ", which this system's modprobe never passes to " + p.module() + " (module-init-tools before"
                            + " 3.5 does not read /proc/cmdline): pcipass's line carries its " + p.what() + " too ("
                            + p.optionsLine(devices) + "), so that they are hidden at boot"));
        }
        List<PersistedDevice> missed = p.missed(devices);
        if (!cmdline.readByModprobe() || missed.isEmpty()) {
            return;
        }
        String them = missed.stream().map(d -> d.address() + (p.isHide() ? "" : " (" + d.ids() + ")"))
                .collect(Collectors.joining(", "));
        out.advise(new CmdlineAdvice(p.parameter(devices), "when modprobe loads " + p.module() + ", it gives the"
                + " command line's " + p.name() + "= after the options line's and the last one wins, so "
                + p.module() + " would not take " + them + " at boot; until the command line names "
                + (missed.size() == 1 ? "it" : "them") + ", pcipass apply-boot hides " + (missed.size() == 1 ? "it"
                : "them") + " early in boot", p.current()));
        missed.forEach(d -> out.reapply(d, d.address() + ": the kernel command line's " + p.current()
                + " replaces the " + p.name() + "= of pcipass's line when " + p.module() + " loads, and does not"
                + " name " + p.entry(d) + "; pcipass apply-boot hides this one by address early in boot"));
    }

    /** {@code pciback.hide=} on a kernel whose module is xen-pciback (or the reverse) reaches no module. */
    private static void otherPcibackName(String module, KernelCmdline cmdline, Out out) {
        String other = module.equals("pciback") ? "xen-pciback" : "pciback";
        String there = cmdline.parameter(other, "hide");
        if (there != null) {
            out.notes.add("the kernel command line's " + there + " does nothing on this system: its pciback module"
                    + " is " + module + ", which reads " + module + ".hide=");
        }
    }

    private static String builtInStubWhy(String module) {
        return module + " is built into the kernel, so it ignores modprobe options";
    }

    private static Set<DeviceIds> idsOnBothIdStubs(List<PersistedDevice> devices) {
        Set<DeviceIds> vfio = of(devices, Stub.VFIO_PCI).stream().map(PersistedDevice::ids).collect(Collectors.toSet());
        return of(devices, Stub.PCI_STUB).stream().map(PersistedDevice::ids).filter(vfio::contains)
                .collect(Collectors.toSet());
    }

    private static List<PersistedDevice> of(List<PersistedDevice> devices, Stub stub) {
        return devices.stream().filter(d -> d.stub() == stub).toList();
    }

    /** What a rendering collects: lines, advice (one per parameter), boot re-applies with their reasons, notes. */
    private static final class Out {
        final List<String> lines = new ArrayList<>();
        final List<CmdlineAdvice> advice = new ArrayList<>();
        final Map<PersistedDevice, String> boot = new TreeMap<>();
        final List<String> notes = new ArrayList<>();

        /** The first reason found for a device is its reason. */
        void reapply(PersistedDevice d, String reason) {
            boot.putIfAbsent(d, reason);
        }

        /** One piece of advice per parameter: the first one says why. */
        void advise(CmdlineAdvice a) {
            if (advice.stream().noneMatch(x -> x.name().equals(a.name()))) {
                advice.add(a);
            }
        }

        Rendering rendering() {
            List<String> all = new ArrayList<>(boot.values());
            all.addAll(notes);
            return new Rendering(lines, advice, new ArrayList<>(boot.keySet()), all);
        }
    }

    /** Address order; one entry per address. */
    static List<PersistedDevice> sorted(Collection<PersistedDevice> devices) {
        List<PersistedDevice> sorted = devices.stream().sorted().toList();
        for (int i = 1; i < sorted.size(); i++) {
            PciAddress a = sorted.get(i).address();
            if (a.equals(sorted.get(i - 1).address()) && !sorted.get(i).equals(sorted.get(i - 1))) {
                throw new IllegalArgumentException(a + " is persisted twice, with different details: "
                        + sorted.get(i - 1) + " and " + sorted.get(i));
            }
        }
        return sorted.stream().distinct().toList();
    }
}
