package org.pcipass.apply;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.Bindings;
import org.pcipass.plan.DeviceState;
import org.pcipass.plan.Plan;
import org.pcipass.plan.Step;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.GuestBackends;
import org.pcipass.store.AssignmentChange;
import org.pcipass.store.HiddenRegistry;
import org.pcipass.store.HotplugEvent;
import org.pcipass.store.Store;
import org.pcipass.sysfs.KernelWriter;
import org.pcipass.sysfs.Sysfs;

/**
 * Applies a {@link Plan}: journal first, then each step, each checked by reading back what the
 * kernel did. When a step fails, everything done so far is undone — every touched device back on
 * its original driver, every edited file back to its old text — and the kernel's answer is quoted.
 */
public final class Executor {
    private final Sysfs sys;
    private final KernelWriter kernel;
    private final CommandRunner runner;
    private final Path stateDir;
    private final Hooks hooks;
    private final Bindings bindings;
    private final java.io.PrintStream err;
    private final long waitMillis;
    private final GuestBackends backends;
    private final java.time.Clock clock;

    public Executor(Sysfs sys, KernelWriter kernel, CommandRunner runner, Path stateDir, Map<String, String> env,
            java.io.PrintStream err) {
        this(sys, kernel, runner, stateDir, env, err, NO_GUESTS, java.time.Clock.systemUTC());
    }

    /** No hypervisor here: a plan with guest steps fails at its first one. */
    private static final GuestBackends NO_GUESTS = new GuestBackends() {
        @Override
        public org.pcipass.guest.GuestBackend open(String backend, String uri) {
            throw new org.pcipass.guest.GuestException("no " + backend + " backend is available to this executor");
        }

        @Override
        public boolean xlAnswers() {
            return false;
        }
    };

    public Executor(Sysfs sys, KernelWriter kernel, CommandRunner runner, Path stateDir, Map<String, String> env,
            java.io.PrintStream err, GuestBackends backends, java.time.Clock clock) {
        this.backends = backends;
        this.clock = clock;
        this.sys = sys;
        this.kernel = kernel;
        this.runner = runner;
        this.stateDir = stateDir;
        this.hooks = new Hooks(env, err);
        this.bindings = new Bindings(sys);
        this.err = err;
        this.waitMillis = 5_000;
    }

    /**
     * How a plan ended: {@code done}; {@code rolled-back} with the error that caused it; or
     * {@code rollback-failed} when something could not be put back (the journal is kept for
     * {@code recover}).
     *
     * @param undone what the rollback put back, in words
     * @param vanished devices of the plan that no longer exist (unplugged): nothing to restore
     * @param stranded after a failed rollback, the devices it left without a driver, as they were before
     */
    public record Outcome(String result, String error, List<String> undone, List<PciAddress> vanished,
            List<DeviceState> stranded) {
        public static final String DONE = "done";
        public static final String ROLLED_BACK = "rolled-back";
        public static final String ROLLBACK_FAILED = "rollback-failed";

        public Outcome {
            undone = List.copyOf(undone);
            vanished = List.copyOf(vanished);
            stranded = List.copyOf(stranded);
        }

        Outcome(String result, String error, List<String> undone, List<PciAddress> vanished) {
            this(result, error, undone, vanished, List.of());
        }

        /** A plan done to the end. */
        public static Outcome completed() {
            return new Outcome(DONE, null, List.of(), List.of());
        }

        public boolean done() {
            return result.equals(DONE);
        }

        public boolean rollbackFailed() {
            return result.equals(ROLLBACK_FAILED);
        }

        /** "rolled back: …" for people: what was put back, and what had vanished. */
        public String undoneText() {
            return undoneText(undone, vanished, "nothing had changed");
        }

        private static String undoneText(List<String> undone, List<PciAddress> vanished, String none) {
            List<String> parts = new ArrayList<>(undone);
            vanished.forEach(a -> parts.add(a + " vanished (no longer in sysfs: unplugged?), nothing to restore"));
            return parts.isEmpty() ? none : String.join(", ", parts);
        }
    }

    /** A step the kernel (or a command, or a file) refused. */
    static class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailed(String message) {
            super(message);
        }
    }

    /** What a rollback did: put back, found gone, could not put back. */
    private record Rollback(List<String> undone, List<PciAddress> vanished, List<String> failures) {
        Rollback() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    /**
     * Applies {@code plan}. A refused step, or a journal or registry that cannot be written (disk
     * full, EIO), rolls back everything done so far; only a rollback that fails too leaves the
     * journal behind, for {@code recover} once the cause is fixed.
     *
     * @throws PcipassException when the journal cannot even be started: nothing was done
     */
    public Outcome apply(Plan plan) {
        Journal journal = Journal.begin(stateDir, plan);
        try (GuestSteps g = new GuestSteps(backends, clock)) {
            guests = g;
            List<Step> steps = plan.steps();
            for (int k = 0; k < steps.size(); k++) {
                try {
                    journal.started(k);
                } catch (PcipassException e) {
                    return fail(plan, journal, k, k, e.getMessage() + " (before step " + (k + 1) + " ran)");
                }
                try {
                    perform(steps.get(k));
                } catch (GuestSteps.NotReleased e) {
                    return notReleased(plan, journal, k, e.getMessage());
                } catch (StepFailed | RuntimeException e) {
                    // an unexpected failure inside a step is rolled back like the kernel's refusal
                    return fail(plan, journal, k, k + 1, "step " + (k + 1) + " (" + describe(steps.get(k)) + "): "
                            + (e instanceof StepFailed ? e.getMessage() : String.valueOf(e)));
                }
                try {
                    journal.done(k);
                } catch (PcipassException e) {
                    return fail(plan, journal, k, k + 1, e.getMessage() + " (after step " + (k + 1) + ")");
                }
                hooks.afterStep(k + 1);
            }
            try {
                commit(plan, g.hotplugs());
            } catch (PcipassException e) {
                return fail(plan, journal, steps.size(), steps.size(), "every step was done, but " + e.getMessage());
            }
            finish(journal, "every step was done and recorded");
            return Outcome.completed();
        } finally {
            guests = null;
            journal.close();
        }
    }

    /** Records a plan with no steps (its registry or assignment changes only), as a finished plan is recorded. */
    public void record(Plan plan) {
        commit(plan, List.of());
    }

    /** The guest steps of the plan being applied or recovered (open backends, hotplug events). */
    private GuestSteps guests;

    /** Records a finished plan: the registry, its assignment changes and the hotplugs, in one store commit. */
    private void commit(Plan plan, List<HotplugEvent> hotplugs) {
        try (Store store = Store.open(stateDir)) {
            store.commit(plan.hiddenAfter(), plan.assignments(), hotplugs);
        }
    }

    /**
     * After a rollback: the hotplugs that happened all the same, and for each detach the rollback
     * reached, the assignment as the hypervisor now says (released: removed; still held: detach-pending).
     * The registry stays as it is (the rollback put every device back).
     */
    private void recordRollback(Plan plan, int reached, List<HotplugEvent> hotplugs) {
        List<AssignmentChange> changes = new ArrayList<>();
        List<Step.Detach> detaches = new ArrayList<>();
        plan.steps().subList(0, Math.min(reached, plan.steps().size())).forEach(s -> {
            if (s instanceof Step.Detach d) {
                detaches.add(d);
            }
        });
        if (detaches.isEmpty() && hotplugs.isEmpty()) {
            return;
        }
        try (Store store = Store.open(stateDir)) {
            Map<PciAddress, Assignment> now = store.assignments();
            for (Step.Detach d : detaches) {
                Assignment a = now.get(d.device());
                boolean held;
                try {
                    held = guests.lists(d.backend(), d.connect(), d.guest(), d.device(), d.mode());
                } catch (PcipassException e) {
                    held = true; // the hypervisor cannot say: the device stays the guest's until it can
                }
                if (held && a != null) {
                    changes.add(new AssignmentChange.Put(a.withState(Assignment.DETACH_PENDING)));
                } else if (!held) {
                    changes.add(new AssignmentChange.Remove(d.device()));
                }
            }
            store.commit(store.hidden(), changes, hotplugs);
        } catch (PcipassException e) {
            err.println("pcipass: warning: the rollback is done, but recording it failed: " + e.getMessage());
        }
    }

    /**
     * A detach the guest did not answer in time: the device stays hidden and the guest's (nothing
     * after the detach runs; the steps before it are rolled back), its assignment detach-pending.
     */
    private Outcome notReleased(Plan plan, Journal journal, int k, String why) {
        Step.Detach d = (Step.Detach) plan.steps().get(k);
        String error = why + "; " + d.device() + " stays hidden and assigned (detach-pending): it is never given back"
                + " to the host while the guest may still use it; run 'pcipass detach " + d.guest() + " " + d.device()
                + "' again later, or shut the guest down";
        return fail(plan, journal, k, k + 1, error);
    }

    /** Step {@code failed} (or the bookkeeping around it) went wrong: undo the first {@code reached} steps. */
    private Outcome fail(Plan plan, Journal journal, int failed, int reached, String error) {
        journal.failed(failed, error); // also after the last step: a recovery must then undo, never complete
        Rollback rb = rollBack(plan, reached);
        recordRollback(plan, reached, guests.hotplugs());
        if (!rb.failures().isEmpty()) {
            return rollbackFailed(plan, error, rb);
        }
        finish(journal, "the plan was rolled back");
        return new Outcome(Outcome.ROLLED_BACK, error, rb.undone(), rb.vanished());
    }

    private Outcome rollbackFailed(Plan plan, String error, Rollback rb) {
        List<DeviceState> stranded = plan.before().values().stream().filter(d -> d.driver() != null
                && bindings.present(d.address()) && bindings.driver(d.address()) == null).toList();
        return new Outcome(Outcome.ROLLBACK_FAILED, error + "; the rollback failed too: " + String.join("; ",
                rb.failures()) + "; put back: " + Outcome.undoneText(rb.undone(), rb.vanished(), "nothing")
                + "; the journal " + Journal.path(stateDir) + " is kept: fix the cause, then run 'pcipass recover'"
                + " (a device that can never go back: bind it by hand, then remove the journal)", rb.undone(),
                rb.vanished(), stranded);
    }

    /** Removes the journal; if that fails, the next pcipass finds it and checks the host against it. */
    private void finish(Journal journal, String what) {
        try {
            journal.finish();
        } catch (PcipassException e) {
            err.println("pcipass: warning: " + what + ", but " + e.getMessage()
                    + ": the next pcipass run checks the host against it");
        }
    }

    /**
     * Finishes or undoes the plan of a journal left behind by a crash (or by a rollback that could
     * not finish); null when there is none. A plan whose every step was done only lacked its
     * bookkeeping: it is verified and completed. Devices that no longer exist are skipped and named.
     */
    public Outcome recover() {
        Journal.Entry entry = Journal.read(stateDir);
        if (entry == null) {
            return null;
        }
        try (GuestSteps g = new GuestSteps(backends, clock)) {
            guests = g;
            return recover(entry);
        } finally {
            guests = null;
        }
    }

    private Outcome recover(Journal.Entry entry) {
        Plan plan = entry.plan();
        sweepTemporaryFiles(plan);
        if (entry.failed() == null && entry.done() == plan.steps().size() && verifyAll(plan) == null) {
            commit(plan, recoveredHotplugs(plan));
            Journal.delete(Journal.path(stateDir));
            return new Outcome(Outcome.DONE, null, List.of(), vanished(plan.before().keySet()));
        }
        String error = entry.failed() != null
                ? "'" + plan.command() + "' failed: " + entry.error() + "; its rollback did not finish"
                : "'" + plan.command() + "' was interrupted after " + entry.done() + " of " + plan.steps().size()
                        + " steps";
        Rollback rb = rollBack(plan, entry.started());
        recordRollback(plan, entry.started(), guests.hotplugs());
        if (!rb.failures().isEmpty()) {
            return rollbackFailed(plan, error, rb);
        }
        Journal.delete(Journal.path(stateDir));
        return new Outcome(Outcome.ROLLED_BACK, error, rb.undone(), rb.vanished());
    }

    /** The live attaches and detaches of a plan a crash interrupted after its last step, logged at recovery time. */
    private List<HotplugEvent> recoveredHotplugs(Plan plan) {
        List<HotplugEvent> out = new ArrayList<>();
        java.time.Instant now = java.time.Instant.now(clock);
        for (Step s : plan.steps()) {
            if (s instanceof Step.Attach a && a.mode().live()) {
                out.add(new HotplugEvent(a.device(), "attach", a.guest(), now));
            } else if (s instanceof Step.Detach d && d.mode().live()) {
                out.add(new HotplugEvent(d.device(), "detach", d.guest(), now));
            }
        }
        return out;
    }

    /** Removes the temporary files a crash may have left beside the files the plan edits, and the state files. */
    private void sweepTemporaryFiles(Plan plan) {
        List<Path> files = new ArrayList<>();
        plan.steps().forEach(s -> {
            if (s instanceof Step.Edit e) {
                files.add(Path.of(e.file()));
            }
        });
        files.add(stateDir.resolve(HiddenRegistry.FILE));
        files.add(stateDir.resolve(org.pcipass.store.Owners.FILE));
        for (Path f : files) {
            String prefix = "." + f.getFileName() + ".";
            try (var siblings = Files.list(f.getParent())) {
                for (Path p : siblings.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(prefix) && (n.endsWith(".pcipass-tmp") || n.endsWith(".tmp"))) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (IOException e) {
                // a missing directory has nothing to sweep
            }
        }
    }

    /** Re-reads every expect-driver step of a plan (devices that vanished since excepted); the first mismatch, or null. */
    private String verifyAll(Plan plan) {
        for (Step s : plan.steps()) {
            String guest = verifyGuest(s);
            if (guest != null) {
                return guest;
            }
            if (s instanceof Step.ExpectDriver e && present(e.device())) {
                String now = bindings.driver(e.device());
                if (!eq(now, e.driver())) {
                    return e.device() + " is on " + name(now) + ", not " + name(e.driver());
                }
            }
        }
        return null;
    }

    /** For an attach step: the hypervisor must list the device; for a detach: no longer. Null when it agrees. */
    private String verifyGuest(Step s) {
        try {
            if (s instanceof Step.Attach a && !guests.lists(a.backend(), a.connect(), a.guest(), a.device(), a.mode())) {
                return a.guest() + " does not list " + a.device();
            }
            if (s instanceof Step.Detach d && guests.lists(d.backend(), d.connect(), d.guest(), d.device(), d.mode())) {
                return d.guest() + " still lists " + d.device();
            }
        } catch (PcipassException e) {
            return e.getMessage();
        }
        return null;
    }

    private boolean present(PciAddress a) {
        return bindings.present(a);
    }

    private List<PciAddress> vanished(java.util.Collection<PciAddress> devices) {
        return devices.stream().filter(a -> !present(a)).toList();
    }

    /**
     * Undoes the first {@code reached} steps (the last of them perhaps half done): files back to
     * their old text, then each device those steps touched back to its original binding, verified.
     * A device that no longer exists has nothing to restore; a device the plan never reached is
     * left as it is.
     */
    private Rollback rollBack(Plan plan, int reached) {
        Rollback rb = new Rollback();
        List<Step> steps = plan.steps();
        for (int k = Math.min(reached, steps.size()) - 1; k >= 0; k--) {
            if (steps.get(k) instanceof Step.Attach a) {
                try {
                    guests.undo(a); // before the device goes back to the host: the guest must have let go
                    rb.undone().add(a.device() + " taken back from " + a.guest());
                } catch (StepFailed | PcipassException f) {
                    rb.failures().add(a.device() + " could not be taken back from " + a.guest() + ": "
                            + f.getMessage());
                    return rb; // never give a device to the host while a guest may still use it
                }
            } else if (steps.get(k) instanceof Step.Edit e) {
                try {
                    if (FileEdit.restore(e)) {
                        rb.undone().add(e.file() + " restored");
                    }
                } catch (StepFailed f) {
                    rb.failures().add(f.getMessage());
                }
            }
        }
        java.util.Set<PciAddress> touched = plan.touchedBy(reached);
        List<DeviceState> devices = new ArrayList<>(plan.before().values());
        java.util.Collections.reverse(devices);
        for (DeviceState d : devices) {
            if (!present(d.address())) {
                rb.vanished().add(d.address());
                continue;
            }
            if (!touched.contains(d.address())) {
                continue;
            }
            try {
                for (Step s : bindings.restoreSteps(d)) {
                    perform(s);
                }
                rb.undone().add(d.address() + " back on " + name(d.driver()));
            } catch (StepFailed f) {
                if (present(d.address())) {
                    rb.failures().add(d.address() + ": " + f.getMessage());
                } else {
                    rb.vanished().add(d.address()); // unplugged while it was being put back
                }
            }
        }
        return rb;
    }

    void perform(Step step) throws StepFailed {
        if (step instanceof Step.Write w) {
            write(w);
        } else if (step instanceof Step.ExpectDriver e) {
            String now = bindings.driver(e.device());
            if (!eq(now, e.driver())) {
                throw new StepFailed(e.device() + " is on " + name(now) + ", expected " + name(e.driver()));
            }
        } else if (step instanceof Step.Run r) {
            CommandRunner.Result res = runner.run(r.argv());
            if (res.exitCode() != 0) {
                String msg = res.stderr().isBlank() ? res.stdout() : res.stderr();
                throw new StepFailed("'" + String.join(" ", r.argv()) + "' failed (exit " + res.exitCode() + "): "
                        + msg.strip().lines().findFirst().orElse(""));
            }
        } else if (step instanceof Step.Wait w) {
            waitFor(Path.of(w.path()));
        } else if (step instanceof Step.Edit e) {
            FileEdit.apply(e);
        } else if (step instanceof Step.Attach a) {
            guests.attach(a);
        } else if (step instanceof Step.Detach d) {
            guests.detach(d);
        }
    }

    private void write(Step.Write w) throws StepFailed {
        try {
            kernel.write(Path.of(w.path()), w.value());
        } catch (IOException e) {
            throw new StepFailed("writing '" + w.value().strip() + "' to " + w.path() + " failed: "
                    + Errno.describe(e.getMessage()));
        }
        verifyWrite(w);
    }

    /** Reads back what a write should have changed. */
    private void verifyWrite(Step.Write w) throws StepFailed {
        String rel = relative(w.path());
        if (rel == null) {
            return;
        }
        String[] parts = rel.split("/");
        if (rel.endsWith("/driver_override")) {
            String now = sys.read(rel);
            String want = w.value().strip();
            boolean ok = want.isEmpty() ? now == null || now.equals("(null)") || now.isEmpty() : want.equals(now);
            if (!ok) {
                throw new StepFailed(rel + " reads '" + now + "' after writing '" + want + "'");
            }
        } else if (rel.endsWith("/driver/unbind") || (parts.length == 5 && parts[4].equals("unbind"))) {
            String now = sys.linkName("bus/pci/devices/" + w.value().strip() + "/driver");
            if (now != null) {
                throw new StepFailed(w.value().strip() + " is still on " + now + " after unbind");
            }
        } else if (rel.endsWith("pciback/remove_slot")) {
            String slots = sys.read("bus/pci/drivers/pciback/slots");
            if (slots != null && slots.contains(w.value().strip())) {
                throw new StepFailed("pciback still lists " + w.value().strip() + " in its slots after remove_slot");
            }
        } else if (rel.endsWith("pciback/new_slot")) {
            String slots = sys.read("bus/pci/drivers/pciback/slots");
            if (slots == null || !slots.contains(w.value().strip())) {
                throw new StepFailed("pciback does not list " + w.value().strip() + " in its slots after new_slot");
            }
        }
    }

    private String relative(String path) {
        String prefix = sys.path("");
        return path.startsWith(prefix) ? path.substring(prefix.length()) : null;
    }

    private void waitFor(Path p) throws StepFailed {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (!Files.exists(p)) {
            if (System.nanoTime() > deadline) {
                throw new StepFailed(p + " did not appear within " + waitMillis / 1000 + " s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StepFailed("interrupted while waiting for " + p);
            }
        }
    }

    static String describe(Step s) {
        if (s instanceof Step.Write w) {
            return "write " + w.value().strip() + " to " + w.path();
        } else if (s instanceof Step.ExpectDriver e) {
            return "expect " + e.device() + " on " + name(e.driver());
        } else if (s instanceof Step.Run r) {
            return String.join(" ", r.argv());
        } else if (s instanceof Step.Wait w) {
            return "wait for " + w.path();
        } else if (s instanceof Step.Attach a) {
            return "attach " + a.device() + " to " + a.guest() + " (" + a.backend() + ", " + a.mode().text() + ")";
        } else if (s instanceof Step.Detach d) {
            return "detach " + d.device() + " from " + d.guest() + " (" + d.backend() + ", " + d.mode().text() + ")";
        } else {
            return "edit " + ((Step.Edit) s).file();
        }
    }

    static String name(String driver) {
        return driver == null ? "no driver" : driver;
    }

    private static boolean eq(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }

}
