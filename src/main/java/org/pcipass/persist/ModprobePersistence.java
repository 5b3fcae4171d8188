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
        PersistPlan plan = PersistPlanner.plan(target, convert(previous), convert(next), sharedIds(next));
        plan.warnings().forEach(w -> notes.add("warning: " + w));
        plan.advice().forEach(a -> notes.add(a.message()));
        plan.bootReapply().forEach(d -> notes.add(ModprobeLines.bootReapplyReason(d)
                + " (pcipass apply-boot is not built yet: until it is, run 'pcipass hide' again after a reboot)"));
        notes.addAll(plan.notes());
        if (!plan.changesFile()) {
            return List.of();
        }
        return List.of(new Step.Edit(plan.file().toString(), plan.before(), plan.after()));
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

    /** Ids that devices outside {@code next} carry too: {@code vfio-pci.ids=} would take those as well. */
    private Set<DeviceIds> sharedIds(Map<PciAddress, HiddenDevice> next) {
        Set<DeviceIds> out = new LinkedHashSet<>();
        for (PciDevice d : host.devices().values()) {
            if (!next.containsKey(d.address()) && d.vendorId() != null && d.deviceId() != null) {
                out.add(new DeviceIds(d.vendorId(), d.deviceId()));
            }
        }
        return out;
    }
}
