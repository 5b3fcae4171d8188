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
        return Mutation.run(args, ctx, "unhide", p -> p.unhide(r, Mutation.commandLine("unhide", args)));
    }
}
