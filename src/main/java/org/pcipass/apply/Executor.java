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
import org.pcipass.store.HiddenRegistry;
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
    private final long waitMillis;

    public Executor(Sysfs sys, KernelWriter kernel, CommandRunner runner, Path stateDir, Map<String, String> env,
            java.io.PrintStream err) {
        this.sys = sys;
        this.kernel = kernel;
        this.runner = runner;
        this.stateDir = stateDir;
        this.hooks = new Hooks(env, err);
        this.waitMillis = 5_000;
    }

    /** How a plan ended: {@code done}, or {@code rolled-back} with the error that caused it. */
    public record Outcome(String result, String error, List<String> undone) {
        public boolean done() {
            return result.equals("done");
        }
    }

    /** A step the kernel (or a command, or a file) refused. */
    static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailed(String message) {
            super(message);
        }
    }

    public Outcome apply(Plan plan) {
        try (Journal journal = Journal.begin(stateDir, plan)) {
            List<Step> steps = plan.steps();
            for (int k = 0; k < steps.size(); k++) {
                journal.started(k);
                try {
                    perform(steps.get(k));
                } catch (StepFailed | RuntimeException e) {
                    // an unexpected failure inside a step is rolled back like the kernel's refusal
                    String error = "step " + (k + 1) + " (" + describe(steps.get(k)) + "): " + (e instanceof StepFailed
                            ? e.getMessage() : String.valueOf(e));
                    List<String> undone = rollBack(plan, k + 1, error);
                    journal.finish();
                    return new Outcome("rolled-back", error, undone);
                }
                journal.done(k);
                hooks.afterStep(k + 1);
            }
            HiddenRegistry.save(stateDir, plan.hiddenAfter());
            journal.finish();
            return new Outcome("done", null, List.of());
        }
    }

    /**
     * Finishes or undoes the plan of a journal left behind by a crash; null when there is none.
     * A plan whose every step was done only lacked its bookkeeping: it is verified and completed.
     */
    public Outcome recover() {
        Journal.Entry entry = Journal.read(stateDir);
        if (entry == null) {
            return null;
        }
        Plan plan = entry.plan();
        sweepTemporaryFiles(plan);
        if (entry.done() == plan.steps().size()) {
            String bad = verifyAll(plan);
            if (bad == null) {
                HiddenRegistry.save(stateDir, plan.hiddenAfter());
                Journal.delete(Journal.path(stateDir));
                return new Outcome("done", null, List.of());
            }
        }
        String error = "'" + plan.command() + "' was interrupted after " + entry.done() + " of " + plan.steps().size()
                + " steps";
        List<String> undone = rollBack(plan, entry.started(), error);
        Journal.delete(Journal.path(stateDir));
        return new Outcome("rolled-back", error, undone);
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

    /** Re-reads every expect-driver step of a plan; the first mismatch, or null. */
    private String verifyAll(Plan plan) {
        for (Step s : plan.steps()) {
            if (s instanceof Step.ExpectDriver e) {
                String now = sys.linkName("bus/pci/devices/" + e.device() + "/driver");
                if (!eq(now, e.driver())) {
                    return e.device() + " is on " + name(now) + ", not " + name(e.driver());
                }
            }
        }
        return null;
    }

    /**
     * Undoes the first {@code reached} steps (the last of them perhaps half done): files back to
     * their old text, then each touched device back to its original binding, verified.
     *
     * @throws PcipassException when something cannot be put back: the journal stays for recover
     */
    private List<String> rollBack(Plan plan, int reached, String cause) {
        List<String> undone = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Step> steps = plan.steps();
        for (int k = Math.min(reached, steps.size()) - 1; k >= 0; k--) {
            if (steps.get(k) instanceof Step.Edit e) {
                try {
                    if (FileEdit.restore(e)) {
                        undone.add(e.file() + " restored");
                    }
                } catch (StepFailed f) {
                    failures.add(f.getMessage());
                }
            }
        }
        Bindings bindings = new Bindings(sys);
        List<DeviceState> devices = new ArrayList<>(plan.before().values());
        java.util.Collections.reverse(devices);
        for (DeviceState d : devices) {
            try {
                for (Step s : bindings.restoreSteps(d)) {
                    perform(s);
                }
                undone.add(d.address() + " back on " + name(d.driver()));
            } catch (StepFailed f) {
                failures.add(d.address() + ": " + f.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new PcipassException(cause + "; the rollback failed too: " + String.join("; ", failures)
                    + " — the journal " + Journal.path(stateDir) + " is kept: fix the cause, then run 'pcipass recover'");
        }
        return undone;
    }

    void perform(Step step) throws StepFailed {
        if (step instanceof Step.Write w) {
            write(w);
        } else if (step instanceof Step.ExpectDriver e) {
            String now = sys.linkName("bus/pci/devices/" + e.device() + "/driver");
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
