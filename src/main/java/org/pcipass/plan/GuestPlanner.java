package org.pcipass.plan;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Domain;
import org.pcipass.guest.GuestBackends;
import org.pcipass.guest.Hostdev;
import org.pcipass.guest.Mode;
import org.pcipass.host.HostSnapshot;
import org.pcipass.host.Verdict;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.store.AssignmentChange;

/**
 * Attach and detach plans: the hide or return steps of {@link Planner} around the hypervisor's
 * attach and detach, with the seed's limits refused before anything changes. Pure: reads only the
 * snapshot and the {@link GuestView}.
 */
public final class GuestPlanner {
    private final HostSnapshot host;
    private final Planner planner;

    public GuestPlanner(HostSnapshot host, Planner planner) {
        this.host = host;
        this.planner = planner;
    }

    public Plan attach(AttachRequest r, GuestView v, String command) {
        Domain d = v.domain();
        if (d == null) {
            throw new PcipassException.BadInput("there is no guest named '" + r.guest() + "' " + where(r.backend(),
                    r.connect()) + "; " + listHint(r.backend(), r.connect()));
        }
        Mode mode = mode(r, d);
        r.devices().forEach(host::device);
        Set<PciAddress> targets = targets(r);
        List<String> refusals = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<AssignmentChange> changes = new ArrayList<>();
        java.util.Map<PciAddress, Mode> toAttach = new java.util.TreeMap<>();
        for (PciAddress a : targets) {
            Mode missing = owned(a, r, v, mode, refusals, notes, changes);
            if (missing != null) {
                toAttach.put(a, missing);
            }
        }
        limits(r, d, v, toAttach, refusals, notes);
        if (!refusals.isEmpty()) {
            throw new PcipassException.Refused(String.join("; ", new LinkedHashSet<>(refusals)));
        }
        String stub = stub(r, d);
        Set<PciAddress> hideThese = !toAttach.isEmpty() ? toAttach.keySet() : r.persist() ? targets : Set.of();
        Plan hide = hideThese.isEmpty() ? new Plan(command, List.of(), java.util.Map.of(), planner.hidden(), List.of())
                : planner.hide(new HideRequest(List.copyOf(hideThese), stub, r.withGroup(), false, r.persist()), command);
        List<Step> steps = new ArrayList<>();
        toAttach.forEach((a, m) -> {
            steps.add(new Step.Attach(r.backend(), r.connect(), r.guest(), a, m));
            changes.add(new AssignmentChange.Put(new Assignment(a, r.guest(), r.backend(), r.connect(), mode,
                    Assignment.ATTACHED, v.now())));
        });
        List<String> allNotes = new ArrayList<>(hide.notes());
        allNotes.addAll(notes);
        return new Plan(command, concat(hide.steps(), steps), hide.before(), hide.hiddenAfter(), allNotes, changes);
    }

    /**
     * Detach steps for what the hypervisor lists, then (with --return) the return steps. A guest that
     * is gone, or no longer holds a device, is reconciled: the assignment is cleared, nothing detached.
     * The view is of the backend the request names (the assignment's own, chosen by the command).
     */
    public Plan detach(DetachRequest r, GuestView v, String command) {
        r.devices().forEach(host::device);
        List<String> notes = new ArrayList<>();
        List<AssignmentChange> changes = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        Domain d = v.domain();
        for (PciAddress a : r.devices()) {
            Assignment as = v.assignments().get(a);
            if (as != null && !as.guest().equals(r.guest())) {
                throw new PcipassException.BadInput(a + " is assigned to guest " + as.guest() + ", not " + r.guest()
                        + "; to take it from there: pcipass detach " + as.guest() + " " + a);
            }
            if (as != null) {
                changes.add(new AssignmentChange.Remove(a));
            }
            if (d == null) {
                notes.add("guest " + r.guest() + " no longer exists " + where(r.backend(), r.connect()) + ": nothing"
                        + " holds " + a + (as != null ? "; its assignment is cleared" : ""));
                continue;
            }
            boolean live = d.running() && v.liveDevices().contains(a) && (r.mode() == null || r.mode().live());
            boolean config = v.configDevices().contains(a) && (r.mode() == null || r.mode().config());
            if (!live && !config) {
                notes.add(r.guest() + " does not hold " + a + (r.mode() == null ? "" : " (" + r.mode().text() + ")")
                        + (as != null ? "; its assignment is cleared" : "; nothing to detach"));
                continue;
            }
            if (as != null && r.mode() != null && (v.liveDevices().contains(a) && !live
                    || v.configDevices().contains(a) && !config)) {
                changes.remove(changes.size() - 1); // the guest keeps it elsewhere: still assigned
                changes.add(new AssignmentChange.Put(new Assignment(a, as.guest(), as.backend(), as.connect(),
                        r.mode().live() ? Mode.CONFIG : Mode.LIVE, as.state(), as.since())));
            }
            steps.add(new Step.Detach(r.backend(), r.connect(), r.guest(), a, Mode.of(live, config),
                    r.timeoutSeconds()));
        }
        Plan back = r.giveBack() ? planner.unhide(new UnhideRequest(givenBack(r, v, changes), false, false), command)
                : new Plan(command, List.of(), java.util.Map.of(), planner.hidden(), List.of());
        notes.addAll(back.notes());
        return new Plan(command, concat(steps, back.steps()), back.before(), back.hiddenAfter(), notes, changes);
    }

    /** The devices --return gives back: those that will no longer be assigned to anyone. */
    private static List<PciAddress> givenBack(DetachRequest r, GuestView v, List<AssignmentChange> changes) {
        List<PciAddress> out = new ArrayList<>(r.devices());
        changes.forEach(c -> {
            if (c instanceof AssignmentChange.Put p) {
                out.remove(p.device());
            }
        });
        return out;
    }

    private static List<Step> concat(List<Step> a, List<Step> b) {
        List<Step> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** The requested devices, and with --with-group the endpoints of their IOMMU groups (a GPU and its audio). */
    private Set<PciAddress> targets(AttachRequest r) {
        Set<PciAddress> out = new TreeSet<>(r.devices());
        if (r.withGroup()) {
            for (PciAddress a : r.devices()) {
                for (PciAddress s : host.groupMembers(host.device(a))) {
                    if (host.assessment(s).verdict() != Verdict.NOT_ENDPOINT) {
                        out.add(s);
                    }
                }
            }
        }
        return out;
    }

    /**
     * What is left to attach of {@code a} in {@code mode}: null when another guest owns it (a refusal)
     * or this guest already has it (another tool's attach is taken over as pcipass's).
     */
    private static Mode owned(PciAddress a, AttachRequest r, GuestView v, Mode mode, List<String> refusals,
            List<String> notes, List<AssignmentChange> changes) {
        String guest = r.guest();
        Assignment as = v.assignments().get(a);
        if (as != null && !as.guest().equals(guest)) {
            refusals.add(a + " is assigned to guest " + as.guest() + " (" + as.state() + "); detach it first: pcipass"
                    + " detach " + as.guest() + " " + a);
            return null;
        }
        if (as != null && as.state().equals(Assignment.DETACH_PENDING)) {
            refusals.add(a + " is still being detached from " + guest + " (detach-pending); run 'pcipass detach "
                    + guest + " " + a + "' until the guest has let go, then attach it again");
            return null;
        }
        if (as == null) {
            for (Hostdev h : v.hostdevs()) {
                if (h.device().equals(a) && !h.guest().equals(guest)) {
                    refusals.add(a + " is assigned to guest " + h.guest() + " by another tool (external: the"
                            + " hypervisor lists it" + (h.managed() ? ", managed='yes'" : "") + "); detach it there"
                            + " first");
                    return null;
                }
            }
        }
        boolean live = mode.live() && !v.liveDevices().contains(a);
        boolean config = mode.config() && !v.configDevices().contains(a);
        if (!live && !config) {
            notes.add(a + " is already attached to " + guest + (as == null ? "; pcipass records it as its assignment"
                    + " from now on" : ""));
            if (as == null) {
                changes.add(new AssignmentChange.Put(new Assignment(a, guest, r.backend(), r.connect(), mode,
                        Assignment.ATTACHED, v.now())));
            }
            return null;
        }
        return Mode.of(live, config);
    }

    /** The seed's limits: hot-plug capability, PV RHEL 6, Xen's IOMMU, the hotplug guard, reset methods. */
    private void limits(AttachRequest r, Domain d, GuestView v, java.util.Map<PciAddress, Mode> toAttach,
            List<String> refusals, List<String> notes) {
        if (toAttach.isEmpty()) {
            return;
        }
        boolean live = toAttach.values().stream().anyMatch(Mode::live);
        if (d.xen() && live && Boolean.FALSE.equals(d.hotplugReady())) {
            refusals.add("guest " + d.name() + " cannot take a hot-plugged PCI device: it was created without PCI"
                    + " devices and without passthrough, so Xen would answer 'xc_assign_device failed: Operation not"
                    + " supported'; add passthrough = \"enabled\" to its xl.cfg (libvirt: <features><xen><passthrough"
                    + " state='on'/></xen></features>) and restart the guest, or attach with --config");
        }
        GuestOs os = GuestOs.of(r.guestOs(), d.osId());
        if (d.paravirtualized() && Integer.valueOf(6).equals(os.rhelMajor()) && !r.allowInsecure()) {
            refusals.add("guest " + d.name() + " is a para-virtualized RHEL 6 guest (" + os.source() + "): PCI"
                    + " passthrough to PV RHEL 6 guests is not supported (RHEL 5 Virtualization Guide), and a PV guest"
                    + " with a device can reach dom0's memory by DMA; make it an HVM guest, or pass --allow-insecure");
        }
        if (d.paravirtualized() && Boolean.FALSE.equals(v.xenIommuActive())) {
            notes.add("warning: Xen's IOMMU is not active: PV guest " + d.name() + " can reach dom0's memory by DMA"
                    + " through the device (enable VT-d/AMD-Vi in the firmware and iommu=1 on Xen's command line)");
        }
        if (!d.paravirtualized() && Integer.valueOf(5).equals(os.rhelMajor()) && os.rhelMinor() != null && os.rhelMinor() < 4) {
            notes.add("warning: HVM passthrough needs RHEL 5.4 or newer in the guest (" + os.source() + ")");
        }
        toAttach.forEach((a, m) -> {
            if (m.live()) {
                hotplugGuard(a, v, refusals);
            }
        });
        for (PciAddress a : toAttach.keySet()) {
            List<String> resets = host.deviceInFull(a).resetMethods();
            if (resets != null && resets.isEmpty()) {
                notes.add("warning: " + a + " has no reset method (empty reset_method): it cannot be cleanly handed"
                        + " from one guest to the next");
            }
        }
    }

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    /** The 513th hotplug of a device within the window is refused, with when it frees up. */
    private static void hotplugGuard(PciAddress a, GuestView v, List<String> refusals) {
        GuestView.HotplugLimit limit = v.limit();
        List<Instant> recent = v.hotplugs().apply(a).stream()
                .filter(t -> t.isAfter(v.now().minus(limit.window()))).toList();
        if (recent.size() < limit.count()) {
            return;
        }
        Instant frees = recent.get(recent.size() - limit.count()).plus(limit.window());
        long in = Math.max(1, java.time.Duration.between(v.now(), frees).toSeconds());
        refusals.add(a + " was hot-plugged " + recent.size() + " times in the last " + limit.window().toSeconds()
                + " s (limit " + limit.count() + ": more hotplugs of a device in a brief period can crash the kernel);"
                + " it frees up at " + CLOCK.format(frees) + " (in " + in + " s)");
    }

    /** The stub the guest's hypervisor needs: pciback for Xen, vfio-pci for KVM; --driver where it fits. */
    private String stub(AttachRequest r, Domain d) {
        String need = d.xen() ? "pciback" : d.hypervisor().equals("kvm") ? "vfio-pci" : null;
        if (r.driver() != null && need != null && !r.driver().equals(need)) {
            throw new PcipassException.BadInput("--driver " + r.driver() + " does not fit guest " + d.name() + ": "
                    + (d.xen() ? "Xen guests take devices from pciback" : "KVM guests need vfio-pci (pci-stub is"
                    + " not enough)") + "; leave --driver out");
        }
        return r.driver() != null ? r.driver() : need != null ? need : Planner.defaultStub(host.hypervisor());
    }

    /** The mode asked for, or virt-manager's: live + config when running and persistent, live when transient, config when off. */
    private static Mode mode(AttachRequest r, Domain d) {
        Mode m = r.mode() != null ? r.mode() : d.running() && d.persistent() ? Mode.LIVE_CONFIG
                : d.running() ? Mode.LIVE : Mode.CONFIG;
        if (m.live() && !d.running()) {
            throw new PcipassException.BadInput("guest " + d.name() + " is not running, so --live cannot apply; use"
                    + " --config (it takes the device at its next start)");
        }
        if (m.config() && !d.persistent()) {
            throw new PcipassException.BadInput("guest " + d.name() + " has no persistent definition (a transient"
                    + " domain" + (r.backend().equals(GuestBackends.XL) ? ", as every xl domain is" : "") + "), so"
                    + " --config cannot apply" + (r.backend().equals(GuestBackends.XL) ? "; put the device in its"
                    + " xl.cfg: pcipass config DEVICE --format xl" : "; use --live"));
        }
        return m;
    }

    static String where(String backend, String connect) {
        return backend.equals(GuestBackends.XL) ? "in xl" : "on " + connect;
    }

    private static String listHint(String backend, String connect) {
        return backend.equals(GuestBackends.XL) ? "'xl list' shows the guests"
                : "'virsh list --all' on that URI shows the guests";
    }
}
