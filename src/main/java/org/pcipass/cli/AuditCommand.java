package org.pcipass.cli;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.host.HostPaths;
import org.pcipass.pci.PciAddress;
import org.pcipass.store.AuditEntry;
import org.pcipass.store.Store;

/** The audit log: every change and every refused change, through the CLI or the API, newest first. */
public final class AuditCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("audit",
            "The audit log, newest first: every hide, unhide, attach and detach that ran (not dry runs) through the"
                    + " CLI or the API, and every one that was refused or failed: who (the Unix user, or the API"
                    + " token's name), when, which devices and guest, the plan and how it ended. Bad input is not"
                    + " logged (nothing was attempted).",
            List.of(CommandSpec.value("--device", "DEVICE", "only rows naming this device"),
                    CommandSpec.value("--since", "TIME", "only rows since TIME: an age (15m, 2h, 7d), a date"
                            + " (2026-11-30) or a time (2026-11-30T12:00, local; 2026-11-30T12:00:00Z)"),
                    CommandSpec.value("--limit", "N", "at most the newest N rows (default: all)"),
                    CommandSpec.flag("--json", "print a JSON array")),
            null, CommandSpec.Arity.NONE, List.of());

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        return StateDirCheck.Use.READ;
    }

    @Override
    public int run(Args args, Context ctx) {
        PciAddress device = args.value("--device") == null ? null : ShowCommand.address(args.value("--device"));
        Instant since = args.value("--since") == null ? null : Since.parse(args.value("--since"), ctx.clock(), "--since");
        int limit = limit(args.value("--limit"));
        HostPaths paths = ctx.paths(args);
        List<AuditEntry> rows;
        try (Store store = Store.openIfExists(paths.stateDir())) {
            rows = store == null ? List.of() : store.auditLog(device, since, limit);
        }
        if (args.flag("--json")) {
            List<Object> out = new ArrayList<>();
            rows.forEach(r -> out.add(json(r)));
            ctx.out().println(JsonTree.pretty(out));
            return 0;
        }
        if (rows.isEmpty()) {
            ctx.out().println("no audit rows" + (device != null || since != null ? " match" : ""));
            return 0;
        }
        Table t = new Table("TIME", "ACTOR", "VIA", "ACTION", "DEVICES", "GUEST", "RESULT");
        for (AuditEntry r : rows) {
            t.row(r.at().truncatedTo(ChronoUnit.SECONDS).toString(), r.actor(), r.via(), r.action(),
                    r.devices().isEmpty() ? "-" : String.join(",", r.devices().stream().map(PciAddress::toString)
                            .toList()), r.guest() == null ? "-" : r.guest(),
                    r.result() + (r.error() == null ? "" : ": " + r.error()));
        }
        t.print(ctx.out());
        return 0;
    }

    private static int limit(String text) {
        if (text == null) {
            return Integer.MAX_VALUE;
        }
        try {
            int n = Integer.parseInt(text);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new PcipassException.BadInput("--limit '" + text + "' is not a positive number of rows; give one such"
                + " as 50");
    }

    /** {id, time, actor, via, address, action, devices, guest, result, exit, error, command, steps}. */
    public static Map<String, Object> json(AuditEntry r) {
        Map<String, Object> n = JsonTree.object();
        n.put("id", r.id());
        n.put("time", r.at().toString());
        n.put("actor", r.actor());
        n.put("via", r.via());
        n.put("address", r.address());
        n.put("action", r.action());
        n.put("devices", new ArrayList<Object>(r.devices().stream().map(PciAddress::toString).toList()));
        n.put("guest", r.guest());
        n.put("result", r.result());
        n.put("exit", r.exit());
        n.put("error", r.error());
        n.put("command", r.command());
        Object steps = null;
        if (r.plan() != null) {
            try {
                steps = JsonTree.parse(r.plan());
            } catch (IOException e) {
                steps = r.plan(); // written by pcipass, so this does not happen; shown as text if it does
            }
        }
        n.put("steps", steps);
        return n;
    }
}
