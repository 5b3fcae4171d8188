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
import java.util.TreeSet;
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
 */
public final class ModprobeLines {
    /** The stubs that take devices by id ({@code ids=}), in the order their lines come. */
    static final List<Stub> ID_STUBS = List.of(Stub.VFIO_PCI, Stub.PCI_STUB);

    private ModprobeLines() {}

    /**
     * What {@link #render} decided.
     *
     * @param lines the block's body, no line terminators; empty when modprobe has nothing to do
     * @param advice kernel command-line parameters to add, each with its reason
     * @param bootReapply devices that only {@code pcipass apply-boot} can hide at boot, in address order
     */
    public record Rendering(List<String> lines, List<CmdlineAdvice> advice, List<PersistedDevice> bootReapply) {
        public Rendering {
            lines = List.copyOf(lines);
            advice = List.copyOf(advice);
            bootReapply = List.copyOf(bootReapply);
        }

        /** {@code pcipass config --format modprobe}: the lines, then advice and boot re-apply as comments. */
        public String configText() {
            StringBuilder sb = new StringBuilder();
            lines.forEach(l -> sb.append(l).append('\n'));
            advice.forEach(a -> sb.append("# ").append(a.message()).append('\n'));
            bootReapply.forEach(d -> sb.append("# ").append(bootReapplyReason(d)).append('\n'));
            return sb.toString();
        }
    }

    /**
     * Renders the block for {@code devices}.
     *
     * @param pcibackModule {@code pciback} or {@code xen-pciback}: names the module in both pciback lines
     * @param builtInStubs stubs built into the kernel: modprobe options do nothing for them
     * @param sharedIds vendor:device ids that devices outside the persisted set also carry: an
     *     {@code ids=} line would take those devices too, so devices with these ids are re-applied at boot
     */
    public static Rendering render(Collection<PersistedDevice> devices, String pcibackModule,
            Set<Stub> builtInStubs, Set<DeviceIds> sharedIds) {
        List<PersistedDevice> sorted = sorted(devices);
        List<String> lines = new ArrayList<>();
        List<CmdlineAdvice> advice = new ArrayList<>();
        Set<PersistedDevice> boot = new TreeSet<>();
        renderPciback(of(sorted, Stub.PCIBACK), pcibackModule, builtInStubs, lines, advice, boot);
        Set<DeviceIds> unusable = new HashSet<>(sharedIds);
        unusable.addAll(idsOnBothIdStubs(sorted));
        Map<String, Set<Stub>> softdeps = new LinkedHashMap<>();
        for (Stub stub : ID_STUBS) {
            List<PersistedDevice> group = of(sorted, stub);
            List<PersistedDevice> byIds = group.stream().filter(d -> !unusable.contains(d.ids())).toList();
            group.stream().filter(d -> unusable.contains(d.ids())).forEach(boot::add);
            renderIdStub(stub, byIds, builtInStubs.contains(stub), lines, advice, boot, softdeps);
        }
        softdeps.forEach((module, stubs) -> lines.add(softdepLine(module, stubs)));
        return new Rendering(lines, advice, new ArrayList<>(boot));
    }

    /**
     * {@code pcipass config --format cmdline}: the kernel command-line form for every device,
     * e.g. {@code xen-pciback.hide=(0000:09:00.0)(0000:0a:04.1) vfio-pci.ids=10de:1b80}.
     */
    public static String cmdline(Collection<PersistedDevice> devices, String pcibackModule) {
        List<PersistedDevice> sorted = sorted(devices);
        List<String> params = new ArrayList<>();
        List<PersistedDevice> pciback = of(sorted, Stub.PCIBACK);
        if (!pciback.isEmpty()) {
            params.add(hideParameter(pcibackModule, pciback));
        }
        for (Stub stub : ID_STUBS) {
            List<PersistedDevice> group = of(sorted, stub);
            if (!group.isEmpty()) {
                params.add(idsParameter(stub, group));
            }
        }
        return String.join(" ", params);
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

    /** {@code options pciback hide=(0000:09:00.0)(0000:0a:04.1)}'s value. */
    public static String hideValue(Collection<PersistedDevice> devices) {
        return sorted(devices).stream().map(d -> "(" + d.address() + ")").collect(Collectors.joining());
    }

    /** {@code ids=}'s value: sorted, each id once, comma-separated. */
    public static String idsValue(Collection<PersistedDevice> devices) {
        return devices.stream().map(PersistedDevice::ids).collect(Collectors.toCollection(TreeSet::new))
                .stream().map(DeviceIds::toString).collect(Collectors.joining(","));
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

    private static void renderPciback(List<PersistedDevice> devices, String module, Set<Stub> builtInStubs,
            List<String> lines, List<CmdlineAdvice> advice, Set<PersistedDevice> boot) {
        if (devices.isEmpty()) {
            return;
        }
        String parameter = hideParameter(module, devices);
        if (builtInStubs.contains(Stub.PCIBACK)) {
            advice.add(new CmdlineAdvice(parameter, builtInStubWhy(module)));
            return;
        }
        for (String original : originalModules(devices)) {
            lines.add(installLine(original, module));
        }
        lines.add(hideLine(module, hideValue(devices)));
        builtInDriverAdvice(devices, module, parameter, advice, boot);
    }

    private static void renderIdStub(Stub stub, List<PersistedDevice> devices, boolean stubBuiltIn,
            List<String> lines, List<CmdlineAdvice> advice, Set<PersistedDevice> boot,
            Map<String, Set<Stub>> softdeps) {
        if (devices.isEmpty()) {
            return;
        }
        String parameter = idsParameter(stub, devices);
        if (stubBuiltIn) {
            advice.add(new CmdlineAdvice(parameter, builtInStubWhy(stub.driverName())));
            return;
        }
        lines.add(idsLine(stub, idsValue(devices)));
        for (String original : originalModules(devices)) {
            softdeps.computeIfAbsent(original, m -> new LinkedHashSet<>()).add(stub);
        }
        builtInDriverAdvice(devices, stub.driverName(), parameter, advice, boot);
    }

    /** {@code install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2}: pciback first. */
    static String installLine(String original, String pcibackModule) {
        return "install " + original + " /sbin/modprobe " + pcibackModule + "; /sbin/modprobe --first-time --ignore-install "
                + original;
    }

    /** {@code options pciback hide=(0000:09:00.0)(0000:0a:04.1)}. */
    static String hideLine(String pcibackModule, String value) {
        return "options " + pcibackModule + " hide=" + value;
    }

    /** {@code options vfio-pci ids=10de:1b80,10de:10f0}. */
    static String idsLine(Stub stub, String value) {
        return "options " + stub.driverName() + " ids=" + value;
    }

    /** {@code softdep nouveau pre: vfio-pci}: the stubs load before the original module. */
    static String softdepLine(String module, Set<Stub> stubs) {
        return "softdep " + module + " pre: " + stubs.stream().map(Stub::driverName).collect(Collectors.joining(" "));
    }

    /** A built-in original driver binds during kernel start, before a modular stub can be loaded. */
    private static void builtInDriverAdvice(List<PersistedDevice> devices, String stubModule, String parameter,
            List<CmdlineAdvice> advice, Set<PersistedDevice> boot) {
        List<PersistedDevice> builtIn = devices.stream().filter(PersistedDevice::builtIn).toList();
        if (builtIn.isEmpty()) {
            return;
        }
        boot.addAll(builtIn);
        String who = builtIn.stream().map(d -> d.driver() + " (" + d.address() + ")").collect(Collectors.joining(", "));
        advice.add(new CmdlineAdvice(parameter, who + (builtIn.size() == 1 ? " is" : " are")
                + " built into the kernel, and no modprobe line can load " + stubModule
                + " before a built-in driver binds; the command line wins only where " + stubModule
                + " is built in too, so pcipass also re-applies the hide at boot"));
    }

    private static String builtInStubWhy(String module) {
        return module + " is built into the kernel, so it ignores modprobe options";
    }

    private static String hideParameter(String module, List<PersistedDevice> devices) {
        return module + ".hide=" + hideValue(devices);
    }

    private static String idsParameter(Stub stub, List<PersistedDevice> devices) {
        return stub.driverName() + ".ids=" + idsValue(devices);
    }

    private static Set<DeviceIds> idsOnBothIdStubs(List<PersistedDevice> devices) {
        Set<DeviceIds> vfio = of(devices, Stub.VFIO_PCI).stream().map(PersistedDevice::ids).collect(Collectors.toSet());
        return of(devices, Stub.PCI_STUB).stream().map(PersistedDevice::ids).filter(vfio::contains)
                .collect(Collectors.toSet());
    }

    private static List<PersistedDevice> of(List<PersistedDevice> devices, Stub stub) {
        return devices.stream().filter(d -> d.stub() == stub).toList();
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
