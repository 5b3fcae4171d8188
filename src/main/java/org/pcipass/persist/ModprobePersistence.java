package org.pcipass.persist;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.Persistence;
import org.pcipass.plan.Step;

/** {@code --persist} through the modprobe configuration under the config root (the seed's format). */
public final class ModprobePersistence implements Persistence {
    private final HostSnapshot host;
    /** The root's configuration, read once per plan (adoptions and the edit read the same files). */
    private PersistTarget target;
    private Map<PciAddress, DeviceIds> present;

    public ModprobePersistence(HostSnapshot host) {
        this.host = host;
    }

    private PersistTarget target() {
        if (target == null) {
            target = PersistTarget.inspect(host.paths());
        }
        return target;
    }

    private Map<PciAddress, DeviceIds> present() {
        if (present == null) {
            present = present(host);
        }
        return present;
    }

    @Override
    public List<Step.Edit> edits(Map<PciAddress, HiddenDevice> previous, Map<PciAddress, HiddenDevice> next,
            Set<PciAddress> persist, Set<PciAddress> unpersist, List<String> notes) {
        PersistPlan plan = PersistPlanner.plan(target(), convert(previous), convert(next),
                new PersistPlanner.Change(persist, unpersist), present());
        plan.warnings().forEach(w -> notes.add("warning: " + w));
        plan.advice().forEach(a -> notes.add(a.message()));
        notes.addAll(plan.notes()); // the boot re-apply reasons first, as the plan lists them
        List<Step.Edit> edits = new ArrayList<>();
        if (plan.changesFile()) {
            edits.add(new Step.Edit(plan.file().toString(), plan.before(), plan.after()));
        }
        java.nio.file.Path unit = host.paths().configRoot().resolve(BootUnit.FILE);
        if (!plan.bootReapply().isEmpty() && !java.nio.file.Files.exists(unit)) {
            edits.add(new Step.Edit(unit.toString(), null, BootUnit.text(selfCommand())));
            notes.add("enable the boot unit once: systemctl enable pcipass-apply-boot.service");
        }
        return edits;
    }

    @Override
    public String adoptedModule(PciAddress device, String stub, Map<PciAddress, HiddenDevice> registry) {
        PersistedBlock block = PersistedBlock.parse(ModprobeFile.parse(target().path().toString(),
                target().current().text()).blockBody());
        Stub s = Stub.of(stub);
        Set<String> candidates = new LinkedHashSet<>(block.modulesBefore(s));
        registry.values().forEach(h -> {
            if (s.driverName().equals(h.stub()) && h.originalModule() != null) {
                candidates.remove(h.originalModule());
            }
        });
        Map<PciAddress, DeviceIds> present = present();
        long unknown = present.keySet().stream()
                .filter(a -> !registry.containsKey(a) && block.covering(a, present.get(a)).contains(s)).count();
        // one module no record accounts for, and this the one device the file hides there that no record knows
        boolean itsOwn = candidates.size() == 1 && unknown == 1 && block.covering(device, present.get(device)).contains(s);
        String module = itsOwn ? candidates.iterator().next() : null;
        return module != null && PersistedDevice.isModuleName(module) ? module : null; // a hand-edited line may name anything
    }

    /** Every device of the snapshot with its ids (what an ids= line would take). */
    static Map<PciAddress, DeviceIds> present(HostSnapshot host) {
        Map<PciAddress, DeviceIds> out = new java.util.TreeMap<>();
        host.devices().values().forEach(d -> {
            if (d.vendorId() != null && d.deviceId() != null) {
                out.put(d.address(), new DeviceIds(d.vendorId(), d.deviceId()));
            }
        });
        return out;
    }

    /** How systemd starts this very pcipass: the JVM running now, its class path, and the state dir. */
    private String selfCommand() {
        String jvm = ProcessHandle.current().info().command().orElse("/usr/bin/java");
        String cp;
        try {
            cp = java.nio.file.Path.of(ModprobePersistence.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI()).toString();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            cp = "/usr/share/pcipass/pcipass.jar";
        }
        return jvm + " -cp " + cp + " org.pcipass.cli.Main --state-dir " + host.paths().stateDir().toAbsolutePath();
    }

    /** The registry's records as the persistence layer sees them. */
    public static List<PersistedDevice> convert(Map<PciAddress, HiddenDevice> hidden) {
        List<PersistedDevice> out = new ArrayList<>();
        for (HiddenDevice h : hidden.values()) {
            DeviceIds ids = h.vendorId() == null || h.deviceId() == null ? null
                    : DeviceIds.parse(h.vendorId() + ":" + h.deviceId());
            out.add(new PersistedDevice(h.address(), Stub.of(h.stub()), h.originalDriver(), h.originalModule(), ids));
        }
        return out;
    }

    /** Ids that devices outside {@code kept} carry too: {@code vfio-pci.ids=} would take those as well. */
    public static Set<DeviceIds> sharedIds(HostSnapshot host, Set<PciAddress> kept) {
        return PersistPlanner.shared(present(host), kept);
    }
}
