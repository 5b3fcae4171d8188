package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetDevice;
import org.pcipass.store.FleetHost;
import org.pcipass.store.NumaCell;

/**
 * Where a claim goes and which devices it takes, as Nova's compute takes them
 * ({@code PciDeviceStats.consume_requests}): the first host in order whose free devices fit every
 * request under Nova's rules ({@link Scheduler}), devices taken request by request in pool order (the
 * last added device of a pool first, as Nova pops them), and a PF taken makes its VFs unavailable and a VF
 * its PF ({@code _handle_device_dependents}) — for the requests after it in the same claim too.
 *
 * <p>A device is free when its host offers it (a device_spec tag set, ready or assignable, no owner),
 * no claim holds it, and no claim or guest holds its PF (for a VF) or any of its VFs (for a PF).
 */
public final class ClaimPlanner {
    private ClaimPlanner() {}

    /** The placer of {@link FleetClaims#claim} for these requests and guest cells. */
    public static FleetClaims.Placer placer(List<PciRequest> requests, List<Integer> numaCells) {
        return (hosts, held) -> plan(hosts, held, requests, numaCells);
    }

    /**
     * Plans one claim over {@code hosts} (up hosts, in the order to try) given the devices already
     * {@code held}.
     */
    public static FleetClaims.Choice plan(List<FleetHost> hosts, Set<FleetClaims.Held> held,
            List<PciRequest> requests, List<Integer> numaCells) {
        for (FleetHost h : hosts) {
            List<String> got = new HostState(h, held).consume(requests, numaCells);
            if (got != null) {
                return new FleetClaims.Choice(h.name(), got, null);
            }
        }
        // none fits: only now what each lacks, for the refusal (not on the way to the host that fits)
        String closest = null;
        int closestShort = Integer.MAX_VALUE;
        int wanted = requests.stream().mapToInt(PciRequest::count).sum();
        for (FleetHost h : hosts) {
            int[] shortBy = new HostState(h, held).shortfall(requests, numaCells);
            int total = 0;
            for (int x : shortBy) {
                total += x;
            }
            if (total < closestShort) {
                closestShort = total;
                List<String> parts = new ArrayList<>();
                for (int i = 0; i < requests.size(); i++) {
                    if (shortBy[i] > 0) {
                        PciRequest r = requests.get(i);
                        parts.add(shortBy[i] + " of " + r.count() + " " + r.aliasName());
                    }
                }
                closest = "closest is " + h.name() + ", short of " + String.join(", ", parts);
            }
        }
        if (closest == null) {
            return new FleetClaims.Choice(null, List.of(), "no host is up");
        }
        return new FleetClaims.Choice(null, List.of(), closest + " (" + wanted + " device" + (wanted == 1 ? "" : "s")
                + " wanted" + (numaCells == null ? "" : " on NUMA cells " + numaCells) + ")");
    }

    /** One host's free devices as mutable Nova pools. */
    static final class HostState {
        final FleetHost host;
        final List<Pools.Pool<FleetDevice>> pools;
        final Map<String, List<String>> vfsOf = new HashMap<>();
        final List<Scheduler.Cell> cells = new ArrayList<>();

        HostState(FleetHost h, Set<FleetClaims.Held> held) {
            this.host = h;
            for (NumaCell c : h.numaCells()) {
                cells.add(new Scheduler.Cell(c.id(), c.socket()));
            }
            Set<String> busy = new HashSet<>();
            for (FleetDevice d : h.devices()) {
                if (d.parentAddr() != null) {
                    vfsOf.computeIfAbsent(d.parentAddr(), k -> new ArrayList<>()).add(d.address());
                }
                if (d.owner() != null || held.contains(new FleetClaims.Held(h.name(), d.address()))
                        || "assigned".equals(d.verdict())) {
                    busy.add(d.address());
                }
            }
            List<FleetDevice> free = new ArrayList<>();
            for (FleetDevice d : h.devices()) {
                if (d.offered() && !busy.contains(d.address())
                        && (d.parentAddr() == null || !busy.contains(d.parentAddr()))
                        && vfsOf.getOrDefault(d.address(), List.of()).stream().noneMatch(busy::contains)) {
                    free.add(d);
                }
            }
            pools = Pools.group(free, d -> Pools.keys(device(d), d.tags()));
        }

        static Device device(FleetDevice d) {
            return new Device(d.address(), d.vendorId(), d.productId(), d.devType(), d.numaNode(), d.parentAddr());
        }

        private Scheduler scheduler() {
            return new Scheduler(List.of(Scheduler.HostPools.of(host.name(), cells, pools)));
        }

        /** Takes the requests one by one; the addresses taken, or null when one does not fit. */
        List<String> consume(List<PciRequest> requests, List<Integer> numaCells) {
            List<String> got = new ArrayList<>();
            for (PciRequest r : requests) {
                Scheduler s = scheduler();
                int[] take = new int[pools.size()];
                if (!s.fits(0, s.shape(List.of(r), numaCells), take)) {
                    return null;
                }
                List<FleetDevice> taken = new ArrayList<>();
                for (int p = 0; p < take.length; p++) {
                    List<FleetDevice> ds = pools.get(p).devices();
                    for (int i = 0; i < take[p]; i++) {
                        taken.add(ds.remove(ds.size() - 1)); // Nova pops the last one
                    }
                }
                for (FleetDevice d : taken) {
                    got.add(d.address());
                    if (Device.TYPE_PF.equals(d.devType())) {
                        removeAll(vfsOf.getOrDefault(d.address(), List.of()));
                    } else if (d.parentAddr() != null) {
                        removeAll(List.of(d.parentAddr()));
                    }
                }
            }
            return got;
        }

        /** How many devices of each request this host lacks, taking as many as it can of each in turn. */
        int[] shortfall(List<PciRequest> requests, List<Integer> numaCells) {
            int[] out = new int[requests.size()];
            for (int i = 0; i < requests.size(); i++) {
                PciRequest r = requests.get(i);
                int n = r.count();
                for (; n > 0; n--) {
                    PciRequest smaller = new PciRequest(r.aliasName(), n, r.numaPolicy(), r.spec());
                    if (consume(List.of(smaller), numaCells) != null) {
                        break;
                    }
                }
                out[i] = r.count() - n;
            }
            return out;
        }

        private void removeAll(Collection<String> addresses) {
            for (Pools.Pool<FleetDevice> p : pools) {
                p.devices().removeIf(d -> addresses.contains(d.address()));
            }
        }
    }
}
