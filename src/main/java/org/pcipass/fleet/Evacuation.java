package org.pcipass.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.pcipass.PcipassException;
import org.pcipass.guest.GuestName;
import org.pcipass.pci.PciAddress;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetDevice;
import org.pcipass.store.FleetHost;
import org.pcipass.store.FleetStore;

/**
 * The evacuation plan of one host (issue 13, step 6): a guest with a passed-through device cannot be saved,
 * restored or migrated live, so maintenance means stop, give the devices back, claim equivalent ones
 * elsewhere, attach them there and start. For every guest with devices on the host — the guests of its
 * claims of kind {@code claim} in force and the owners its agent published for its devices — an equivalent
 * request is placed on another up host through {@link FleetClaims#claim} as a claim of kind
 * {@code evacuation}: the target devices are held (until the claim expires), so two plans made at once never
 * promise one device twice. A guest already holding an evacuation claim from this host keeps it.
 *
 * <p>The equivalent request: the guest's claim's own alias string and NUMA cells when its devices on the host
 * are exactly its claim's and the aliases still define every name in it; otherwise one request per
 * (vendor, product, type) of its devices there, in address order, under Nova's default policy (legacy) and
 * without NUMA cells (the fleet does not know the guest's cells).
 */
public final class Evacuation {
    /** Guest devices in address order (canonical addresses first, by domain, bus, slot, function). */
    static final Comparator<String> BY_ADDRESS = Comparator.comparing((String a) -> PciAddress.ofSysfsName(a),
            Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(Comparator.naturalOrder());

    /** What became of one guest. */
    public sealed interface Outcome permits Placed, Unplaced {}

    /** A guest placed on {@code target}: its devices there held by an evacuation claim until {@code expires}. */
    public record Placed(String guest, List<String> devices, String request, List<Integer> numaCells, String target,
            List<String> targetDevices, Instant expires, boolean kept, List<EvacuationSteps.Step> steps)
            implements Outcome {
        public Placed {
            devices = List.copyOf(devices);
            numaCells = numaCells == null ? null : List.copyOf(numaCells);
            targetDevices = List.copyOf(targetDevices);
            steps = List.copyOf(steps);
        }
    }

    /** A guest no other host can take now, and why. {@code request} is null when none could be formed. */
    public record Unplaced(String guest, List<String> devices, String request, String reason) implements Outcome {
        public Unplaced {
            devices = List.copyOf(devices);
        }
    }

    /** The plan: guests by name, placed or not. */
    public record Plan(String host, boolean hostUp, List<Placed> planned, List<Unplaced> unplaced) {
        public Plan {
            planned = List.copyOf(planned);
            unplaced = List.copyOf(unplaced);
        }
    }

    /** A guest on the host: its devices there in address order and its claim there (or null). */
    record Guest(String name, List<String> devices, FleetClaims.Claim claim) {}

    /** What a guest asks for elsewhere: requests, cells, and both as written in the claim; or why nothing. */
    record Want(List<PciRequest> requests, List<Integer> cells, String text, String cellsText, String problem) {
        static Want cannot(String problem) {
            return new Want(List.of(), null, null, null, problem);
        }
    }

    private final FleetStore store;
    private final FleetClaims claims;
    private final Aliases aliases;
    private final Duration ttl;

    public Evacuation(FleetStore store, Aliases aliases, Duration ttl) {
        this.store = store;
        this.claims = new FleetClaims(store);
        this.aliases = aliases;
        this.ttl = ttl;
    }

    /**
     * Plans the evacuation of {@code host}, holding each placed guest's target devices.
     *
     * @throws PcipassException.BadInput when the fleet has no such host (naming a few it has)
     */
    public Plan plan(String host) {
        FleetClaims.OnHost on = claims.onHost(host);
        if (on == null) {
            throw unknownHost(host);
        }
        List<Placed> planned = new ArrayList<>();
        List<Unplaced> unplaced = new ArrayList<>();
        for (Guest g : guests(on)) {
            Outcome o = place(on.host(), g);
            if (o instanceof Placed p) {
                planned.add(p);
            } else if (o instanceof Unplaced u) {
                unplaced.add(u);
            }
        }
        return new Plan(host, on.host().up(), planned, unplaced);
    }

    private PcipassException unknownHost(String host) {
        List<String> names = store.hosts(false).stream().map(FleetHost::name).toList();
        String known = names.isEmpty() ? "it has no hosts yet (start 'pcipass agent' on each)"
                : "its hosts are " + String.join(", ", names.subList(0, Math.min(5, names.size())))
                        + (names.size() > 5 ? " and " + (names.size() - 5) + " more (see 'pcipass fleet hosts')" : "");
        return new PcipassException.BadInput("the fleet has no host named '" + GuestName.printable(host) + "'; "
                + known);
    }

    /** The guests with devices on the host, by name, each with its devices there in address order. */
    static List<Guest> guests(FleetClaims.OnHost on) {
        Map<String, TreeSet<String>> devices = new TreeMap<>();
        Map<String, FleetClaims.Claim> claimOf = new HashMap<>();
        for (FleetClaims.Claim c : on.claims()) {
            devices.computeIfAbsent(c.guest(), k -> new TreeSet<>(BY_ADDRESS)).addAll(c.devices());
            claimOf.put(c.guest(), c);
        }
        for (FleetDevice d : on.host().devices()) {
            if (d.owner() != null) {
                devices.computeIfAbsent(d.owner(), k -> new TreeSet<>(BY_ADDRESS)).add(d.address());
            }
        }
        List<Guest> out = new ArrayList<>();
        devices.forEach((name, ds) -> out.add(new Guest(name, List.copyOf(ds), claimOf.get(name))));
        return out;
    }

    private Outcome place(FleetHost from, Guest g) {
        String problem = unactionable(g);
        if (problem != null) {
            return new Unplaced(g.name(), g.devices(), null, problem);
        }
        FleetClaims.Claim held = claims.claimOf(g.name(), FleetClaims.EVACUATION);
        if (held != null) {
            return kept(from, g, held);
        }
        Want want = want(from, g);
        if (want.problem() != null) {
            return new Unplaced(g.name(), g.devices(), null, want.problem());
        }
        try {
            FleetClaims.Claim made = claims.claim(g.name(), FleetClaims.EVACUATION, want.text(), want.cellsText(),
                    from.name(), ttl, Set.of(from.name()), ClaimPlanner.placer(want.requests(), want.cells()));
            return placed(from, g, made, false);
        } catch (PcipassException.Refused e) {
            FleetClaims.Claim now = claims.claimOf(g.name(), FleetClaims.EVACUATION);
            if (now != null) { // another plan of this host held it first
                return kept(from, g, now);
            }
            return new Unplaced(g.name(), g.devices(), want.text(), e.getMessage());
        }
    }

    /** Why no command may be written for this guest (a name or address pcipass would not act on), or null. */
    private static String unactionable(Guest g) {
        if (!GuestName.valid(g.name())) {
            try {
                GuestName.check(g.name());
            } catch (PcipassException.BadInput e) {
                return e.getMessage();
            }
        }
        for (String d : g.devices()) {
            if (!PciAddress.looksLikeSysfsName(d)) {
                return "its device '" + GuestName.printable(d) + "' is not a PCI address of the form DDDD:BB:SS.F";
            }
        }
        return null;
    }

    private Outcome kept(FleetHost from, Guest g, FleetClaims.Claim held) {
        if (!from.name().equals(held.fromHost())) {
            return new Unplaced(g.name(), g.devices(), held.request(), "it already holds an evacuation claim"
                    + (held.fromHost() == null ? "" : " from " + held.fromHost()) + " on " + held.host() + " ("
                    + String.join(" ", held.devices()) + ", until " + held.expires() + "); release it first with"
                    + " 'pcipass fleet release " + g.name() + " --evacuation'");
        }
        return placed(from, g, held, true);
    }

    private static Placed placed(FleetHost from, Guest g, FleetClaims.Claim c, boolean kept) {
        return new Placed(g.name(), g.devices(), c.request(), cells(c.numaCells()), c.host(), c.devices(),
                c.expires(), kept, EvacuationSteps.of(from, g.name(), g.devices(), g.claim() != null, c));
    }

    /** The guest's equivalent request (see the class comment). */
    Want want(FleetHost from, Guest g) {
        FleetClaims.Claim c = g.claim();
        if (c != null && new TreeSet<>(c.devices()).equals(new TreeSet<>(g.devices()))) {
            try {
                return new Want(aliases.requests(c.request(), null), cells(c.numaCells()), c.request(),
                        c.numaCells(), null);
            } catch (PcipassException.BadInput e) {
                // an alias it names is no longer defined: by ids
            }
        }
        return byIds(from, g.devices());
    }

    /** One request per (vendor, product, type) of the devices, in their order: {@code 10de:1db4 type-PCI x2}. */
    static Want byIds(FleetHost from, List<String> devices) {
        Map<String, FleetDevice> byAddress = new HashMap<>();
        from.devices().forEach(d -> byAddress.put(d.address(), d));
        Map<List<String>, Integer> groups = new LinkedHashMap<>();
        for (String a : devices) {
            FleetDevice d = byAddress.get(a);
            if (d == null) {
                return Want.cannot("its device " + a + " is not in " + from.name() + "'s published inventory: its"
                        + " vendor and product are unknown");
            }
            if (d.vendorId() == null || d.productId() == null) {
                return Want.cannot("its device " + a + " has no vendor or product id in " + from.name()
                        + "'s published inventory");
            }
            groups.merge(List.of(d.vendorId(), d.productId(), d.devType()), 1, Integer::sum);
        }
        List<PciRequest> requests = new ArrayList<>();
        List<String> text = new ArrayList<>();
        groups.forEach((k, n) -> {
            String ids = k.get(0) + ":" + k.get(1);
            requests.add(new PciRequest(ids, n, null, List.of(Map.of("vendor_id", k.get(0), "product_id", k.get(1),
                    "dev_type", k.get(2)))));
            text.add(ids + " " + k.get(2) + " x" + n);
        });
        return new Want(requests, null, String.join(", ", text), null, null);
    }

    /** A claim's {@code numa_cells} ("0,1") as numbers; null stays null. */
    static List<Integer> cells(String text) {
        if (text == null) {
            return null;
        }
        List<Integer> out = new ArrayList<>();
        for (String s : text.split(",")) {
            out.add(Integer.parseInt(s.strip()));
        }
        return out;
    }
}
