package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Nova's PCI placement (nova/pci/stats.py of 26.2.2, the scheduler's path: {@code support_requests} then
 * {@code apply_requests} on the first host in order that supports the request) over in-memory pools.
 *
 * <p>The rules, per InstancePCIRequest in the order given, each seeing what the ones before it took:
 * the pools whose keys equal every key of one of its spec dicts (strings compared case-insensitively);
 * with guest NUMA cells, its numa_policy — {@code required}: only pools on those cells; otherwise those
 * pools when they hold enough, else {@code socket}: pools on the cells of the same sockets, {@code legacy}:
 * pools on those cells or on no node, {@code preferred}: the same when enough, else every pool, those
 * first; then PF pools go unless a spec asks for {@code type-PF}, vdpa pools unless asked for, and
 * remote-managed pools unless asked for; the count is checked after each step; devices are taken from
 * the remaining pools in their order. A request fits a host when every entry does.
 *
 * <p>Speed (the fleet issue asks for a thousandth of Nova's loop): pools are interned by kind (their keys
 * but the NUMA node), a request is compiled once per distinct shape into a boolean per kind, and each
 * shape keeps a cursor, the first host not yet known to refuse it. A host's pools only shrink, and for
 * most shapes (see {@link Shape#monotone}) a host that refused once refuses for ever, so the cursor only
 * moves forward; for the others, every host before the cursor that another placement changed is marked
 * and tried again first. Either way the answer is the first host in order that fits, exactly as Nova's
 * scan finds it.
 */
public final class Scheduler {
    static final int NO_NODE = Integer.MIN_VALUE;

    /** A host NUMA cell: its id and socket (null when unknown). */
    public record Cell(int id, Integer socket) {}

    /** A host's pools in Nova's order: keys (with numa_node) and free count. */
    public record HostPools(String name, List<Cell> cells, List<Map<String, Object>> poolKeys, List<Integer> counts) {
        /** A host's {@link Pools} as the scheduler takes them: keys and free counts, in their order. */
        public static HostPools of(String name, List<Cell> cells, List<? extends Pools.Pool<?>> pools) {
            List<Map<String, Object>> keys = new ArrayList<>();
            List<Integer> counts = new ArrayList<>();
            for (Pools.Pool<?> p : pools) {
                keys.add(p.keys());
                counts.add(p.count());
            }
            return new HostPools(name, cells, keys, counts);
        }
    }

    private final List<Map<String, Object>> kinds = new ArrayList<>();
    private final Map<Map<String, Object>, Integer> kindIds = new HashMap<>();
    private boolean[] kindPf = new boolean[0];
    private boolean[] kindVdpa = new boolean[0];
    private boolean[] kindRm = new boolean[0];

    private final int hostCount;
    private final String[] names;
    private final int[][] poolKind;
    private final int[][] poolNode;
    private final int[][] count;
    private final int[][] cellIds;
    private final int[][] cellSockets;
    private final boolean[] socketUnknown;

    private final Map<String, Shape> shapes = new HashMap<>();
    private final List<Shape> nonMonotone = new ArrayList<>();

    // scratch, sized to the largest host
    private final int[] taken;
    private final int[] listA;
    private final int[] listB;

    public Scheduler(List<HostPools> hosts) {
        hostCount = hosts.size();
        names = new String[hostCount];
        poolKind = new int[hostCount][];
        poolNode = new int[hostCount][];
        count = new int[hostCount][];
        cellIds = new int[hostCount][];
        cellSockets = new int[hostCount][];
        socketUnknown = new boolean[hostCount];
        int most = 0;
        for (int h = 0; h < hostCount; h++) {
            HostPools hp = hosts.get(h);
            names[h] = hp.name();
            int n = hp.poolKeys().size();
            most = Math.max(most, n);
            poolKind[h] = new int[n];
            poolNode[h] = new int[n];
            count[h] = new int[n];
            for (int p = 0; p < n; p++) {
                Map<String, Object> keys = new HashMap<>(hp.poolKeys().get(p));
                Object node = keys.remove("numa_node");
                poolNode[h][p] = node == null ? NO_NODE : ((Number) node).intValue();
                poolKind[h][p] = kind(keys);
                count[h][p] = hp.counts().get(p);
            }
            cellIds[h] = hp.cells().stream().mapToInt(Cell::id).toArray();
            cellSockets[h] = hp.cells().stream().mapToInt(c -> c.socket() == null ? NO_NODE : c.socket()).toArray();
            socketUnknown[h] = hp.cells().stream().anyMatch(c -> c.socket() == null);
        }
        taken = new int[most];
        listA = new int[most];
        listB = new int[most];
    }

    private int kind(Map<String, Object> keys) {
        Integer id = kindIds.get(keys);
        if (id != null) {
            return id;
        }
        int k = kinds.size();
        kinds.add(keys);
        kindIds.put(keys, k);
        kindPf = grow(kindPf, k, Device.TYPE_PF.equals(keys.get("dev_type")));
        kindVdpa = grow(kindVdpa, k, Device.TYPE_VDPA.equals(keys.get("dev_type")));
        Object rm = keys.get("remote_managed");
        kindRm = grow(kindRm, k, rm != null && DeviceSpecs.pyBool(rm.toString()));
        return k;
    }

    private static boolean[] grow(boolean[] a, int i, boolean v) {
        boolean[] b = i < a.length ? a : java.util.Arrays.copyOf(a, Math.max(8, a.length * 2));
        b[i] = v;
        return b;
    }

    public int hostCount() {
        return hostCount;
    }

    public String hostName(int h) {
        return names[h];
    }

    /** The free count of each of host {@code h}'s pools, in their order. */
    public int[] counts(int h) {
        return count[h].clone();
    }

    /**
     * A request's shape, compiled once: identical requests (same entries, same cells) share one, and its
     * cursor.
     */
    public Shape shape(List<PciRequest> entries, List<Integer> numaCells) {
        StringBuilder key = new StringBuilder();
        for (PciRequest r : entries) {
            key.append(r.count()).append('|').append(r.numaPolicy()).append('|').append(r.spec()).append(';');
        }
        key.append(numaCells);
        return shapes.computeIfAbsent(key.toString(), k -> compile(entries, numaCells));
    }

    private Shape compile(List<PciRequest> entries, List<Integer> numaCells) {
        Entry[] es = new Entry[entries.size()];
        int[] cells = numaCells == null || numaCells.isEmpty() ? null
                : numaCells.stream().mapToInt(Integer::intValue).toArray();
        for (int i = 0; i < es.length; i++) {
            es[i] = new Entry(entries.get(i), cells);
        }
        Shape s = new Shape(es, hostCount);
        if (!s.monotone) {
            nonMonotone.add(s);
        }
        return s;
    }

    /**
     * Places one request as Nova's scheduler does: on the first host in order that fits it, taking its
     * devices there. Returns the host's index, or -1 when none fits.
     */
    public int place(Shape s) {
        int h = firstFit(s);
        if (h >= 0) {
            take(h, s);
        }
        return h;
    }

    /** The first host in order that fits {@code s}, or -1; nothing is taken. */
    public int firstFit(Shape s) {
        if (s.dirty != null) {
            for (int h = s.dirty.nextSetBit(0); h >= 0 && h < s.cursor; h = s.dirty.nextSetBit(h + 1)) {
                s.dirty.clear(h);
                if (fits(h, s, null)) {
                    s.dirty.set(h); // still not known to refuse: look again next time
                    return h;
                }
            }
        }
        for (int h = s.cursor; h < hostCount; h++) {
            if (fits(h, s, null)) {
                s.cursor = h;
                return h;
            }
        }
        s.cursor = hostCount;
        return -1;
    }

    /**
     * Takes {@code s}'s devices on host {@code h} (which must fit it); returns how many were taken from
     * each of the host's pools.
     */
    public int[] take(int h, Shape s) {
        int[] got = new int[count[h].length];
        if (!fits(h, s, got)) {
            throw new IllegalStateException("host " + names[h] + " does not fit this request");
        }
        for (int p = 0; p < got.length; p++) {
            count[h][p] -= got[p];
        }
        for (Shape u : nonMonotone) {
            if (u != s && h < u.cursor) {
                u.dirty.set(h);
            }
        }
        return got;
    }

    /** Whether host {@code h} fits {@code s} now; when {@code got} is given, what it would take per pool. */
    public boolean fits(int h, Shape s, int[] got) {
        int n = count[h].length;
        java.util.Arrays.fill(taken, 0, n, 0);
        for (Entry e : s.entries) {
            if (!apply(h, e)) {
                return false;
            }
        }
        if (got != null) {
            System.arraycopy(taken, 0, got, 0, n);
        }
        return true;
    }

    /** Nova's {@code _apply_request} on host {@code h}'s counts less {@link #taken}. */
    private boolean apply(int h, Entry e) {
        int[] kind = poolKind[h];
        int[] node = poolNode[h];
        int[] cnt = count[h];
        int need = e.count;
        // _filter_pools_for_spec
        int[] list = listA;
        int nl = 0;
        long total = 0;
        for (int p = 0; p < kind.length; p++) {
            int free = cnt[p] - taken[p];
            if (free > 0 && e.matches(kind[p])) {
                list[nl++] = p;
                total += free;
            }
        }
        if (total < need) {
            return false;
        }
        // _filter_pools_for_numa_cells
        if (e.cells != null) {
            int[] out = listB;
            int no = 0;
            long t = 0;
            for (int i = 0; i < nl; i++) {
                int p = list[i];
                if (in(e.cells, node[p])) {
                    out[no++] = p;
                    t += cnt[p] - taken[p];
                }
            }
            if (!(e.policy == Policy.REQUIRED || t >= need)) {
                no = 0;
                t = 0;
                if (e.policy == Policy.SOCKET) {
                    if (!socketUnknown[h]) {
                        for (int i = 0; i < nl; i++) {
                            int p = list[i];
                            if (node[p] != NO_NODE && sameSocket(h, e.cells, node[p])) {
                                out[no++] = p;
                                t += cnt[p] - taken[p];
                            }
                        }
                    }
                } else {
                    for (int i = 0; i < nl; i++) {
                        int p = list[i];
                        if (node[p] == NO_NODE || in(e.cells, node[p])) {
                            out[no++] = p;
                            t += cnt[p] - taken[p];
                        }
                    }
                    if (!(e.policy == Policy.LEGACY || t >= need)) {
                        // preferred: every pool, those on the cells or on no node first
                        for (int i = 0; i < nl; i++) {
                            int p = list[i];
                            if (!(node[p] == NO_NODE || in(e.cells, node[p]))) {
                                out[no++] = p;
                                t += cnt[p] - taken[p];
                            }
                        }
                    }
                }
            }
            list = out;
            nl = no;
            total = t;
            if (total < need) {
                return false;
            }
        }
        // _filter_pools_for_unrequested_pfs, _vdpa_devices, _remote_managed_devices
        if (!e.wantsPf || !e.wantsVdpa || !e.wantsRm) {
            int w = 0;
            long afterPf = 0;
            long afterAll = 0;
            for (int i = 0; i < nl; i++) {
                int p = list[i];
                int k = kind[p];
                if (!e.wantsPf && kindPf[k]) {
                    continue;
                }
                afterPf += cnt[p] - taken[p];
                if ((!e.wantsVdpa && kindVdpa[k]) || (!e.wantsRm && kindRm[k])) {
                    continue;
                }
                afterAll += cnt[p] - taken[p];
                list[w++] = p;
            }
            if (afterPf < need || afterAll < need) {
                return false;
            }
            nl = w;
        }
        if (nl == 0) {
            return false;
        }
        for (int i = 0; i < nl && need > 0; i++) {
            int p = list[i];
            int t = Math.min(need, cnt[p] - taken[p]);
            taken[p] += t;
            need -= t;
        }
        return true;
    }

    private boolean sameSocket(int h, int[] guestCells, int hostNode) {
        int[] ids = cellIds[h];
        int[] sockets = cellSockets[h];
        int nodeSocket = NO_NODE;
        boolean nodeIsCell = false;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == hostNode) {
                nodeSocket = sockets[i];
                nodeIsCell = true;
                break;
            }
        }
        if (!nodeIsCell) {
            return false;
        }
        for (int g : guestCells) {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == g && sockets[i] == nodeSocket) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean in(int[] cells, int node) {
        for (int c : cells) {
            if (c == node) {
                return true;
            }
        }
        return false;
    }

    enum Policy {
        REQUIRED, LEGACY, PREFERRED, SOCKET;

        static Policy of(String s) {
            if (s == null || s.isEmpty()) {
                return LEGACY;
            }
            return switch (s) {
                case "required" -> REQUIRED;
                case "legacy" -> LEGACY;
                case "socket" -> SOCKET;
                default -> PREFERRED; // Nova: anything else falls through to the preferred branch
            };
        }
    }

    /** One compiled InstancePCIRequest. */
    final class Entry {
        final int count;
        final Policy policy;
        final int[] cells;
        final List<Map<String, String>> spec;
        final boolean wantsPf;
        final boolean wantsVdpa;
        final boolean wantsRm;
        private boolean[] match = new boolean[0];
        private int known;

        Entry(PciRequest r, int[] cells) {
            this.count = r.count();
            this.policy = Policy.of(r.numaPolicy());
            this.cells = cells;
            this.spec = new ArrayList<>();
            for (Map<String, String> d : r.spec()) {
                if (d.containsKey("numa_node")) {
                    throw new IllegalArgumentException("a request's spec cannot name numa_node");
                }
                Map<String, String> lower = new HashMap<>();
                d.forEach((k, v) -> lower.put(k, v == null ? null : v.toLowerCase(Locale.ROOT)));
                spec.add(lower);
            }
            this.wantsPf = r.spec().stream().anyMatch(d -> Device.TYPE_PF.equals(d.get("dev_type")));
            this.wantsVdpa = r.spec().stream().anyMatch(d -> Device.TYPE_VDPA.equals(d.get("dev_type")));
            this.wantsRm = r.spec().stream().anyMatch(d -> DeviceSpecs.pyBool(d.get("remote_managed")));
        }

        boolean matches(int k) {
            if (k >= known) {
                learn();
            }
            return match[k];
        }

        /** Whether pools of kind {@code k} are left out after matching (PF, vdpa, remote-managed unasked). */
        boolean drops(int k) {
            return (!wantsPf && kindPf[k]) || (!wantsVdpa && kindVdpa[k]) || (!wantsRm && kindRm[k]);
        }

        private void learn() {
            int n = kinds.size();
            match = java.util.Arrays.copyOf(match, n);
            for (int k = known; k < n; k++) {
                match[k] = propMatch(kinds.get(k));
            }
            known = n;
        }

        /** nova.pci.utils.pci_device_prop_match: any dict whose every key equals the pool's. */
        private boolean propMatch(Map<String, Object> pool) {
            for (Map<String, String> d : spec) {
                boolean all = true;
                for (Map.Entry<String, String> kv : d.entrySet()) {
                    Object pv = pool.get(kv.getKey());
                    String ps = pv == null ? null : pv.toString().toLowerCase(Locale.ROOT);
                    if (!Objects.equals(ps, kv.getValue())) {
                        all = false;
                        break;
                    }
                }
                if (all) {
                    return true;
                }
            }
            return false;
        }
    }

    /** A compiled request shape and where the scan for it resumes. */
    public final class Shape {
        final Entry[] entries;
        final boolean monotone;
        int cursor;
        final BitSet dirty;

        Shape(Entry[] entries, int hosts) {
            this.entries = entries;
            this.monotone = monotone(entries);
            this.dirty = monotone ? null : new BitSet(hosts);
        }

        /**
         * Whether a host that refuses this shape refuses it with fewer free devices too. True when each
         * entry asks for at least one device and, with NUMA cells under a policy other than required,
         * matches no pool kind it would then drop (a PF, vdpa or remote-managed pool it did not ask for:
         * those count toward the NUMA step's "enough" and are dropped after it), and no two entries match
         * one kind (one entry's taking could then steer another's).
         */
        private boolean monotone(Entry[] es) {
            int n = kinds.size();
            for (Entry e : es) {
                if (e.count < 1) {
                    return false;
                }
                if (e.cells != null && e.policy != Policy.REQUIRED) {
                    for (int k = 0; k < n; k++) {
                        if (e.matches(k) && e.drops(k)) {
                            return false;
                        }
                    }
                }
            }
            for (int k = 0; k < n; k++) {
                int matching = 0;
                for (Entry e : es) {
                    if (e.matches(k)) {
                        matching++;
                    }
                }
                if (matching > 1) {
                    return false;
                }
            }
            return true;
        }
    }
}
