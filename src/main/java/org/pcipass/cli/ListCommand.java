package org.pcipass.cli;

import java.util.concurrent.Callable;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Every PCI device, one row each: address, ids, driver, IOMMU group, verdict.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    PcipassCommand top;

    @Mixin
    GlobalOptions global;

    @Option(names = "--json", description = "print a JSON array of devices (DESIGN.md's fields)")
    boolean json;

    @Override
    public Integer call() {
        HostSnapshot host = top.ctx.scan(top.paths(global));
        if (json) {
            Json.write(top.ctx.out(), j -> {
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
        t.print(top.ctx.out());
        return 0;
    }
}
