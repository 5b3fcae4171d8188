package org.pcipass.plan;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.pcipass.PcipassException;
import org.pcipass.host.Assessment;
import org.pcipass.host.HostSnapshot;
import org.pcipass.host.Hypervisor;
import org.pcipass.host.KernelModules;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;

/**
 * Turns a hide or unhide request and one host snapshot into a {@link Plan} (REFERENCE.md's safe
 * order), or refuses it with every reason at once. Reads nothing but the snapshot.
 */
public final class Planner {
    private static final String ROOT_REASON = "carries the root filesystem (/)";

    private final HostSnapshot host;
    private final Map<PciAddress, HiddenDevice> hidden;
    private final Persistence persistence;
    private final Bindings bindings;

    /**
     * @param hidden the registry of devices pcipass has hidden, as it is now
     */
    public Planner(HostSnapshot host, Map<PciAddress, HiddenDevice> hidden, Persistence persistence) {
        this.host = host;
        this.hidden = Map.copyOf(hidden);
        this.persistence = persistence;
        this.bindings = new Bindings(host);
    }

    /** The snapshot this planner plans on. */
    public HostSnapshot host() {
        return host;
    }

    /** The registry of hidden devices this planner started from. */
    Map<PciAddress, HiddenDevice> hidden() {
        return hidden;
    }

    /** The stub a hide uses when none is named: pciback in a Xen dom0, vfio-pci otherwise. */
    public static String defaultStub(Hypervisor hv) {
        return hv == Hypervisor.XEN_DOM0 ? "pciback" : "vfio-pci";
    }

    public Plan hide(HideRequest r, String command) {
        String stub = r.driver() != null ? r.driver() : defaultStub(host.hypervisor());
        if (stub.equals("pciback") && host.hypervisor() != Hypervisor.XEN_DOM0) {
            throw new PcipassException.Refused("pciback loads only in a Xen dom0 and this host is "
                    + host.hypervisor().label() + "; use --driver vfio-pci or --driver pci-stub");
        }
        r.devices().forEach(host::device); // unknown devices are bad input (exit 2) before any refusal
        List<String> refusals = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<PciAddress> targets = new TreeSet<>();
        Set<PciAddress> refused = new TreeSet<>();
        for (PciAddress a : r.devices()) {
            int n = refusals.size();
            refuseIfPolicySays(host.device(a), stub, r.force(), refusals);
            if (refusals.size() > n) {
                refused.add(a);
            }
            targets.add(a);
        }
        for (PciAddress a : r.devices()) {
            if (refused.contains(a)) {
                continue; // its own refusal says enough
            }
            for (PciAddress s : siblingsOnHostDrivers(host.device(a))) {
                if (targets.contains(s)) {
                    continue;
                }
                if (r.withGroup()) {
                    refuseIfPolicySays(host.device(s), stub, r.force(), refusals);
                    targets.add(s);
                    notes.add("hiding " + s + " too: it shares IOMMU group " + host.device(a).iommuGroup() + " with " + a);
                } else {
                    PciDevice sd = host.device(s);
                    refusals.add(a + " shares IOMMU group " + host.device(a).iommuGroup() + " with " + s + " (driver "
                            + sd.driver() + "), which stays on a host driver; pass --with-group to hide them together");
                }
            }
        }
        List<Step> steps = new ArrayList<>();
        String stubModule = stubModule(stub, refusals);
        if (!refusals.isEmpty()) {
            throw new PcipassException.Refused(String.join("; ", new LinkedHashSet<>(refusals)));
        }
        if (stubModule != null) {
            steps.add(new Step.Run(List.of("modprobe", stubModule)));
        }
        Map<PciAddress, DeviceState> before = new TreeMap<>();
        Map<PciAddress, HiddenDevice> after = new TreeMap<>(hidden);
        Map<Integer, PciAddress> lastOfGroup = new TreeMap<>();
        for (PciAddress a : targets) {
            PciDevice d = host.device(a);
            if (stub.equals(d.driver())) {
                notes.add(a + " is already hidden on " + stub);
                if (r.persist() && !after.containsKey(a)) {
                    after.put(a, adopt(d, stub, true, notes)); // hidden at boot or by hand: persisted from now on
                } else if (r.persist() && !after.get(a).persisted()) {
                    after.put(a, after.get(a).withPersisted(true));
                }
                continue;
            }
            before.put(a, bindings.state(d));
            steps.addAll(bindings.hideSteps(d, stub));
            after.put(a, record(d, stub, r.persist(), notes));
            if (stub.equals("vfio-pci") && d.iommuGroup() != null) {
                lastOfGroup.put(d.iommuGroup(), a);
            }
        }
        lastOfGroup.keySet().forEach(g -> steps.add(new Step.Wait(host.paths().configRoot().resolve("dev/vfio/" + g)
                .toString())));
        if (before.isEmpty() && stubModule != null) {
            steps.clear();
        }
        steps.addAll(persistEdits(after, r.persist() ? targets : Set.of(), Set.of(), notes));
        return new Plan(command, steps, before, after, notes);
    }

    public Plan unhide(UnhideRequest r, String command) {
        List<String> notes = new ArrayList<>();
        Set<PciAddress> targets = new TreeSet<>();
        for (PciAddress a : r.devices()) {
            PciDevice d = host.device(a);
            targets.add(a);
            if (r.withGroup()) {
                for (PciAddress s : host.groupMembers(d)) {
                    if (hidden.containsKey(s) && Bindings.isStub(host.device(s).driver())) {
                        targets.add(s);
                    }
                }
            }
        }
        List<Step> steps = new ArrayList<>();
        Map<PciAddress, DeviceState> before = new TreeMap<>();
        Map<PciAddress, HiddenDevice> after = new TreeMap<>(hidden);
        for (PciAddress a : targets) {
            PciDevice d = host.device(a);
            HiddenDevice rec = hidden.get(a);
            boolean stillPersisted = rec != null && rec.persisted() && !r.persist();
            if (!stillPersisted) {
                after.remove(a);
            }
            if (!Bindings.isStub(d.driver())) {
                notes.add(a + " is not hidden (driver " + (d.driver() == null ? "none" : d.driver()) + ")");
                continue;
            }
            before.put(a, bindings.state(d));
            steps.addAll(bindings.returnSteps(d, rec));
            if (rec == null || rec.adopted()) {
                notes.add(a + " was not hidden by pcipass: no original driver is recorded, so the kernel picks one"
                        + " (drivers_probe)");
            } else if (stillPersisted) {
                notes.add(a + " stays hidden in the modprobe configuration and will be hidden again at boot;"
                        + " pass --persist to remove it there");
            }
        }
        steps.addAll(persistEdits(after, Set.of(), r.persist() ? targets : Set.of(), notes));
        return new Plan(command, steps, before, after, notes);
    }

    /** The configuration edits for a command that persists or stops persisting devices; none otherwise. */
    private List<Step.Edit> persistEdits(Map<PciAddress, HiddenDevice> after, Set<PciAddress> persist,
            Set<PciAddress> unpersist, List<String> notes) {
        if (persist.isEmpty() && unpersist.isEmpty()) {
            return List.of();
        }
        return persistence.edits(HiddenDevice.persisted(hidden), HiddenDevice.persisted(after), persist, unpersist, notes);
    }

    private HiddenDevice record(PciDevice d, String stub, boolean persist, List<String> notes) {
        HiddenDevice old = hidden.get(d.address());
        if (old != null) {
            return new HiddenDevice(d.address(), stub, old.originalDriver(), old.originalModule(), old.vendorId(),
                    old.deviceId(), persist || old.persisted(), old.adopted());
        }
        if (Bindings.isStub(d.driver())) {
            HiddenDevice found = adopt(d, d.driver(), persist, notes); // its driver now is a stub, not its own
            return new HiddenDevice(d.address(), stub, null, found.originalModule(), found.vendorId(), found.deviceId(),
                    persist, true);
        }
        return new HiddenDevice(d.address(), stub, d.driver(), d.module(), hex4(d.vendorId()), hex4(d.deviceId()),
                persist, false);
    }

    /**
     * A device found on {@code onStub} that pcipass did not hide (hidden at boot by a modprobe line or
     * {@code xen-pciback.hide=}, or by hand): recorded from now on. Its original driver is not known;
     * the configuration may name the module that was loaded after the stub for it.
     */
    private HiddenDevice adopt(PciDevice d, String onStub, boolean persist, List<String> notes) {
        String module = persistence.adoptedModule(d.address(), onStub, hidden);
        notes.add(d.address() + " was put on " + onStub + " by someone else (at boot, or by hand): pcipass records it"
                + " now; its original driver is not known, so unhide will " + (module == null ? "" : "load " + module
                + " and ") + "let the kernel pick one");
        return new HiddenDevice(d.address(), onStub, null, module, hex4(d.vendorId()), hex4(d.deviceId()), persist, true);
    }

    private static String hex4(Integer v) {
        return v == null ? null : String.format("%04x", v);
    }

    /** Group members other than {@code d} that keep the group from being viable (host drivers, not bridges). */
    private List<PciAddress> siblingsOnHostDrivers(PciDevice d) {
        List<PciAddress> out = new ArrayList<>();
        for (PciAddress s : host.groupMembers(d)) {
            if (!s.equals(d.address()) && host.blocksViability(s) && !Bindings.isStub(host.device(s).driver())) {
                out.add(s);
            }
        }
        return out;
    }

    private void refuseIfPolicySays(PciDevice d, String stub, boolean force, List<String> refusals) {
        Assessment as = host.assessment(d.address());
        PciAddress a = d.address();
        switch (as.verdict()) {
            case NOT_ENDPOINT -> refusals.add(a + " is not an endpoint: " + as.reasons().get(0));
            case HOST_CRITICAL -> {
                String why = a + " is host-critical: " + String.join(", ", as.reasons());
                if (as.reasons().contains(ROOT_REASON)) {
                    refusals.add(why + "; pcipass never hides the device that holds /, not even with --force");
                } else if (d.enabledVfs() > 0) {
                    refusals.add(why + "; pcipass never unbinds a PF under its VFs, not even with --force");
                } else if (!force) {
                    refusals.add(why + "; hiding it takes that from the host (pass --force if you really mean it)");
                }
            }
            case GROUP_BLOCKED -> refusals.add(a + " is group-blocked: " + String.join("; ", as.reasons())
                    + "; that group can never be given to a guest");
            case NO_IOMMU -> {
                if (stub.equals("vfio-pci")) {
                    refusals.add(a + ": " + as.reasons().get(0) + " (see 'pcipass check'; --driver pci-stub hides it"
                            + " without an IOMMU)");
                }
            }
            default -> { }
        }
    }

    /** The module to load for {@code stub}, null when it is already there; adds a refusal when it cannot be. */
    private String stubModule(String stub, List<String> refusals) {
        KernelModules modules = new KernelModules(host.sysfs(), host.configRoot());
        String[] names = stub.equals("pciback") ? new String[] {"xen-pciback", "pciback"} : new String[] {stub};
        return switch (modules.state(stub, names)) {
            case LOADED, BUILT_IN -> null;
            case AVAILABLE -> modules.availableName(names);
            case MISSING -> {
                String release = modules.release() == null ? "RELEASE" : modules.release();
                refusals.add(stub + " is neither loaded nor available as a module under /lib/modules/" + release
                        + "; install this kernel's modules package (it ships " + names[0] + ".ko), then run: modprobe "
                        + names[0]);
                yield null;
            }
        };
    }
}
