package org.pcipass.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.fleet.Aliases;
import org.pcipass.fleet.ClaimPlanner;
import org.pcipass.fleet.DeviceSpecs;
import org.pcipass.fleet.PciRequest;
import org.pcipass.guest.GuestName;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetStore;

/**
 * {@code fleet claim GUEST --alias NAME:COUNT,... [--numa-cells C,...]}, {@code fleet release GUEST} and
 * {@code fleet claims} ({@code --evacuation}: release or list the evacuation claims that
 * {@code fleet evacuate} holds instead): devices held in the fleet's database for a guest until {@code attach} on the chosen
 * host consumes the claim, or it expires ({@value #TTL_MINUTES} minutes unconsumed).
 */
final class FleetClaimsCli {
    static final long TTL_MINUTES = 10;

    private FleetClaimsCli() {}

    static final class Claim implements FleetCommand.Sub {
        @Override
        public int run(List<String> p, Args args, Context ctx) {
            if (p.size() != 1) {
                throw new PcipassException.BadInput("write 'pcipass fleet claim GUEST --alias NAME:COUNT[,...]"
                        + " [--numa-cells C,...]'");
            }
            String guest = GuestName.check(p.get(0));
            String alias = args.value("--alias");
            if (alias == null) {
                throw new PcipassException.BadInput("fleet claim needs --alias NAME:COUNT[,NAME:COUNT...], e.g."
                        + " --alias gpu:2,vf:1");
            }
            List<Integer> cells = cells(args.value("--numa-cells"));
            FleetConfig config = FleetConfig.of(args, ctx);
            DeviceSpecs.parse(config.specs()); // the hosts' agents apply theirs; a bad one is still bad input
            Aliases aliases = Aliases.parse(config.aliases());
            List<PciRequest> requests = aliases.requests(alias, null);
            try (FleetStore store = FleetStore.open(config.db(), "pcipass fleet claim")) {
                FleetClaims.Claim c = new FleetClaims(store).claim(guest, FleetClaims.CLAIM, alias.strip(),
                        cells == null ? null : join(cells), null, java.time.Duration.ofMinutes(TTL_MINUTES), Set.of(),
                        ClaimPlanner.placer(requests, cells));
                if (args.flag("--json")) {
                    ctx.out().println(JsonTree.pretty(json(c)));
                } else {
                    ctx.out().println(c.guest() + " claims " + String.join(" ", c.devices()) + " on " + c.host()
                            + " until " + c.expires() + " (attach there consumes it)");
                }
                return 0;
            }
        }
    }

    static final class Release implements FleetCommand.Sub {
        @Override
        public int run(List<String> p, Args args, Context ctx) {
            if (p.size() != 1) {
                throw new PcipassException.BadInput("write 'pcipass fleet release GUEST [--evacuation]'");
            }
            String guest = GuestName.check(p.get(0));
            String kind = kind(args);
            String what = kind.equals(FleetClaims.CLAIM) ? "claim" : "evacuation claim";
            FleetConfig config = FleetConfig.of(args, ctx);
            try (FleetStore store = FleetStore.open(config.db(), "pcipass fleet release")) {
                FleetClaims claims = new FleetClaims(store);
                FleetClaims.Claim c = claims.claimOf(guest, kind);
                if (!claims.release(guest, kind)) {
                    ctx.err().println("pcipass: " + guest + " holds no " + what + ": nothing to release");
                    return 0;
                }
                ctx.err().println("pcipass: released " + guest + "'s " + what + (c == null ? "" : " on " + c.host()
                        + " (" + String.join(" ", c.devices()) + ")"));
                return 0;
            }
        }
    }

    static final class Listing implements FleetCommand.Sub {
        @Override
        public int run(List<String> p, Args args, Context ctx) {
            if (!p.isEmpty()) {
                throw new PcipassException.BadInput("fleet claims takes no arguments; write 'pcipass fleet claims"
                        + " [--evacuation] [--json]'");
            }
            FleetConfig config = FleetConfig.of(args, ctx);
            try (FleetStore store = FleetStore.open(config.db(), "pcipass fleet claims")) {
                String kind = kind(args);
                List<FleetClaims.Claim> all = new FleetClaims(store).claims(kind);
                if (args.flag("--json")) {
                    List<Object> out = new ArrayList<>();
                    all.forEach(c -> out.add(json(c)));
                    ctx.out().println(JsonTree.pretty(out));
                    return 0;
                }
                boolean evacuation = kind.equals(FleetClaims.EVACUATION);
                if (all.isEmpty()) {
                    ctx.out().println(evacuation ? "no evacuation claims" : "no claims");
                    return 0;
                }
                Table t = evacuation ? new Table("GUEST", "FROM", "HOST", "DEVICES", "SINCE", "EXPIRES")
                        : new Table("GUEST", "HOST", "DEVICES", "SINCE", "EXPIRES");
                for (FleetClaims.Claim c : all) {
                    List<String> row = new ArrayList<>(List.of(c.guest(), c.host(), String.join(" ", c.devices()),
                            c.since().toString(), c.expires() == null ? "consumed" : c.expires().toString()));
                    if (evacuation) {
                        row.add(1, String.valueOf(c.fromHost()));
                    }
                    t.row(row.toArray(String[]::new));
                }
                t.print(ctx.out());
                return 0;
            }
        }
    }

    /** DESIGN.md's claim object; an evacuation claim adds the host it moves the guest from. */
    static Map<String, Object> json(FleetClaims.Claim c) {
        Map<String, Object> o = JsonTree.object();
        o.put("guest", c.guest());
        o.put("host", c.host());
        o.put("devices", new ArrayList<Object>(c.devices()));
        o.put("since", iso(c.since()));
        o.put("expires", c.expires() == null ? null : iso(c.expires()));
        if (c.kind().equals(FleetClaims.EVACUATION)) {
            o.put("from_host", c.fromHost());
        }
        return o;
    }

    /** {@code --evacuation}: the evacuation claims plans hold; else the guests' claims. */
    private static String kind(Args args) {
        return args.flag("--evacuation") ? FleetClaims.EVACUATION : FleetClaims.CLAIM;
    }

    private static String iso(Instant i) {
        return i.toString();
    }

    /** {@code --numa-cells 0,1}: distinct whole numbers 0 or more, in the order given; null when absent. */
    static List<Integer> cells(String value) {
        if (value == null) {
            return null;
        }
        Set<Integer> out = new LinkedHashSet<>();
        for (String s : value.split(",", -1)) {
            try {
                int c = Integer.parseInt(s.strip());
                if (c >= 0 && c < 1024 && out.add(c)) {
                    continue;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new PcipassException.BadInput("--numa-cells '" + GuestName.printable(value) + "' is not a list of"
                    + " distinct NUMA cell numbers; write e.g. --numa-cells 0,1");
        }
        return new ArrayList<>(out);
    }

    static String join(List<Integer> cells) {
        StringBuilder b = new StringBuilder();
        for (int c : cells) {
            b.append(b.length() == 0 ? "" : ",").append(c);
        }
        return b.toString();
    }
}
