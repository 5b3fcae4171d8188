package org.pcipass.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.pcipass.PcipassException;
import org.pcipass.fleet.Aliases;
import org.pcipass.fleet.ClaimPlanner;
import org.pcipass.fleet.ConfigValue;
import org.pcipass.fleet.PciRequest;
import org.pcipass.store.DbUrl;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetDevice;
import org.pcipass.store.FleetStore;
import org.pcipass.store.HostInventory;
import org.pcipass.store.NumaCell;

/**
 * Claims per second through PostgreSQL (the fleet issue, acceptance d), for bench/fleet-claims.sh:
 * {@code ClaimsBench URL HOSTS CLIENTS SECONDS}. Publishes HOSTS hosts (8 GPUs on two NUMA nodes, 2 PFs
 * with 16 VFs each) when the database has none, then runs CLIENTS threads, each with its own store
 * (its own connection pool, as separate claimers have), claiming {@code gpu:1} or {@code vf:2} for new
 * guests through the product's FleetClaims for SECONDS seconds; the fleet fills up in first-fit order, as
 * Nova's scheduler fills it. Prints one line: clients, claims, refused, claims_per_s, p50_ms, p99_ms.
 */
public final class ClaimsBench {
    private static final String ALIASES = "[{\"name\": \"gpu\", \"vendor_id\": \"10de\", \"product_id\": \"1db4\","
            + " \"device_type\": \"type-PCI\"}, {\"name\": \"vf\", \"vendor_id\": \"8086\", \"product_id\": \"154c\","
            + " \"device_type\": \"type-VF\"}]";

    private ClaimsBench() {}

    public static void main(String[] args) throws Exception {
        DbUrl url = DbUrl.parse(args[0], "URL");
        int hosts = Integer.parseInt(args[1]);
        int clients = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        try (FleetStore s = FleetStore.open(url, "claims bench")) {
            if (s.hosts(false).size() < hosts) {
                for (int h = 0; h < hosts; h++) {
                    s.publish(host(String.format("host-%04d", h)));
                }
            }
        }
        Aliases aliases = Aliases.parse(List.of(new ConfigValue(ALIASES, "bench")));
        List<PciRequest> gpu = aliases.requests("gpu:1", null);
        List<PciRequest> vf = aliases.requests("vf:2", null);
        AtomicLong claims = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        String run = Long.toString(System.currentTimeMillis() % 100000, 36);
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                try (FleetStore s = FleetStore.open(url, "claims bench " + client)) {
                    FleetClaims fc = new FleetClaims(s);
                    fc.claims(null); // the pool's first connection before the start
                    ready.countDown();
                    go.await();
                    for (int n = 0; System.nanoTime() < deadline; n++) {
                        boolean g = (client + n) % 2 == 0;
                        long t0 = System.nanoTime();
                        try {
                            fc.claim("b" + run + "-" + client + "-" + n, FleetClaims.CLAIM, g ? "gpu:1" : "vf:2", null,
                                    null, FleetClaims.DEFAULT_TTL, Set.of(), ClaimPlanner.placer(g ? gpu : vf, null));
                            claims.incrementAndGet();
                        } catch (PcipassException.Refused e) {
                            refused.incrementAndGet();
                        }
                        latencies.add(System.nanoTime() - t0);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            threads.add(t);
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<Long> l = new ArrayList<>(latencies);
        Collections.sort(l);
        System.out.printf("clients=%d hosts=%d claims=%d refused=%d seconds=%.1f claims_per_s=%.1f p50_ms=%.1f"
                + " p99_ms=%.1f%n", clients, hosts, claims.get(), refused.get(), elapsed, claims.get() / elapsed,
                pct(l, 50), pct(l, 99));
    }

    private static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100)) / 1e6;
    }

    private static HostInventory host(String name) {
        List<FleetDevice> d = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            d.add(new FleetDevice(String.format("0000:%02x:00.0", 0x1a + i), "10de", "1db4", "030200", "type-PCI",
                    i / 4, null, "ready", null, "vfio-pci", Map.of()));
        }
        for (int p = 0; p < 2; p++) {
            String pf = String.format("0000:%02x:00.0", 0x81 + p);
            Map<String, String> tags = Map.of("physical_network", "physnet" + p);
            d.add(new FleetDevice(pf, "8086", "1572", "020000", "type-PF", 1, null, "assignable", null, "i40e", tags));
            for (int v = 0; v < 16; v++) {
                d.add(new FleetDevice(String.format("0000:%02x:%02x.%d", 0x81 + p, 2 + v / 8, v % 8), "8086", "154c",
                        "020000", "type-VF", 1, pf, "assignable", null, "iavf", tags));
            }
        }
        return new HostInventory(name, 60, List.of(new NumaCell(0, 0, List.of(0, 1), 64000),
                new NumaCell(1, 1, List.of(2, 3), 64000)), "claims bench", d);
    }
}
