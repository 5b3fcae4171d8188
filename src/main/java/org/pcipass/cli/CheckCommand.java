package org.pcipass.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import org.pcipass.host.CheckResult;
import org.pcipass.host.HostSnapshot;
import org.pcipass.host.Readiness;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Host readiness: hypervisor, IOMMU, stub drivers, OS release; PASS/WARN/FAIL/INFO lines with"
                + " the fix. Exits 4 when any line is FAIL.")
final class CheckCommand implements Callable<Integer> {
    @ParentCommand
    PcipassCommand top;

    @Mixin
    GlobalOptions global;

    @Option(names = "--json", description = "print a JSON array of checks")
    boolean json;

    @Override
    public Integer call() {
        HostSnapshot host = top.ctx.scan(top.paths(global));
        List<CheckResult> results = new Readiness(host, top.ctx.runner()).run();
        if (json) {
            Json.write(top.ctx.out(), j -> {
                j.gen().writeStartArray();
                for (CheckResult r : results) {
                    j.check(r);
                }
                j.gen().writeEndArray();
            });
        } else {
            PrintStream out = top.ctx.out();
            for (CheckResult r : results) {
                out.printf("%-4s  %-15s %s%n", r.status(), r.name(), r.detail());
                if (r.fix() != null) {
                    out.printf("      %-15s fix: %s%n", "", r.fix());
                }
            }
        }
        return results.stream().anyMatch(r -> r.status() == CheckResult.Status.FAIL) ? 4 : 0;
    }
}
