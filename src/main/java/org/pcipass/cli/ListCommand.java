package org.pcipass.cli;

import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciDevice;

final class ListCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("list",
            "Every PCI device, one row each: address, ids, driver, IOMMU group, verdict.",
            java.util.List.of(CommandSpec.flag("--json", "print a JSON array of devices (DESIGN.md's fields)")),
            null, CommandSpec.Arity.NONE, VerdictHelp.NOTES);

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
                for (PciDevice d : host.devices().values()) {
                    j.device(host, d, false);
                }
                j.gen().writeEndArray();
            });
            return 0;
        }
        Table t = new Table("ADDRESS", "IDS", "DRIVER", "GROUP", "VERDICT", "DEVICE");
        for (PciDevice d : host.devices().values()) {
            t.row(d.address().toString(), Describe.ids(d), d.driver() == null ? "-" : d.driver(),
                    d.iommuGroup() == null ? "-" : String.valueOf(d.iommuGroup()),
                    host.assessment(d.address()).verdict().json(), Describe.line(host, d));
        }
        t.print(ctx.out());
        return 0;
    }
}
