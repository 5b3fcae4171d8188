package org.pcipass.cli;

import java.util.List;
import org.pcipass.PcipassException;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.GuestBackends;
import org.pcipass.guest.Mode;
import org.pcipass.host.HostPaths;
import org.pcipass.plan.AttachRequest;
import org.pcipass.plan.GuestOs;
import org.pcipass.plan.GuestPlanner;
import org.pcipass.plan.GuestView;

final class AttachCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("attach",
            "Give devices to a guest in one checked plan: hide each where needed, attach it through libvirt or xl,"
                    + " and read back that the hypervisor lists it; any failure rolls the whole plan back.",
            List.of(GuestCli.VIA, GuestCli.CONNECT, GuestCli.LIVE, GuestCli.CONFIG,
                    CommandSpec.flag("--with-group", "also attach the endpoints of the device's IOMMU group (a GPU and"
                            + " its audio function)"),
                    CommandSpec.flag("--persist", "also persist the hide in the modprobe configuration"),
                    CommandSpec.value("--driver", "STUB", "stub to hide on (default: pciback for Xen guests, vfio-pci"
                            + " for KVM guests)"),
                    CommandSpec.value("--guest-os", "NAME", "the guest's OS when libvirt's metadata does not say (e.g."
                            + " rhel6, rhel5.4)"),
                    CommandSpec.flag("--allow-insecure", "attach to a para-virtualized RHEL 6 guest anyway"),
                    Mutation.DRY_RUN, Mutation.JSON),
            "GUEST DEVICE", CommandSpec.Arity.MANY, List.of(
                    "Mode: as virt-manager, live + config for a running persistent guest, live for a transient one,"
                    + " config for a shut-off one. A config attach hides the device now (a managed='no' hostdev needs it"
                    + " hidden when the guest starts).",
                    "Refusals (exit 3, nothing changed): a device another guest owns (pcipass's or another tool's); a"
                    + " Xen guest created without passthrough (hot-plug would fail); a para-virtualized RHEL 6 guest"
                    + " without --allow-insecure; the hotplug limit (512 per 600 s per device by default: hotplug-limit"
                    + " and hotplug-window in STATE/pcipass.conf); every refusal of hide."));

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
        var devices = GuestCli.devices(args);
        String driver = Mutation.stubOption(args);
        Mode mode = GuestCli.mode(args);
        GuestOs.of(args.value("--guest-os"), null); // checked before any hypervisor is contacted
        GuestCli.Target t = GuestCli.target(args, ctx);
        if (t.backend().equals(GuestBackends.XL) && mode != null && mode.config()) {
            throw new PcipassException.BadInput("xl keeps no persistent guest definition, so --config cannot apply"
                    + " with xl; put the device in the guest's xl.cfg: pcipass config " + args.positionals.get(1)
                    + " --format xl");
        }
        if (t.backend().equals(GuestBackends.XL)) {
            devices.forEach(org.pcipass.guest.XlBackend::spec); // a device xl cannot name: exit 2 before anything
        }
        AttachRequest r = new AttachRequest(guest, devices, t.backend(), t.connect(), mode, args.flag("--with-group"),
                args.flag("--persist"), driver, args.value("--guest-os"), args.flag("--allow-insecure"));
        String command = Mutation.commandLine("attach", args);
        HostPaths paths = ctx.paths(args);
        FleetAttach fleet = FleetAttach.of(args, ctx, paths);
        List<String> addresses = devices.stream().map(Object::toString).toList();
        int code = Mutation.run(args, ctx, "attach", p -> {
            if (fleet != null) {
                fleet.check(guest, addresses);
            }
            try (GuestBackend b = ctx.backends().open(t.backend(), t.connect())) {
                GuestView v = GuestCli.view(ctx, paths, b, guest);
                if (!args.flag("--dry-run")) {
                    GuestCli.noteExternal(paths.stateDir(), v.hostdevs(), v.assignments());
                }
                return new GuestPlanner(p.host(), p).attach(r, v, command);
            }
        });
        if (fleet != null && code == 0 && !args.flag("--dry-run")) {
            fleet.consume(guest, addresses, ctx);
        }
        return code;
    }
}
