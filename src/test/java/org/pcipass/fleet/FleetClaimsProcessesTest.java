package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.apply.JsonTree;
import org.pcipass.cli.Main;
import org.pcipass.store.DbUrl;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetHost;
import org.pcipass.store.FleetStore;
import org.pcipass.store.HostInventory;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.Postgres;

/**
 * The fleet issue's acceptance b: 64 claimers, each its own OS process running {@code pcipass fleet claim},
 * all at once against 50 simulated hosts in one real PostgreSQL. Demand exceeds supply on purpose (GPUs on
 * ten hosts only; PFs and VFs that exclude each other), so that claims race for the same devices and some
 * must be refused. Afterwards: no device held twice, no PF held beside one of its VFs, every process either
 * placed (its JSON agrees with the database) or refused with its reason — and each refusal still stands on
 * the final state (a request that did not fit then does not fit now: the fleet only filled up) — and
 * nothing on the host that is down.
 */
class FleetClaimsProcessesTest {
    private static Postgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    @Test
    void sixtyFourClaimersInTheirOwnProcessesNeverShareADevice(@TempDir Path tmp) throws Exception {
        String url = pg.createDatabase("race");
        try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            for (int h = 0; h < 50; h++) {
                s.publish(FleetFixture.host(String.format("host-%02d", h), h < 10 ? 1 : 0, 2));
            }
            s.publish(FleetFixture.host("host-99-down", 8, 8));
        }
        try (Connection c = pg.connect("race"); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE fleet_hosts SET heartbeat = heartbeat - 60000 WHERE name = 'host-99-down'");
        }
        Path aliases = tmp.resolve("aliases.json");
        Files.writeString(aliases, FleetFixture.ALIASES);
        List<String> wants = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            wants.add(i % 4 == 0 ? "gpu:1,vf:1" : i % 4 == 1 ? "pf:1" : i % 4 == 2 ? "vf:2" : "vf:1");
        }
        List<ChildPcipass> children = new ArrayList<>();
        // the starting gate: every claimer's first step, opening the store, waits for the migration lock;
        // holding it until all 64 wait there makes them claim at once
        Connection gate = pg.connect("race");
        try {
            try (Statement st = gate.createStatement()) {
                st.execute("SELECT pg_advisory_lock(" + FleetStore.MIGRATION_LOCK + ")");
            }
            for (int i = 0; i < 64; i++) {
                children.add(ChildPcipass.startMain(Main.class, Map.of(), List.of("fleet", "claim", "vm" + i, "--alias",
                        wants.get(i), "--db", url, "--aliases", aliases.toString(), "--state-dir",
                        tmp.resolve("state").toString(), "--json")));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            int waiting = 0;
            while (waiting < 64 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                try (Statement st = gate.createStatement(); ResultSet r = st.executeQuery("SELECT COUNT(*) FROM pg_locks"
                        + " WHERE locktype = 'advisory' AND NOT granted")) {
                    r.next();
                    waiting = r.getInt(1);
                }
            }
            assertThat(waiting).as("claimers waiting at the gate").isEqualTo(64);
            try (Statement st = gate.createStatement()) {
                // 64 JVMs can take longer to start than three heartbeat intervals on a loaded machine
                st.executeUpdate("UPDATE fleet_hosts SET heartbeat = CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)"
                        + " * 1000 AS BIGINT) WHERE name <> 'host-99-down'");
                st.execute("SELECT pg_advisory_unlock(" + FleetStore.MIGRATION_LOCK + ")");
            }
            Map<String, Map<String, Object>> placed = new HashMap<>();
            Map<String, String> refused = new HashMap<>();
            for (int i = 0; i < 64; i++) {
                ChildPcipass.Outcome o = children.get(i).waitFor(Duration.ofMinutes(3));
                assertThat(o.exitCode()).as("vm%d: %s", i, o.stderr()).isIn(0, 3);
                if (o.exitCode() == 0) {
                    placed.put("vm" + i, JsonTree.asObject(JsonTree.parse(o.stdout()), "claim"));
                } else {
                    assertThat(o.stderr()).startsWith("pcipass: no host fits vm" + i + "'s " + wants.get(i) + ": ");
                    refused.put("vm" + i, wants.get(i));
                }
            }
            assertThat(placed).isNotEmpty();
            assertThat(refused).isNotEmpty();
            try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
                List<FleetClaims.Claim> claims = new FleetClaims(s).claims(null);
                assertThat(claims).hasSize(placed.size());
                Set<String> devices = new HashSet<>();
                for (FleetClaims.Claim c : claims) {
                    Map<String, Object> out = placed.get(c.guest());
                    assertThat(out.get("host")).isEqualTo(c.host());
                    assertThat(out.get("devices")).isEqualTo(new ArrayList<Object>(c.devices()));
                    assertThat(c.host()).isNotEqualTo("host-99-down");
                    for (String d : c.devices()) {
                        assertThat(devices.add(c.host() + " " + d)).as("%s held twice", d).isTrue();
                    }
                }
                for (int h = 0; h < 50; h++) {
                    String host = String.format("host-%02d", h);
                    boolean pf = devices.contains(host + " 0000:81:00.0");
                    boolean vf = devices.contains(host + " 0000:81:02.0") || devices.contains(host + " 0000:81:02.1");
                    assertThat(pf && vf).as("%s: its PF and a VF both held", host).isFalse();
                }
                // each refusal stands on the final state
                List<FleetHost> hosts = s.upHostsWithOfferedDevices();
                Set<FleetClaims.Held> held = new HashSet<>();
                claims.forEach(c -> c.devices().forEach(d -> held.add(new FleetClaims.Held(c.host(), d))));
                for (Map.Entry<String, String> r : refused.entrySet()) {
                    FleetClaims.Choice now = ClaimPlanner.plan(hosts, held,
                            FleetFixture.aliases().requests(r.getValue(), null), null);
                    assertThat(now.host()).as("%s (%s) was refused but fits %s now", r.getKey(), r.getValue(),
                            now.host()).isNull();
                }
            }
            try (Connection c = pg.connect("race"); Statement st = c.createStatement();
                    ResultSet r = st.executeQuery("SELECT COUNT(*), COUNT(DISTINCT host || ' ' || address)"
                            + " FROM fleet_claim_devices")) {
                r.next();
                assertThat(r.getInt(1)).isEqualTo(r.getInt(2)).isEqualTo(
                        placed.values().stream().mapToInt(p -> ((List<?>) p.get("devices")).size()).sum());
            }
        } finally {
            children.forEach(ChildPcipass::close);
            gate.close();
        }
    }
}
