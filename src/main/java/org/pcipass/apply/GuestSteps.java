package org.pcipass.apply;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.GuestBackends;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.Step;
import org.pcipass.store.HotplugEvent;

/**
 * The executor's attach and detach steps: each hypervisor call followed by reading back what the
 * hypervisor really lists (a libvirt live detach "succeeds" before the guest lets go). Backends are
 * opened once per backend and URI, on first use, and closed with this.
 */
final class GuestSteps implements AutoCloseable {
    /** How long a rollback waits for a guest to let go of a device it was just given. */
    static final int UNDO_TIMEOUT_SECONDS = 10;

    private final GuestBackends backends;
    private final Clock clock;
    private final Map<String, GuestBackend> open = new HashMap<>();
    private final List<HotplugEvent> hotplugs = new ArrayList<>();

    GuestSteps(GuestBackends backends, Clock clock) {
        this.backends = backends;
        this.clock = clock;
    }

    /** A detach the hypervisor accepted, but the guest did not let go of the device in time. */
    static final class NotReleased extends Executor.StepFailed {
        private static final long serialVersionUID = 1L;

        NotReleased(String message) {
            super(message);
        }
    }

    /** The successful live attaches and detaches so far, for the hotplug log. */
    List<HotplugEvent> hotplugs() {
        return List.copyOf(hotplugs);
    }

    void attach(Step.Attach a) throws Executor.StepFailed {
        GuestBackend b = backend(a.backend(), a.connect());
        try {
            b.attach(a.guest(), a.device(), a.mode());
        } catch (PcipassException e) {
            throw new Executor.StepFailed(b.name() + " refused to attach " + a.device() + " to " + a.guest() + ": "
                    + e.getMessage());
        }
        if (a.mode().live()) {
            hotplugs.add(new HotplugEvent(a.device(), "attach", a.guest(), Instant.now(clock)));
        }
        String missing = missing(b, a.guest(), a.device(), a.mode());
        if (missing != null) {
            throw new Executor.StepFailed(b.name() + " accepted the attach of " + a.device() + " to " + a.guest()
                    + ", but " + missing);
        }
    }

    /** What the hypervisor does not list that an attach in {@code mode} should have added; null when all is there. */
    private static String missing(GuestBackend b, String guest, PciAddress device, Mode mode) {
        if (mode.live() && !b.devices(guest, true).contains(device)) {
            return "the running guest does not list it";
        }
        if (mode.config() && !b.devices(guest, false).contains(device)) {
            return "the guest's persistent definition does not list it";
        }
        return null;
    }

    /** Whether the hypervisor lists {@code device} for the guest in any part of {@code mode}. */
    boolean lists(String backend, String connect, String guest, PciAddress device, Mode mode) {
        GuestBackend b = backend(backend, connect);
        if (b.domain(guest) == null) {
            return false;
        }
        return mode.live() && b.devices(guest, true).contains(device)
                || mode.config() && b.devices(guest, false).contains(device);
    }

    void detach(Step.Detach d) throws Executor.StepFailed {
        detach(d.backend(), d.connect(), d.guest(), d.device(), d.mode(), d.timeoutSeconds());
    }

    /** Takes the device an attach step gave back from the guest, waiting for it to let go. */
    void undo(Step.Attach a) throws Executor.StepFailed {
        detach(a.backend(), a.connect(), a.guest(), a.device(), a.mode(), UNDO_TIMEOUT_SECONDS);
    }

    private void detach(String backend, String connect, String guest, PciAddress device, Mode mode, int timeout)
            throws Executor.StepFailed {
        GuestBackend b = backend(backend, connect);
        if (b.domain(guest) == null) {
            return; // the guest is gone: nothing holds the device any more
        }
        boolean live = mode.live() && b.devices(guest, true).contains(device);
        boolean config = mode.config() && b.devices(guest, false).contains(device);
        if (!live && !config) {
            return;
        }
        try {
            b.detach(guest, device, Mode.of(live, config));
        } catch (PcipassException e) {
            throw new Executor.StepFailed(b.name() + " refused to detach " + device + " from " + guest + ": "
                    + e.getMessage());
        }
        if (config && b.devices(guest, false).contains(device)) {
            throw new Executor.StepFailed(b.name() + " accepted the detach of " + device + " from " + guest
                    + "'s persistent definition, but it still lists it");
        }
        if (live) {
            waitForRelease(b, guest, device, timeout);
            hotplugs.add(new HotplugEvent(device, "detach", guest, Instant.now(clock)));
        }
    }

    private void waitForRelease(GuestBackend b, String guest, PciAddress device, int timeoutSeconds)
            throws NotReleased {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (b.domain(guest) != null && b.devices(guest, true).contains(device)) {
            if (System.nanoTime() >= deadline) {
                throw new NotReleased("guest " + guest + " has not released " + device + " within " + timeoutSeconds
                        + " s of the detach (the guest OS must answer the unplug)");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NotReleased("interrupted while waiting for guest " + guest + " to release " + device);
            }
        }
    }

    private GuestBackend backend(String name, String connect) {
        return open.computeIfAbsent(name + " " + connect, k -> backends.open(name, connect));
    }

    @Override
    public void close() {
        open.values().forEach(GuestBackend::close);
        open.clear();
    }
}
