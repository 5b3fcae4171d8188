package org.pcipass.cli;

import java.util.List;
import org.pcipass.plan.HideRequest;

final class HideCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("hide",
            "Take devices from the host: bind each to a stub driver (pciback, vfio-pci or pci-stub) live, through a"
                    + " checked plan that is journaled, verified and rolled back on any failure.",
            List.of(CommandSpec.value("--driver", "D", "pciback, vfio-pci or pci-stub (default: pciback in a Xen"
                    + " dom0, vfio-pci otherwise)"),
                    Mutation.WITH_GROUP, Mutation.PERSIST,
                    CommandSpec.flag("--force", "hide a host-critical device anyway (never the device holding /, nor"
                            + " an SR-IOV PF with VFs enabled)"),
                    Mutation.DRY_RUN, Mutation.JSON),
            "DEVICE", CommandSpec.Arity.MANY, List.of(
                    "Refusals (exit 3, nothing changed): bridges and host/ISA bridges; host-critical devices (unless"
                    + " --force; never the device holding / nor an SR-IOV PF with VFs enabled); group-blocked devices;"
                    + " IOMMU group siblings still on host drivers (unless --with-group); vfio-pci without an IOMMU; a"
                    + " stub driver that is neither loaded nor installed."));

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
        String driver = Mutation.stubOption(args);
        HideRequest r = new HideRequest(Mutation.devices(args), driver, args.flag("--with-group"),
                args.flag("--force"), args.flag("--persist"));
        return Mutation.run(args, ctx, "hide", p -> p.hide(r, Mutation.commandLine("hide", args)));
    }
}
