package org.pcipass.persist;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.Persistence;
import org.pcipass.plan.Step;

/** {@code --persist} through the modprobe configuration under the config root (the seed's format). */
public final class ModprobePersistence implements Persistence {
    private final HostSnapshot host;

    public ModprobePersistence(HostSnapshot host) {
        this.host = host;
    }

    @Override
    public List<Step.Edit> edits(Map<PciAddress, HiddenDevice> previous, Map<PciAddress, HiddenDevice> next,
            List<String> notes) {
        PersistTarget target = PersistTarget.inspect(host.paths());
        PersistPlan plan = PersistPlanner.plan(target, convert(previous), convert(next), sharedIds(host, next.keySet()));
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
            out.add(new PersistedDevice(h.address(), Stub.of(h.stub()), h.originalDriver(),
                    h.originalDriver() == null ? null : h.originalModule(), ids));
        }
        return out;
    }

    /** Ids that devices outside {@code kept} carry too: {@code vfio-pci.ids=} would take those as well. */
    public static Set<DeviceIds> sharedIds(HostSnapshot host, Set<PciAddress> kept) {
        Set<DeviceIds> out = new LinkedHashSet<>();
        for (PciDevice d : host.devices().values()) {
            if (!kept.contains(d.address()) && d.vendorId() != null && d.deviceId() != null) {
                out.add(new DeviceIds(d.vendorId(), d.deviceId()));
            }
        }
        return out;
    }
}
