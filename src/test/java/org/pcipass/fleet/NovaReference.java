package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A line-by-line reading of nova/pci/stats.py's scheduler path (support_requests on a deep copy, then
 * apply_requests) over pools as maps, with no cursor and no compilation: the slow, obvious twin the
 * property tests hold {@link Scheduler} to. Test code only.
 */
final class NovaReference {
    private final List<List<Map<String, Object>>> hosts = new ArrayList<>();
    private final List<List<Scheduler.Cell>> cells = new ArrayList<>();

    NovaReference(List<Scheduler.HostPools> hs) {
        for (Scheduler.HostPools h : hs) {
            List<Map<String, Object>> pools = new ArrayList<>();
            for (int i = 0; i < h.poolKeys().size(); i++) {
                Map<String, Object> p = new LinkedHashMap<>(h.poolKeys().get(i));
                p.put("count", h.counts().get(i));
                pools.add(p);
            }
            hosts.add(pools);
            cells.add(h.cells());
        }
    }

    int place(List<PciRequest> reqs, List<Integer> numaCells) {
        for (int h = 0; h < hosts.size(); h++) {
            List<Map<String, Object>> copy = new ArrayList<>();
            for (Map<String, Object> p : hosts.get(h)) {
                copy.add(new LinkedHashMap<>(p));
            }
            if (applyAll(copy, reqs, numaCells, cells.get(h))) {
                applyAll(hosts.get(h), reqs, numaCells, cells.get(h));
                return h;
            }
        }
        return -1;
    }

    private static boolean applyAll(List<Map<String, Object>> pools, List<PciRequest> reqs, List<Integer> numaCells,
            List<Scheduler.Cell> hostCells) {
        for (PciRequest r : reqs) {
            if (!applyOne(pools, r, numaCells, hostCells)) {
                return false;
            }
        }
        return true;
    }

    private static int count(Map<String, Object> p) {
        return (Integer) p.get("count");
    }

    private static int sum(List<Map<String, Object>> ps) {
        return ps.stream().mapToInt(NovaReference::count).sum();
    }

    private static boolean applyOne(List<Map<String, Object>> pools, PciRequest r, List<Integer> numaCells,
            List<Scheduler.Cell> hostCells) {
        List<Map<String, Object>> f = filter(pools, r, numaCells, hostCells);
        if (f == null || f.isEmpty()) {
            return false;
        }
        int c = r.count();
        for (Map<String, Object> p : f) {
            if (count(p) > c) {
                p.put("count", count(p) - c);
                c = 0;
            } else {
                c -= count(p);
                pools.remove(p);
            }
            if (c == 0) {
                break;
            }
        }
        return true;
    }

    private static boolean propMatch(Map<String, Object> pool, List<Map<String, String>> specs) {
        for (Map<String, String> s : specs) {
            boolean all = true;
            for (Map.Entry<String, String> e : s.entrySet()) {
                Object pv = pool.get(e.getKey());
                String a = pv == null ? null : pv.toString().toLowerCase(Locale.ROOT);
                String b = e.getValue() == null ? null : e.getValue().toLowerCase(Locale.ROOT);
                if (!Objects.equals(a, b)) {
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

    private static List<Map<String, Object>> filter(List<Map<String, Object>> pools, PciRequest r,
            List<Integer> numaCells, List<Scheduler.Cell> hostCells) {
        List<Map<String, Object>> ps = new ArrayList<>();
        for (Map<String, Object> p : pools) {
            if (propMatch(p, r.spec())) {
                ps.add(p);
            }
        }
        if (sum(ps) < r.count()) {
            return null;
        }
        ps = numa(ps, r, numaCells, hostCells);
        if (sum(ps) < r.count()) {
            return null;
        }
        if (r.spec().stream().noneMatch(s -> "type-PF".equals(s.get("dev_type")))) {
            ps.removeIf(p -> "type-PF".equals(p.get("dev_type")));
        }
        if (sum(ps) < r.count()) {
            return null;
        }
        if (r.spec().stream().noneMatch(s -> "vdpa".equals(s.get("dev_type")))) {
            ps.removeIf(p -> "vdpa".equals(p.get("dev_type")));
        }
        if (r.spec().stream().noneMatch(s -> DeviceSpecs.pyBool(s.get("remote_managed")))) {
            ps.removeIf(p -> DeviceSpecs.pyBool(p.get("remote_managed") == null ? null
                    : p.get("remote_managed").toString()));
        }
        if (sum(ps) < r.count()) {
            return null;
        }
        return ps;
    }

    private static List<Map<String, Object>> numa(List<Map<String, Object>> pools, PciRequest r,
            List<Integer> numaCells, List<Scheduler.Cell> hostCells) {
        if (numaCells == null || numaCells.isEmpty()) {
            return pools;
        }
        String policy = r.numaPolicy() == null || r.numaPolicy().isEmpty() ? "legacy" : r.numaPolicy();
        List<Object> ids = new ArrayList<>(numaCells);
        List<Map<String, Object>> strict = new ArrayList<>();
        for (Map<String, Object> p : pools) {
            if (ids.contains(p.get("numa_node"))) {
                strict.add(p);
            }
        }
        if (policy.equals("required") || sum(strict) >= r.count()) {
            return strict;
        }
        if (policy.equals("socket")) {
            if (hostCells.stream().anyMatch(c -> c.socket() == null)) {
                return new ArrayList<>();
            }
            Set<Integer> sockets = new HashSet<>();
            for (int g : numaCells) {
                for (Scheduler.Cell c : hostCells) {
                    if (c.id() == g) {
                        sockets.add(c.socket());
                    }
                }
            }
            Set<Integer> allowed = new HashSet<>();
            for (Scheduler.Cell c : hostCells) {
                if (sockets.contains(c.socket())) {
                    allowed.add(c.id());
                }
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (Map<String, Object> p : pools) {
                if (p.get("numa_node") != null && allowed.contains(p.get("numa_node"))) {
                    out.add(p);
                }
            }
            return out;
        }
        ids.add(null);
        List<Map<String, Object>> loose = new ArrayList<>();
        for (Map<String, Object> p : pools) {
            if (ids.contains(p.get("numa_node"))) {
                loose.add(p);
            }
        }
        if (policy.equals("legacy") || sum(loose) >= r.count()) {
            return loose;
        }
        List<Map<String, Object>> sorted = new ArrayList<>(pools);
        sorted.sort(Comparator.comparing(p -> !ids.contains(p.get("numa_node"))));
        return sorted;
    }
}
