package org.pcipass.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.fleet.Aliases;
import org.pcipass.fleet.Evacuation;
import org.pcipass.fleet.EvacuationSteps;
import org.pcipass.guest.GuestName;
import org.pcipass.store.FleetStore;

/**
 * {@code pcipass fleet evacuate HOST [--ttl MINUTES] [--json]}: where each guest with devices on HOST would
 * go, its devices there held by an evacuation claim, and the steps of the move; exit 3 when some guest fits
 * nowhere (the others' plan is printed and held all the same). Planning only: nothing on any host changes.
 */
final class FleetEvacuate implements FleetCommand.Sub {
    private static final int MAX_TTL_MINUTES = 24 * 60;

    @Override
    public int run(List<String> p, Args args, Context ctx) {
        if (p.size() != 1 || p.get(0).isEmpty()) {
            throw new PcipassException.BadInput("write 'pcipass fleet evacuate HOST [--ttl MINUTES] [--json]'");
        }
        Duration ttl = ttl(args.value("--ttl"));
        FleetConfig config = FleetConfig.of(args, ctx);
        Aliases aliases = Aliases.parse(config.aliases());
        Evacuation.Plan plan;
        try (FleetStore store = FleetStore.open(config.db(), "pcipass fleet evacuate")) {
            plan = new Evacuation(store, aliases, ttl).plan(p.get(0));
        }
        if (args.flag("--json")) {
            ctx.out().println(JsonTree.pretty(json(plan)));
        } else {
            text(plan, ctx);
        }
        if (plan.unplaced().isEmpty()) {
            return 0;
        }
        int all = plan.planned().size() + plan.unplaced().size();
        ctx.err().println("pcipass: " + plan.unplaced().size() + " of " + all + " guests on " + plan.host()
                + " fit on no other host now");
        return 3;
    }

    /** {@code --ttl MINUTES}: how long the evacuation claims hold their devices (default 10). */
    static Duration ttl(String value) {
        if (value == null) {
            return Duration.ofMinutes(FleetClaimsCli.TTL_MINUTES);
        }
        try {
            int m = Integer.parseInt(value.strip());
            if (m >= 1 && m <= MAX_TTL_MINUTES) {
                return Duration.ofMinutes(m);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new PcipassException.BadInput("--ttl '" + GuestName.printable(value) + "' is not a whole number of"
                + " minutes from 1 to " + MAX_TTL_MINUTES + "; write e.g. --ttl 30");
    }

    static Map<String, Object> json(Evacuation.Plan plan) {
        Map<String, Object> o = JsonTree.object();
        o.put("host", plan.host());
        o.put("host_state", plan.hostUp() ? "up" : "down");
        List<Object> planned = new ArrayList<>();
        for (Evacuation.Placed g : plan.planned()) {
            Map<String, Object> e = JsonTree.object();
            e.put("guest", g.guest());
            e.put("devices", new ArrayList<Object>(g.devices()));
            e.put("request", g.request());
            e.put("numa_cells", g.numaCells() == null ? null
                    : new ArrayList<Object>(g.numaCells().stream().map(Integer::longValue).toList()));
            e.put("target", g.target());
            e.put("target_devices", new ArrayList<Object>(g.targetDevices()));
            e.put("expires", g.expires() == null ? null : g.expires().toString());
            e.put("kept", g.kept());
            List<Object> steps = new ArrayList<>();
            for (EvacuationSteps.Step s : g.steps()) {
                Map<String, Object> st = JsonTree.object();
                st.put("host", s.host());
                st.put("action", s.action());
                st.put("command", s.command());
                steps.add(st);
            }
            e.put("steps", steps);
            planned.add(e);
        }
        o.put("planned", planned);
        List<Object> unplaced = new ArrayList<>();
        for (Evacuation.Unplaced g : plan.unplaced()) {
            Map<String, Object> e = JsonTree.object();
            e.put("guest", g.guest());
            e.put("devices", new ArrayList<Object>(g.devices()));
            e.put("request", g.request());
            e.put("reason", g.reason());
            unplaced.add(e);
        }
        o.put("unplaced", unplaced);
        return o;
    }

    private static void text(Evacuation.Plan plan, Context ctx) {
        int all = plan.planned().size() + plan.unplaced().size();
        String host = plan.host() + " (" + (plan.hostUp() ? "up" : "down") + ")";
        if (all == 0) {
            ctx.out().println(host + ": no guest has devices there; nothing to move");
            return;
        }
        ctx.out().println(host + ": " + all + " guest" + (all == 1 ? "" : "s") + " with devices, "
                + plan.planned().size() + " placed elsewhere (devices held), " + plan.unplaced().size()
                + " fit nowhere");
        for (Evacuation.Placed g : plan.planned()) {
            ctx.out().println();
            ctx.out().println(GuestName.printable(g.guest()) + ": " + String.join(" ", g.devices()) + " ("
                    + g.request() + (g.numaCells() == null ? "" : ", NUMA cells " + g.numaCells()) + ") -> "
                    + g.target() + " " + String.join(" ", g.targetDevices()) + ", held until " + g.expires()
                    + (g.kept() ? " (held by an earlier plan)" : ""));
            int i = 0;
            for (EvacuationSteps.Step s : g.steps()) {
                ctx.out().println("  " + ++i + ". on " + s.host() + ": " + s.action());
                ctx.out().println("       " + s.command());
            }
        }
        if (!plan.unplaced().isEmpty()) {
            ctx.out().println();
            ctx.out().println("fit nowhere:");
            for (Evacuation.Unplaced g : plan.unplaced()) {
                ctx.out().println("  " + GuestName.printable(g.guest()) + ": " + String.join(" ", g.devices())
                        + (g.request() == null ? "" : " (" + g.request() + ")") + ": " + g.reason());
            }
        }
    }
}
