package org.pcipass.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.pcipass.PcipassException;
import org.pcipass.apply.Executor;
import org.pcipass.apply.HostLock;
import org.pcipass.apply.Journal;
import org.pcipass.apply.JsonTree;
import org.pcipass.apply.PlanJson;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.Bindings;
import org.pcipass.plan.Plan;
import org.pcipass.plan.Planner;
import org.pcipass.plan.Step;
import org.pcipass.sysfs.Sysfs;

/**
 * What every mutating command does around its plan: take the host lock, recover an interrupted
 * plan, scan, plan, then print the plan (--dry-run) or apply it, and report.
 */
final class Mutation {
    static final CommandSpec.Opt DRY_RUN = CommandSpec.flag("--dry-run", "print the whole plan and change nothing");
    static final CommandSpec.Opt JSON = CommandSpec.flag("--json", "print the plan and its result as JSON");
    static final CommandSpec.Opt PERSIST = CommandSpec.flag("--persist",
            "also write the modprobe configuration, so that it holds after a reboot");
    static final CommandSpec.Opt WITH_GROUP = CommandSpec.flag("--with-group",
            "also move the device's IOMMU group siblings (PCI-to-PCI bridges stay)");

    private Mutation() {}

    static List<PciAddress> devices(Args args) {
        List<PciAddress> out = new ArrayList<>();
        for (String p : args.positionals) {
            PciAddress a = ShowCommand.address(p);
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }

    static String commandLine(String name, Args args) {
        StringBuilder b = new StringBuilder("pcipass ").append(name);
        args.positionals.forEach(p -> b.append(' ').append(p));
        args.flags.stream().sorted().forEach(f -> b.append(' ').append(f));
        args.values.forEach((k, v) -> b.append(' ').append(k).append(' ').append(v));
        return b.toString();
    }

    static Duration lockTimeout(Context ctx) {
        String s = ctx.env().get("PCIPASS_LOCK_TIMEOUT");
        if (s == null || s.isEmpty()) {
            return Duration.ofSeconds(30); // an empty variable counts as unset, as for the global options
        }
        double seconds;
        try {
            seconds = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            seconds = Double.NaN;
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new PcipassException.BadInput("PCIPASS_LOCK_TIMEOUT '" + s
                    + "' is not a number of seconds; give one such as 30 (0 = do not wait)");
        }
        return Duration.ofMillis((long) (Math.min(seconds, 365 * 86400.0) * 1000)); // a year is "forever"
    }

    /**
     * Runs one mutating command: {@code planner} makes the plan from a fresh snapshot. A real run
     * (not a dry run) leaves a row in the audit log however it ends, unless its input was bad (exit 2:
     * nothing was attempted).
     */
    static int run(Args args, Context ctx, String name, Function<Planner, Plan> planning) {
        HostPaths paths = ctx.paths(args);
        Sysfs sys = new Sysfs(paths.sysfs()); // where a done plan's devices are read back for the summary
        boolean json = args.flag("--json");
        String command = commandLine(name, args);
        if (args.flag("--dry-run")) {
            warnOfJournal(ctx.err(), paths.stateDir());
            Plan plan = planning.apply(planner(ctx, args));
            ctx.caller().planned(plan, paths, true);
            print(ctx.out(), plan, json, null, true, sys);
            return 0;
        }
        // the audit log's command line: what was asked, without the output's form
        Audit audit = new Audit(ctx, paths.stateDir(), name, args, command.replace(" --json", ""));
        try (HostLock lock = HostLock.acquire(paths.stateDir(), command, lockTimeout(ctx))) {
            Executor exec = recovered(ctx, paths);
            Plan plan = planning.apply(planner(ctx, args));
            audit.plan = plan;
            ctx.caller().planned(plan, paths, false);
            if (plan.isEmpty()) {
                if (!plan.assignments().isEmpty()
                        || !plan.hiddenAfter().equals(org.pcipass.store.HiddenRegistry.load(paths.stateDir()))) {
                    exec.record(plan);
                }
                audit.outcome(Executor.Outcome.completed());
                print(ctx.out(), plan, json, Executor.Outcome.completed(), false, sys);
                return 0;
            }
            Executor.Outcome outcome = exec.apply(plan);
            audit.outcome(outcome);
            print(ctx.out(), plan, json, outcome, false, sys);
            return reportFailure(ctx.err(), outcome, sys);
        } catch (RuntimeException e) {
            audit.failure(e);
            throw e;
        }
    }

    /** The audit row of one real run, written once it is known how the run ended. */
    private static final class Audit {
        private final Context ctx;
        private final java.nio.file.Path stateDir;
        private final String action;
        private final String command;
        private final List<PciAddress> devices;
        private final String guest;
        private Plan plan;
        private boolean written;

        Audit(Context ctx, java.nio.file.Path stateDir, String action, Args args, String command) {
            this.ctx = ctx;
            this.stateDir = stateDir;
            this.action = action;
            this.command = command;
            // the command checked its guest and devices before the run began: these cannot throw here
            boolean guestCommand = action.equals("attach") || action.equals("detach");
            this.guest = guestCommand ? GuestCli.guest(args) : null;
            this.devices = guestCommand ? GuestCli.devices(args) : Mutation.devices(args);
        }

        void outcome(Executor.Outcome o) {
            write(o.result(), o.done() ? 0 : 1, o.error());
        }

        /** A run stopped by an exception: refused (exit 3), stale (the server's check) or failed; bad input is not logged. */
        void failure(RuntimeException e) {
            int exit = e instanceof PcipassException p ? p.exitCode() : 1;
            if (written || exit == 2) {
                return;
            }
            String result = e instanceof Caller.StalePlan ? "stale" : exit == 3 ? "refused" : "failed";
            write(result, exit, e.getMessage() == null ? String.valueOf(e) : e.getMessage().strip());
        }

        private void write(String result, int exit, String error) {
            written = true;
            org.pcipass.store.AuditEntry e = new org.pcipass.store.AuditEntry(0, ctx.clock().instant(),
                    ctx.caller().actor(), ctx.caller().via(), ctx.caller().address(), action, devices, guest, result, exit,
                    error, command,
                    plan == null ? null : JsonTree.compact(PlanJson.steps(plan.steps())));
            try (org.pcipass.store.Store store = org.pcipass.store.Store.open(stateDir)) {
                ctx.caller().audited(store.audit(e));
            } catch (RuntimeException failed) {
                // the change itself stands (or was refused) either way: say so, do not turn it into a failure
                ctx.err().println("pcipass: warning: the audit log was not written: " + failed.getMessage());
            }
        }
    }

    /**
     * Says on stderr how a plan that did not finish ended, and names every device it left without
     * a driver (whatever the output mode); 1 when it did not finish, else 0.
     */
    static int reportFailure(PrintStream err, Executor.Outcome outcome, Sysfs sys) {
        if (outcome.done()) {
            return 0;
        }
        err.println("pcipass: " + outcome.error() + (outcome.rollbackFailed() ? "" : "; rolled back: "
                + outcome.undoneText()));
        reportStranded(err, outcome, sys);
        return 1;
    }

    /** Names each device a failed rollback left without a driver, with the commands that give it back by hand. */
    static void reportStranded(PrintStream err, Executor.Outcome outcome, Sysfs sys) {
        outcome.stranded().forEach(d -> err.println("pcipass: " + d.address() + " is left with no driver (it had "
                + d.driver() + "): run 'pcipass recover' once the cause is fixed, or bind it by hand: echo > "
                + sys.path("bus/pci/devices/" + d.address() + "/driver_override") + "; echo " + d.address() + " > "
                + sys.path("bus/pci/drivers/" + d.driver() + "/bind")));
    }

    /**
     * Before a dry run: a journal is either a plan running now in another pcipass (it holds the
     * lock) or one a crash interrupted, which the next real run recovers first.
     */
    private static void warnOfJournal(PrintStream err, java.nio.file.Path stateDir) {
        if (!java.nio.file.Files.exists(Journal.path(stateDir))) {
            return;
        }
        String holder = HostLock.holder(stateDir);
        if (holder != null) {
            err.println("pcipass: warning: another pcipass is applying a plan now (" + holder + "); this dry run"
                    + " shows the host as it is part-way through that plan");
        } else {
            err.println("pcipass: warning: an interrupted plan is journaled in " + Journal.path(stateDir)
                    + "; the next real run recovers it first");
        }
    }

    /** The {@code --driver} value, checked: null when not given. */
    static String stubOption(Args args) {
        String driver = args.value("--driver");
        if (driver != null && !org.pcipass.plan.HideRequest.STUBS.contains(driver)) {
            throw new PcipassException.BadInput("--driver '" + driver + "' is not a stub driver; give pciback,"
                    + " vfio-pci or pci-stub");
        }
        return driver;
    }

    /** The executor, after it has finished or rolled back any plan a crash left behind (reported on stderr). */
    static Executor recovered(Context ctx, HostPaths paths) {
        Executor exec = executor(ctx, paths);
        Executor.Outcome recovered = exec.recover();
        if (recovered != null && recovered.rollbackFailed()) {
            reportStranded(ctx.err(), recovered, new Sysfs(paths.sysfs()));
            throw new PcipassException("an interrupted plan could not be rolled back, so nothing new was done: "
                    + recovered.error());
        }
        if (recovered != null) {
            RecoverCommand.report(ctx.err(), recovered, "pcipass: ");
        }
        return exec;
    }

    static Executor executor(Context ctx, HostPaths paths) {
        return new Executor(new Sysfs(paths.sysfs()), ctx.kernel(), ctx.runner(), paths.stateDir(), ctx.env(),
                ctx.err(), ctx.backends(), ctx.clock());
    }

    private static Planner planner(Context ctx, Args args) {
        HostSnapshot host = ctx.scan(args);
        return new Planner(host, org.pcipass.store.HiddenRegistry.load(host.paths().stateDir()),
                ctx.persistence(host));
    }

    static void print(PrintStream out, Plan plan, boolean json, Executor.Outcome outcome, boolean dryRun, Sysfs sys) {
        if (json) {
            java.util.Map<String, Object> root = JsonTree.object();
            root.put("steps", PlanJson.steps(plan.steps()));
            if (outcome != null) {
                root.put("result", outcome.result());
                root.put("error", outcome.error());
                root.put("devices", devices(plan, sys));
                if (outcome.rollbackFailed()) {
                    root.put("fix", "fix the cause in the error, then run 'pcipass recover': it finishes the rollback"
                            + " from the journal");
                }
            }
            root.put("notes", new java.util.ArrayList<Object>(plan.notes()));
            out.println(JsonTree.pretty(root));
            return;
        }
        plan.notes().forEach(n -> out.println("note: " + n));
        if (dryRun) {
            out.println(plan.isEmpty() ? "nothing to do" : "plan (dry run, nothing changed):");
            int k = 1;
            for (Step s : plan.steps()) {
                out.println(String.format("%3d. %s", k++, StepText.line(s)));
                StepText.detail(s).forEach(l -> out.println("       " + l));
            }
            return;
        }
        if (outcome != null && outcome.done()) {
            plan.before().forEach((a, d) -> out.println(a + ": " + (d.driver() == null ? "no driver" : d.driver())
                    + " -> " + destination(plan, a, sys)));
            plan.steps().stream().filter(s -> s instanceof Step.Edit).map(s -> (Step.Edit) s).forEach(e -> out.println(
                    (e.after() == null ? "removed " : e.before() == null ? "created " : "wrote ") + e.file()));
            for (Step s : plan.steps()) {
                if (s instanceof Step.Attach a) {
                    out.println(a.device() + ": attached to " + a.guest() + " (" + a.backend() + ", " + a.mode().text()
                            + "), listed by the hypervisor");
                } else if (s instanceof Step.Detach d) {
                    out.println(d.device() + ": detached from " + d.guest() + " (" + d.backend() + ", "
                            + d.mode().text() + "), released by the guest");
                }
            }
        }
    }

    /** Every device the plan was to change, as it is now (read back): {address, present, driver, before}. */
    private static List<Object> devices(Plan plan, Sysfs sys) {
        Bindings bindings = new Bindings(sys);
        List<Object> out = new ArrayList<>();
        plan.before().forEach((a, d) -> {
            java.util.Map<String, Object> o = JsonTree.object();
            o.put("address", a.toString());
            o.put("present", bindings.present(a));
            o.put("driver", bindings.driver(a));
            o.put("before", d.driver());
            out.add(o);
        });
        return out;
    }

    /** Where a done plan left a device, read back; marked when the kernel chose (no driver was expected). */
    private static String destination(Plan plan, PciAddress a, Sysfs sys) {
        String now = new Bindings(sys).driver(a);
        boolean expected = plan.steps().stream().anyMatch(s -> s instanceof Step.ExpectDriver e && e.device().equals(a));
        return (now == null ? "no driver" : now) + (expected ? "" : " (the kernel's choice)");
    }
}
