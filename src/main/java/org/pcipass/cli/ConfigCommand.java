package org.pcipass.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.pcipass.PcipassException;
import org.pcipass.guest.GuestName;
import org.pcipass.host.HostSnapshot;
import org.pcipass.persist.DeviceIds;
import org.pcipass.persist.KernelCmdline;
import org.pcipass.persist.ModprobeLines;
import org.pcipass.persist.ModprobePersistence;
import org.pcipass.persist.PersistTarget;
import org.pcipass.persist.PersistedDevice;
import org.pcipass.persist.Stub;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.HideRequest;
import org.pcipass.plan.Planner;
import org.pcipass.store.HiddenRegistry;

/**
 * {@code pcipass config}: the persistence lines, and the guest formats ({@link GuestConfig}), for people
 * who apply them by hand; writes nothing.
 */
final class ConfigCommand implements Command {
    private static final List<String> FORMATS = List.of("modprobe", "cmdline", "libvirt", "nodedev", "virsh",
            "virt-install", "xl", "xl-attach");
    private static final CommandSpec SPEC = new CommandSpec("config",
            "Print configuration for people who apply it by hand, without writing anything: the modprobe lines"
                    + " that keep devices hidden after a reboot (the seed's format) or the kernel command line form;"
                    + " libvirt's hostdev XML, its node device XML, virsh commands, virt-install options; xl.cfg lines"
                    + " or xl commands. It prints for any device on any host; warnings go to stderr.",
            List.of(CommandSpec.value("--format", "FORMAT", String.join(", ", FORMATS)),
                    CommandSpec.value("--driver", "D", "pciback, vfio-pci or pci-stub (default: the one the device was"
                            + " hidden on, else pciback in a Xen dom0 and vfio-pci otherwise); for libvirt, virsh and"
                            + " virt-install pciback gives the Xen form and vfio-pci the KVM form (default: the"
                            + " host's)"),
                    CommandSpec.value("--guest", "NAME", "the guest for virsh and xl-attach (default: the placeholder"
                            + " GUEST)"),
                    CommandSpec.flag("--managed", "libvirt, virsh, virt-install: managed='yes' (libvirt binds the"
                            + " device at guest start and gives it back to the host at stop); default managed='no'")),
            "DEVICE", CommandSpec.Arity.MANY, List.of());

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        // Main asks this before anything else: a hostile --guest or a wrong --format is refused here first
        String format = checkedFormat(args);
        return GuestConfig.FORMATS.contains(format) ? StateDirCheck.Use.NONE : StateDirCheck.Use.READ;
    }

    /** The format, after --guest (DESIGN.md's rule for guest names, whatever the format) and --format are checked. */
    private static String checkedFormat(Args args) {
        String guest = args.value("--guest");
        if (guest != null) {
            GuestName.check(guest);
        }
        String format = args.value("--format");
        if (format == null || !FORMATS.contains(format)) {
            throw new PcipassException.BadInput("--format " + (format == null ? "is required" : "'" + format
                    + "' is not a format") + ": give one of " + String.join(", ", FORMATS));
        }
        return format;
    }

    @Override
    public int run(Args args, Context ctx) {
        String format = checkedFormat(args);
        String driver = Mutation.stubOption(args);
        if (GuestConfig.FORMATS.contains(format)) {
            GuestConfig guest = new GuestConfig(format, args.value("--guest"), driver, args.flag("--managed"));
            List<PciAddress> addresses = Mutation.devices(args);
            return guest.print(ctx.scan(args), addresses, ctx.out(), ctx.err());
        }
        GuestConfig.checkManaged(format, args.flag("--managed"));
        List<PciAddress> addresses = Mutation.devices(args);
        HostSnapshot host = ctx.scan(args);
        var hidden = HiddenRegistry.load(host.paths().stateDir());
        List<PersistedDevice> devices = new ArrayList<>();
        for (PciAddress a : addresses) {
            devices.add(persisted(host, host.device(a), hidden.get(a), driver));
        }
        PersistTarget target = PersistTarget.inspect(host.paths());
        KernelCmdline cmdline = KernelCmdline.of(target); // its stub parameters are merged into both forms
        if (format.equals("cmdline")) {
            ctx.out().println(ModprobeLines.cmdline(devices, target.pcibackModule(), cmdline));
            return 0;
        }
        Set<DeviceIds> shared = ModprobePersistence.sharedIds(host, new java.util.HashSet<>(addresses));
        ctx.out().println("# for " + target.systemPath());
        ctx.out().print(ModprobeLines.render(devices, target.pcibackModule(), target.builtInStubs(), shared, cmdline)
                .configText());
        return 0;
    }

    /** The device as a persisted hide: its original driver is the one recorded at hide time, else its driver now. */
    private static PersistedDevice persisted(HostSnapshot host, PciDevice d, HiddenDevice rec, String driver) {
        String stub = driver != null ? driver : rec != null ? rec.stub() : Planner.defaultStub(host.hypervisor());
        String orig = rec != null ? rec.originalDriver() : d.driver();
        String module = rec != null ? rec.originalModule() : d.module();
        if (orig != null && HideRequest.STUBS.contains(orig) && rec == null) {
            orig = null; // on a stub pcipass did not put it on: no original driver to pre-empt
            module = null;
        }
        DeviceIds ids = d.vendorId() == null || d.deviceId() == null ? null : new DeviceIds(d.vendorId(), d.deviceId());
        return new PersistedDevice(d.address(), Stub.of(stub), orig, orig == null ? null : module, ids);
    }
}
