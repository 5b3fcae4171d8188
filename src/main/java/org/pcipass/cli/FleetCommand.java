package org.pcipass.cli;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;

/**
 * {@code pcipass fleet SUBCOMMAND}: the fleet's claims, hosts, scheduler replay and evacuation plans
 * (DESIGN.md, "Fleet"). Each subcommand is its own class; this one only dispatches.
 */
final class FleetCommand implements Command {
    /** One {@code fleet} subcommand. */
    interface Sub {
        int run(List<String> positionals, Args args, Context ctx);
    }

    private static final Map<String, Sub> SUBS = new TreeMap<>();

    static {
        // one line per subcommand
        SUBS.put("replay", new FleetReplay());
        SUBS.put("claim", new FleetClaimsCli.Claim());
        SUBS.put("release", new FleetClaimsCli.Release());
        SUBS.put("claims", new FleetClaimsCli.Listing());
        SUBS.put("hosts", new FleetHosts());
        SUBS.put("evacuate", new FleetEvacuate());
    }

    private static final CommandSpec SPEC = new CommandSpec("fleet",
            "Many hosts sharing one PostgreSQL: the hosts' published inventories, claims of devices for guests,"
                    + " Nova's placement replayed, evacuation plans.",
            List.of(CommandSpec.value("--db", "URL", "the fleet's PostgreSQL: postgresql://USER@HOST:PORT/DB or"
                            + " jdbc:postgresql:... (default env PCIPASS_DB, then db = URL in STATE/pcipass.conf)"),
                    CommandSpec.value("--spec", "FILE", "Nova device_spec entries as JSON: what a host offers is its"
                            + " agent's --spec (or device_spec = lines), published with its devices; checked here"),
                    CommandSpec.value("--aliases", "FILE", "Nova alias entries as JSON (default the alias = lines of"
                            + " STATE/pcipass.conf)"),
                    CommandSpec.value("--alias", "NAME:COUNT,...", "claim: the devices wanted, as a Nova flavor's"
                            + " pci_passthrough:alias"),
                    CommandSpec.value("--numa-cells", "C,...", "claim: the guest's NUMA cells (the aliases' numa_policy"
                            + " then applies)"),
                    CommandSpec.value("--fleet", "FILE", "replay: a nova-pci-bench/fleet/v1 file"),
                    CommandSpec.value("--requests", "FILE", "replay: a nova-pci-bench/requests/v1 file"),
                    CommandSpec.value("--placements-out", "FILE", "replay: write nova-pci-bench/placements/v1 here"),
                    CommandSpec.value("--ttl", "MINUTES", "evacuate: how long the plan holds the target devices"
                            + " (default 10)"),
                    CommandSpec.flag("--evacuation", "release, claims: the evacuation claims that plans hold"
                            + " instead of the guests' claims"),
                    CommandSpec.flag("--json", "print JSON")),
            "SUBCOMMAND [ARG]", CommandSpec.Arity.MANY,
            List.of("Subcommands: claim GUEST --alias NAME:COUNT[,...] [--numa-cells C,...] (exit 3 when no host fits,"
                    + " naming the closest shortfall); release GUEST [--evacuation]; claims [--evacuation]; hosts; replay --fleet FILE"
                    + " --requests FILE [--placements-out FILE]; evacuate HOST [--ttl MINUTES] (exit 3 when a guest fits"
                    + " nowhere).",
                    "A claim holds its devices for 10 minutes unless attach on its host consumes it. Placement follows"
                    + " OpenStack Nova 26.2.2 (nova/pci/stats.py): the first host by name that fits, Nova's pool order,"
                    + " its NUMA policies; a PF and its VFs are never both held."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(Args args, Context ctx) {
        String name = args.positionals.get(0);
        Sub sub = SUBS.get(name);
        if (sub == null) {
            throw new PcipassException.BadInput("fleet knows " + String.join(", ", SUBS.keySet()) + ", not "
                    + org.pcipass.guest.GuestName.printable(name) + " (see 'pcipass fleet --help')");
        }
        return sub.run(args.positionals.subList(1, args.positionals.size()), args, ctx);
    }
}
