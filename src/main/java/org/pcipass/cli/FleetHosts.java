package org.pcipass.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetHost;
import org.pcipass.store.FleetStore;

/**
 * {@code pcipass fleet hosts [--json]}: every host the agents published, by name, up or down (down:
 * no heartbeat for three of its intervals, on the database's clock), with its newest snapshot and how
 * many of its devices are offered (a device_spec matches, ready or assignable, no guest's) and how many
 * claims in force hold (consumed ones included: those devices are a guest's).
 */
final class FleetHosts implements FleetCommand.Sub {
    @Override
    public int run(List<String> positionals, Args args, Context ctx) {
        if (!positionals.isEmpty()) {
            throw new PcipassException.BadInput("'pcipass fleet hosts' takes no argument, got '"
                    + org.pcipass.guest.GuestName.printable(positionals.get(0)) + "' (see 'pcipass fleet --help')");
        }
        List<FleetHost> hosts;
        Map<String, Integer> claimed = new java.util.HashMap<>();
        try (FleetStore fleet = FleetStore.open(FleetConfig.of(args, ctx).db(), "pcipass fleet hosts")) {
            hosts = fleet.hosts(false);
            for (FleetClaims.Claim c : new FleetClaims(fleet).claims(null)) {
                claimed.merge(c.host(), c.devices().size(), Integer::sum);
            }
        }
        if (args.flag("--json")) {
            List<Object> out = new ArrayList<>();
            for (FleetHost h : hosts) {
                Map<String, Object> o = JsonTree.object();
                o.put("name", h.name());
                o.put("state", h.state());
                o.put("snapshot", h.snapshot());
                o.put("published", h.published().toString());
                o.put("heartbeat", h.heartbeat().toString());
                o.put("interval_s", (long) h.intervalS());
                o.put("devices", (long) h.deviceCount());
                o.put("offered", (long) h.offeredCount());
                o.put("claimed", (long) claimed.getOrDefault(h.name(), 0));
                out.add(o);
            }
            ctx.out().println(JsonTree.pretty(out));
            return 0;
        }
        if (hosts.isEmpty()) {
            ctx.out().println("no hosts: start 'pcipass agent' on each host (see 'pcipass agent --help')");
            return 0;
        }
        Table t = new Table("NAME", "STATE", "SNAPSHOT", "PUBLISHED", "HEARTBEAT", "INTERVAL", "DEVICES", "OFFERED",
                "CLAIMED");
        for (FleetHost h : hosts) {
            t.row(h.name(), h.state(), String.valueOf(h.snapshot()), h.published().toString(),
                    h.heartbeat().toString(), h.intervalS() + " s", String.valueOf(h.deviceCount()),
                    String.valueOf(h.offeredCount()), String.valueOf(claimed.getOrDefault(h.name(), 0)));
        }
        t.print(ctx.out());
        return 0;
    }
}
