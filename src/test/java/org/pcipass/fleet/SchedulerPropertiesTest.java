package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The compiled scheduler with its per-shape cursors gives, request by request, the host that the plain
 * reading of Nova's code ({@link NovaReference}) gives, on random fleets and request streams built to
 * hit every rule: PF pools beside VF pools of one product, vdpa and remote-managed pools, devices on no
 * NUMA node, hosts whose cells have no socket, all four policies, entries that share pools, counts of 0.
 */
class SchedulerPropertiesTest {
    private static final String[] TYPES = {"type-PCI", "type-PF", "type-VF", "vdpa"};

    @Property(tries = 400)
    void sameHostsAsNovasOwnLoop(@ForAll long seed) {
        Random r = new Random(seed);
        List<Scheduler.HostPools> hosts = fleet(r);
        Scheduler fast = new Scheduler(hosts);
        NovaReference slow = new NovaReference(hosts);
        List<List<PciRequest>> shapes = new ArrayList<>();
        List<List<Integer>> cells = new ArrayList<>();
        int distinct = 1 + r.nextInt(6);
        for (int i = 0; i < distinct; i++) {
            shapes.add(request(r));
            cells.add(r.nextInt(3) == 0 ? null : r.nextBoolean() ? List.of(r.nextInt(3)) : List.of(0, 1));
        }
        for (int i = 0; i < 80; i++) {
            int s = r.nextInt(distinct);
            int expected = slow.place(shapes.get(s), cells.get(s));
            int got = fast.place(fast.shape(shapes.get(s), cells.get(s)));
            assertThat(got).as("request %d (shape %d: %s cells %s)", i, s, shapes.get(s), cells.get(s))
                    .isEqualTo(expected);
        }
    }

    private static List<Scheduler.HostPools> fleet(Random r) {
        List<Scheduler.HostPools> hosts = new ArrayList<>();
        int n = 1 + r.nextInt(10);
        for (int h = 0; h < n; h++) {
            List<Scheduler.Cell> cells = new ArrayList<>();
            int cellCount = r.nextInt(4);
            for (int c = 0; c < cellCount; c++) {
                cells.add(new Scheduler.Cell(c, r.nextInt(8) == 0 ? null : c / 2));
            }
            List<Map<String, Object>> keys = new ArrayList<>();
            List<Integer> counts = new ArrayList<>();
            int pools = r.nextInt(7);
            for (int p = 0; p < pools; p++) {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("product_id", r.nextBoolean() ? "1572" : "154c");
                k.put("vendor_id", r.nextInt(3) == 0 ? "10de" : "8086");
                k.put("numa_node", r.nextInt(4) == 0 ? null : r.nextInt(3));
                String type = TYPES[r.nextInt(r.nextInt(6) == 0 ? 4 : 3)];
                k.put("dev_type", type);
                if (!type.equals("type-PCI")) {
                    k.put("remote_managed", r.nextInt(6) == 0 ? "true" : "false");
                }
                if (r.nextInt(4) == 0) {
                    k.put("physical_network", "physnet" + r.nextInt(2));
                }
                if (keys.contains(k)) {
                    continue;
                }
                keys.add(k);
                counts.add(1 + r.nextInt(4));
            }
            // Nova's order: by number of keys, stably
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                order.add(i);
            }
            order.sort((a, b) -> Integer.compare(keys.get(a).size(), keys.get(b).size()));
            List<Map<String, Object>> k2 = new ArrayList<>();
            List<Integer> c2 = new ArrayList<>();
            for (int i : order) {
                k2.add(keys.get(i));
                c2.add(counts.get(i));
            }
            hosts.add(new Scheduler.HostPools("host-" + h, cells, k2, c2));
        }
        return hosts;
    }

    private static List<PciRequest> request(Random r) {
        List<PciRequest> out = new ArrayList<>();
        int entries = 1 + r.nextInt(r.nextInt(3) == 0 ? 3 : 1);
        String[] policies = {null, "required", "legacy", "preferred", "socket"};
        for (int e = 0; e < entries; e++) {
            List<Map<String, String>> spec = new ArrayList<>();
            int alternatives = 1 + r.nextInt(2);
            for (int a = 0; a < alternatives; a++) {
                Map<String, String> s = new LinkedHashMap<>();
                if (r.nextInt(4) != 0) {
                    s.put("vendor_id", r.nextBoolean() ? "8086" : "10DE");
                }
                if (r.nextBoolean()) {
                    s.put("product_id", r.nextBoolean() ? "1572" : "154C");
                }
                if (r.nextBoolean()) {
                    s.put("dev_type", TYPES[r.nextInt(4)]);
                }
                if (r.nextInt(8) == 0) {
                    s.put("remote_managed", "true");
                }
                spec.add(s);
            }
            int count = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(3);
            out.add(new PciRequest("a" + e, count, policies[r.nextInt(policies.length)], spec));
        }
        return out;
    }
}
