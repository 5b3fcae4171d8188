package org.pcipass.cli;

import java.io.PrintStream;
import java.util.List;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.IommuGroup;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;

final class GroupsCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("groups",
            "Every IOMMU group with its endpoints and bridges, whether it can be given to a guest now, and which"
                    + " members block it.",
            List.of(CommandSpec.flag("--json", "print a JSON array of groups")),
            null, CommandSpec.Arity.NONE, List.of("A group is viable when every member is on vfio-pci, pci-stub or no"
                    + " driver, or is a PCI-to-PCI bridge."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(Args args, Context ctx) {
        HostSnapshot host = ctx.scan(args);
        if (args.flag("--json")) {
            Json.write(ctx.out(), j -> {
                j.gen().writeStartArray();
                for (IommuGroup g : host.groups().values()) {
                    j.group(host, g);
                }
                j.gen().writeEndArray();
            });
            return 0;
        }
        PrintStream out = ctx.out();
        if (host.groups().isEmpty()) {
            out.println("no IOMMU groups under " + host.paths().sysfs() + "/kernel/iommu_groups"
                    + (host.hypervisor() == org.pcipass.host.Hypervisor.XEN_DOM0
                            ? " (in a Xen dom0 the IOMMU belongs to Xen)" : "; see 'pcipass check'"));
            return 0;
        }
        for (IommuGroup g : host.groups().values()) {
            List<PciAddress> blockers = g.members().stream().filter(host::blocksViability).toList();
            out.println("IOMMU group " + g.id() + ": " + (blockers.isEmpty() ? "viable"
                    : "not viable (blocked by " + String.join(", ", blockers.stream().map(Object::toString).toList()) + ")"));
            for (PciAddress a : g.members()) {
                PciDevice d = host.devices().get(a);
                if (d == null) {
                    out.println("  " + a + "  (not under bus/pci/devices)");
                    continue;
                }
                String role = d.isPciBridge() ? "bridge" : blockers.contains(a) ? "blocks" : "ok";
                out.printf("  %s  %-8s %-14s %s%n", a, role, d.driver() == null ? "-" : d.driver(), Describe.line(host, d));
            }
        }
        return 0;
    }
}
