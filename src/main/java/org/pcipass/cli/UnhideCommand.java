package org.pcipass.cli;

import java.util.List;
import org.pcipass.plan.UnhideRequest;

final class UnhideCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("unhide",
            "Give devices back to the host: each returns to the driver it had when pcipass hid it (or the one the"
                    + " kernel picks, if pcipass did not hide it), verified, rolled back on failure.",
            List.of(Mutation.WITH_GROUP, Mutation.PERSIST, Mutation.DRY_RUN, Mutation.JSON),
            "DEVICE", CommandSpec.Arity.MANY, List.of());

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
        UnhideRequest r = new UnhideRequest(Mutation.devices(args), args.flag("--with-group"), args.flag("--persist"));
        return Mutation.run(args, ctx, "unhide", p -> {
            refuseAssigned(p.host(), r.devices());
            return p.unhide(r, Mutation.commandLine("unhide", args));
        });
    }

    /** A device a guest owns never goes back to the host: the guest may still be using it. */
    private static void refuseAssigned(org.pcipass.host.HostSnapshot host, List<org.pcipass.pci.PciAddress> devices) {
        var ours = GuestCli.assignments(host.paths().stateDir());
        List<String> refusals = new java.util.ArrayList<>();
        for (var a : devices) {
            var as = ours.get(a);
            var owner = host.owner(a);
            String guest = as != null ? as.guest() : owner != null ? owner.guest() : null;
            if (guest != null) {
                refusals.add(a + " is assigned to guest " + guest + (as == null ? " by another tool" : "")
                        + "; detach it first: pcipass detach " + guest + " " + a + " --return");
            }
        }
        if (!refusals.isEmpty()) {
            throw new org.pcipass.PcipassException.Refused(String.join("; ", refusals));
        }
    }
}
