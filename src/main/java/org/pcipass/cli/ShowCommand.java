package org.pcipass.cli;

import java.io.PrintStream;
import java.util.List;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.host.Assessment;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.sysfs.Usage;

final class ShowCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("show",
            "One device in full: ids, names, driver and module, IOMMU group, SR-IOV, link, reset methods, who on the"
                    + " host uses it, and its verdict with reasons.",
            List.of(CommandSpec.flag("--json", "print the device as a JSON object")),
            "DEVICE", CommandSpec.Arity.ONE, VerdictHelp.NOTES);

    /** Parses a DEVICE argument, or fails as bad input naming it. */
    static PciAddress address(String text) {
        try {
            return PciAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new PcipassException.BadInput(e.getMessage());
        }
    }

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(Args args, Context ctx) {
        PciAddress address = address(args.positionals.get(0));
        HostSnapshot host = ctx.scan(args);
        PciDevice d = host.deviceInFull(address);
        Assignment as = assignment(ctx, host, address);
        if (args.flag("--json")) {
            Json.write(ctx.out(), j -> j.device(host, d, true, as));
            return 0;
        }
        print(ctx.out(), host, d);
        if (as != null) {
            field(ctx.out(), "Assigned", "to " + as.guest() + " (" + as.backend() + (as.connect() == null ? ""
                    : " " + as.connect()) + ", " + as.mode().text() + ", " + as.state() + " since " + as.since() + ")");
        }
        return 0;
    }

    /** pcipass's assignment of the device, when the owners file says it has one (the store is opened only then). */
    private static Assignment assignment(Context ctx, HostSnapshot host, PciAddress address) {
        var owner = host.owner(address);
        if (owner == null || owner.external()) {
            return null;
        }
        try {
            return GuestCli.assignments(host.paths().stateDir()).get(address);
        } catch (PcipassException e) {
            ctx.err().println("pcipass: warning: " + e.getMessage());
            return null;
        }
    }

    private static void print(PrintStream out, HostSnapshot host, PciDevice d) {
        out.println(d.address() + " " + Describe.line(host, d) + " " + Describe.ids(d));
        field(out, "libvirt name", d.address().nodedevName());
        String subsystem = Describe.subsystemIds(d);
        if (subsystem != null) {
            field(out, "Subsystem", subsystem);
        }
        field(out, "Header", Describe.header(d));
        field(out, "Driver", d.driver() == null ? "none" : d.driver() + (d.module() == null ? " (built in)" : " (module " + d.module() + ")"));
        if (d.iommuGroup() == null) {
            field(out, "IOMMU group", "none");
        } else {
            StringBuilder b = new StringBuilder(String.valueOf(d.iommuGroup())).append(':');
            for (PciAddress a : host.groupMembers(d)) {
                PciDevice m = host.devices().get(a);
                b.append(' ').append(a).append(" (").append(m == null || m.driver() == null ? "no driver" : m.driver())
                        .append(')');
            }
            field(out, "IOMMU group", b.toString());
        }
        field(out, "NUMA node", d.numaNode() == null ? "unknown" : String.valueOf(d.numaNode()));
        if (d.physfn() != null) {
            field(out, "SR-IOV", "virtual function of " + d.physfn());
        }
        if (d.sriov() != null) {
            field(out, "SR-IOV", d.sriov().numVfs() + " of " + d.sriov().totalVfs() + " VFs enabled"
                    + (d.virtfns().isEmpty() ? "" : ": " + String.join(", ", d.virtfns().stream().map(Object::toString).toList())));
        }
        if (d.link() != null) {
            PciDevice.Link l = d.link();
            field(out, "Link", l.speed() + " x" + l.width() + " (max " + l.maxSpeed() + " x" + l.maxWidth() + ")");
        }
        field(out, "Reset", d.resetMethods() == null ? "unknown" : d.resetMethods().isEmpty() ? "none" : String.join(" ", d.resetMethods()));
        if (d.isVga()) {
            field(out, "Boot VGA", d.bootVga() ? "yes" : "no");
        }
        List<Usage> usage = host.usage(d.address());
        for (Usage u : usage) {
            field(out, "Used by", u.kind() + " " + u.name() + ": " + u.detail());
        }
        Assessment a = host.assessment(d.address());
        field(out, "Verdict", a.verdict().json());
        for (String r : a.reasons()) {
            out.println("  - " + r);
        }
    }

    private static void field(PrintStream out, String name, String value) {
        out.printf("  %-13s %s%n", name + ":", value);
    }
}
