package org.pcipass.cli;

import org.pcipass.host.HostPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "pcipass", mixinStandardHelpOptions = true, version = "pcipass 0.1.0",
        description = "PCI passthrough manager for Xen and KVM hosts.",
        subcommands = {ListCommand.class, ShowCommand.class, GroupsCommand.class, CheckCommand.class},
        footer = {"", "Exit codes: 0 done, 1 operation failed, 2 bad input, 3 refused by policy, 4 check found a FAIL."})
public final class PcipassCommand implements Runnable {
    final Context ctx;

    @Mixin
    GlobalOptions global;

    @Spec
    CommandSpec spec;

    PcipassCommand(Context ctx) {
        this.ctx = ctx;
    }

    HostPaths paths(GlobalOptions after) {
        return GlobalOptions.resolve(global, after, ctx.env());
    }

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "a command is required (list, show, groups, check)");
    }
}
