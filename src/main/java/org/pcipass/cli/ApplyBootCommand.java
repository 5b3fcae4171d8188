package org.pcipass.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.apply.Executor;
import org.pcipass.apply.HostLock;
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

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(Args args, Context ctx) {
        HostPaths paths = ctx.paths(args);
        Map<PciAddress, HiddenDevice> persisted = new TreeMap<>();
        HiddenRegistry.load(paths.stateDir()).forEach((a, h) -> {
            if (h.persisted()) {
                persisted.put(a, h);
            }
        });
        if (persisted.isEmpty()) {
            ctx.out().println("nothing to re-apply: no persisted hides in " + paths.stateDir());
            return 0;
        }
        int code = 0;
        try (HostLock lock = HostLock.acquire(paths.stateDir(), "pcipass apply-boot", Mutation.lockTimeout(ctx))) {
            Executor exec = Mutation.recovered(ctx, paths);
            for (String stub : HideRequest.STUBS) {
                HostSnapshot host = ctx.scan(args);
                List<PciAddress> todo = new ArrayList<>();
                persisted.forEach((a, h) -> {
                    if (h.stub().equals(stub) && host.devices().containsKey(a)
                            && !stub.equals(host.devices().get(a).driver())) {
                        todo.add(a);
                    }
                });
                if (todo.isEmpty()) {
                    continue;
                }
                Planner planner = new Planner(host, HiddenRegistry.load(paths.stateDir()), ctx.persistence(host));
                try {
                    Plan plan = planner.hide(new HideRequest(todo, stub, false, false, false), "pcipass apply-boot");
                    Executor.Outcome o = exec.apply(plan);
                    Mutation.print(ctx.out(), plan, args.flag("--json"), o, false, host.sysfs());
                    if (!o.done()) {
                        ctx.err().println("pcipass: apply-boot: " + o.error());
                        code = 1;
                    }
                } catch (PcipassException.Refused e) {
                    ctx.err().println("pcipass: apply-boot: " + e.getMessage());
                    code = Math.max(code, 3);
                }
            }
        }
        return code;
    }
}
