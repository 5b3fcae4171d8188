package org.pcipass.cli;

import java.io.PrintStream;
import java.util.List;
import org.pcipass.host.CheckResult;
import org.pcipass.host.HostSnapshot;
import org.pcipass.host.Readiness;

final class CheckCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("check",
            "Host readiness: hypervisor, IOMMU, stub drivers, OS release; PASS/WARN/FAIL/INFO lines with the fix.",
            List.of(CommandSpec.flag("--json", "print a JSON array of checks")),
            null, CommandSpec.Arity.NONE, List.of("Exits 4 when any line is FAIL."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(Args args, Context ctx) {
        HostSnapshot host = ctx.scan(args);
        List<CheckResult> results = new Readiness(host, ctx.runner()).run();
        if (args.flag("--json")) {
            Json.write(ctx.out(), j -> {
                j.gen().writeStartArray();
                for (CheckResult r : results) {
                    j.check(r);
                }
                j.gen().writeEndArray();
            });
        } else {
            PrintStream out = ctx.out();
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
