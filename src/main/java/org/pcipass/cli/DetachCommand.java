package org.pcipass.cli;

import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.GuestBackend;
import org.pcipass.host.HostPaths;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.DetachRequest;
import org.pcipass.plan.GuestPlanner;
import org.pcipass.plan.GuestView;

final class DetachCommand implements Command {
    static final int DEFAULT_TIMEOUT = 30;
    private static final CommandSpec SPEC = new CommandSpec("detach",
            "Take devices from a guest and wait until it has let go of them (the hypervisor no longer lists them);"
                    + " with --return give each back to its original driver. A device the guest has not released is"
                    + " never given back: it stays hidden and its assignment is detach-pending (exit 1).",
            List.of(CommandSpec.flag("--return", "give each released device back to its original driver"),
                    GuestCli.VIA, GuestCli.CONNECT, GuestCli.LIVE, GuestCli.CONFIG,
                    CommandSpec.value("--timeout", "SECONDS", "how long to wait for the guest to release a device"
                            + " (default 30)"),
                    Mutation.DRY_RUN, Mutation.JSON),
            "GUEST DEVICE", CommandSpec.Arity.MANY, List.of(
                    "The backend and URI recorded with the assignment are used. A guest that no longer exists, or no"
                    + " longer holds the device, is reconciled: the assignment is cleared (exit 0)."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        return args.flag("--dry-run") ? StateDirCheck.Use.READ : StateDirCheck.Use.CREATE;
    }

    @Override
    public int run(Args args, Context ctx) {
        String guest = GuestCli.guest(args);
        List<PciAddress> devices = GuestCli.devices(args);
        int timeout = timeout(args.value("--timeout"));
        GuestCli.Target given = GuestCli.target(args, ctx);
        HostPaths paths = ctx.paths(args);
        GuestCli.Target t = recorded(GuestCli.assignments(paths.stateDir()), devices, given);
        DetachRequest r = new DetachRequest(guest, devices, t.backend(), t.connect(), GuestCli.mode(args), timeout,
                args.flag("--return"));
        String command = Mutation.commandLine("detach", args);
        return Mutation.run(args, ctx, "detach", p -> {
            try (GuestBackend b = ctx.backends().open(t.backend(), t.connect())) {
                GuestView v = GuestCli.view(ctx, paths, b, guest);
                return new GuestPlanner(p.host(), p).detach(r, v, command);
            }
        });
    }

    /** The backend and URI the devices' assignments were made with (all the same), else the one the options give. */
    static GuestCli.Target recorded(Map<PciAddress, Assignment> assignments, List<PciAddress> devices,
            GuestCli.Target given) {
        GuestCli.Target found = null;
        for (PciAddress a : devices) {
            Assignment as = assignments.get(a);
            if (as == null) {
                continue;
            }
            GuestCli.Target t = new GuestCli.Target(as.backend(), as.connect());
            if (found != null && !found.equals(t)) {
                throw new PcipassException.BadInput("the devices were assigned through different backends ("
                        + describe(found) + ", " + describe(t) + "); detach them one command per backend");
            }
            found = t;
        }
        return found != null ? found : given;
    }

    private static String describe(GuestCli.Target t) {
        return t.connect() == null ? t.backend() : t.backend() + " " + t.connect();
    }

    static int timeout(String s) {
        if (s == null) {
            return DEFAULT_TIMEOUT;
        }
        try {
            int n = Integer.parseInt(s.strip());
            if (n >= 0 && n <= 3600) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new PcipassException.BadInput("--timeout '" + org.pcipass.guest.GuestName.printable(s) + "' is not a number of seconds"
                + " from 0 to 3600; give one such as 30");
    }
}
