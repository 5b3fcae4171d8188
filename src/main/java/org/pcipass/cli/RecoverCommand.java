package org.pcipass.cli;

import java.io.PrintStream;
import java.util.List;
import org.pcipass.apply.Executor;
import org.pcipass.apply.HostLock;
import org.pcipass.host.HostPaths;

final class RecoverCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("recover",
            "Finish or roll back a plan that a crash interrupted (every mutating command does this first).",
            List.of(), null, CommandSpec.Arity.NONE, List.of());

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
        if (!java.nio.file.Files.isDirectory(paths.stateDir())) {
            ctx.out().println("nothing to recover: no state dir " + paths.stateDir());
            return 0;
        }
        try (HostLock lock = HostLock.acquire(paths.stateDir(), "pcipass recover", Mutation.lockTimeout(ctx))) {
            Executor.Outcome o = Mutation.executor(ctx, paths).recover();
            if (o == null) {
                ctx.out().println("nothing to recover: no interrupted plan");
                return 0;
            }
            if (o.rollbackFailed()) {
                ctx.err().println("pcipass: recover: " + o.error());
                Mutation.reportStranded(ctx.err(), o, new org.pcipass.sysfs.Sysfs(paths.sysfs()));
                return 1;
            }
            report(ctx.out(), o, "");
            return 0;
        }
    }

    static void report(PrintStream out, Executor.Outcome o, String prefix) {
        if (o.done()) {
            out.println(prefix + "recovered: an interrupted plan had done every step; verified and completed"
                    + (o.vanished().isEmpty() ? "" : " (" + o.undoneText() + ")"));
        } else {
            out.println(prefix + "recovered: " + o.error() + "; rolled back: " + o.undoneText());
        }
    }
}
