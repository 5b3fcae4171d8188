package org.pcipass.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.fleet.DeviceSpecs;
import org.pcipass.fleet.NovaWorkload;
import org.pcipass.fleet.Pools;
import org.pcipass.fleet.Scheduler;

/**
 * {@code pcipass fleet replay --fleet FILE --requests FILE [--placements-out FILE]}: Nova's scheduler
 * loop over a nova-pci-bench workload, without a database: each request on the first host in order
 * whose pools fit it. Prints one JSON line; {@code loop_s} is the request loop alone (files read, pools
 * built and requests compiled before it), as Nova's figure is.
 */
final class FleetReplay implements FleetCommand.Sub {
    @Override
    public int run(List<String> positionals, Args args, Context ctx) {
        if (!positionals.isEmpty()) {
            throw new PcipassException.BadInput("fleet replay takes no arguments; write 'pcipass fleet replay --fleet"
                    + " FILE --requests FILE [--placements-out FILE]'");
        }
        String fleetFile = args.value("--fleet");
        String requestsFile = args.value("--requests");
        if (fleetFile == null || requestsFile == null) {
            throw new PcipassException.BadInput("fleet replay needs --fleet FILE and --requests FILE"
                    + " (nova-pci-bench/fleet/v1 and requests/v1, as bench/nova-oracle.sh generate writes them)");
        }
        NovaWorkload.Fleet fleet = NovaWorkload.readFleet(Path.of(fleetFile));
        NovaWorkload.Requests requests = NovaWorkload.readRequests(Path.of(requestsFile));
        DeviceSpecs specs = DeviceSpecs.parse(fleet.deviceSpec());
        List<Scheduler.HostPools> hosts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (NovaWorkload.Host h : fleet.hosts()) {
            hosts.add(Scheduler.HostPools.of(h.name(), h.cells(), Pools.of(h.devices(), specs)));
            names.add(h.name());
        }
        Scheduler scheduler = new Scheduler(hosts);
        List<NovaWorkload.Request> rs = requests.requests();
        Scheduler.Shape[] shapes = new Scheduler.Shape[rs.size()];
        for (int i = 0; i < shapes.length; i++) {
            shapes[i] = scheduler.shape(rs.get(i).pciRequests(), rs.get(i).numaCells());
        }
        int[] placements = new int[shapes.length];
        long start = System.nanoTime();
        for (int i = 0; i < shapes.length; i++) {
            placements[i] = scheduler.place(shapes[i]);
        }
        long nanos = System.nanoTime() - start;
        int placed = 0;
        for (int p : placements) {
            placed += p >= 0 ? 1 : 0;
        }
        if (args.value("--placements-out") != null) {
            NovaWorkload.writePlacements(Path.of(args.value("--placements-out")), names, placements);
        }
        double loop = nanos / 1e9;
        Map<String, Object> o = JsonTree.object();
        o.put("placed", (long) placed);
        o.put("failed", (long) (placements.length - placed));
        o.put("placements_sha256", NovaWorkload.sha256(placements));
        o.put("loop_s", loop);
        o.put("placements_per_s", loop > 0 ? Math.round(placements.length / loop * 10) / 10.0 : 0.0);
        ctx.out().println(JsonTree.compact(o));
        return 0;
    }
}
