package org.pcipass.cli;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.Executor;
import org.pcipass.apply.HostLock;
import org.pcipass.apply.Journal;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.HideRequest;
import org.pcipass.plan.Plan;
import org.pcipass.plan.Planner;
import org.pcipass.store.HiddenRegistry;

/**
 * {@code pcipass apply-boot}: early in boot (the systemd unit pcipass-apply-boot.service), hides
 * again every persisted device that modprobe could not keep hidden — a built-in original driver,
 * ids shared with devices that stay — each through the same checked plan as {@code hide}.
 */
final class ApplyBootCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("apply-boot",
            "Re-apply persisted hides early in boot (run by the systemd unit pcipass-apply-boot.service).",
            List.of(Mutation.JSON), null, CommandSpec.Arity.NONE, List.of());
    private static final String NOTHING = "nothing to re-apply: no persisted hides in ";

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        return StateDirCheck.Use.WRITE;
    }

    @Override
    public int run(Args args, Context ctx) {
        HostPaths paths = ctx.paths(args);
        if (!Files.isDirectory(paths.stateDir())) {
            // nothing was ever hidden or journaled here: answer, as read-only commands do, without creating it
            ctx.out().println(NOTHING + paths.stateDir());
            return 0;
        }
        // The registry is read only under the lock, after recovery: an unhide --persist that held the lock
        // meanwhile has returned its devices, and they must not be hidden again.
        try (HostLock lock = HostLock.acquire(paths.stateDir(), "pcipass apply-boot", Mutation.lockTimeout(ctx))) {
            Executor exec = Mutation.recovered(ctx, paths);
            if (HiddenDevice.persisted(HiddenRegistry.load(paths.stateDir())).isEmpty()) {
                ctx.out().println(NOTHING + paths.stateDir());
                return 0;
            }
            int code = 0;
            for (String stub : HideRequest.STUBS) {
                int c = reapply(args, ctx, exec, stub);
                code = code == 1 || c == 1 ? 1 : Math.max(code, c); // a failure outranks a refusal, whichever came first
                if (Files.exists(Journal.path(paths.stateDir()))) {
                    break; // a rollback failed and kept its journal: nothing more until 'pcipass recover'
                }
            }
            return code;
        }
    }

    /** Hides again the persisted devices of {@code stub} that are not on it; 0, 1 (failed) or 3 (refused). */
    private static int reapply(Args args, Context ctx, Executor exec, String stub) {
        HostSnapshot host = ctx.scan(args);
        Map<PciAddress, HiddenDevice> registry = HiddenRegistry.load(host.paths().stateDir());
        List<PciAddress> todo = new ArrayList<>();
        HiddenDevice.persisted(registry).forEach((a, h) -> {
            if (h.stub().equals(stub) && host.devices().containsKey(a) && !stub.equals(host.devices().get(a).driver())) {
                todo.add(a);
            }
        });
        if (todo.isEmpty()) {
            return 0;
        }
        Planner planner = new Planner(host, registry, ctx.persistence(host));
        try {
            Plan plan = planner.hide(new HideRequest(todo, stub, false, false, false), "pcipass apply-boot");
            Executor.Outcome o = exec.apply(plan);
            Mutation.print(ctx.out(), plan, args.flag("--json"), o, false, host.sysfs());
            return Mutation.reportFailure(ctx.err(), o, host.sysfs());
        } catch (PcipassException.Refused e) {
            ctx.err().println("pcipass: apply-boot: " + e.getMessage());
            return 3;
        }
    }

}
