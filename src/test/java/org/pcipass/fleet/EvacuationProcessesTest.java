package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
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
import org.pcipass.store.FleetDevice;
import org.pcipass.store.FleetStore;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.Postgres;

/**
 * The fleet issue's acceptance e, second half: two hosts evacuated at once by two {@code pcipass fleet
 * evacuate} processes, twelve guests competing for seven free GPUs on two other hosts. Afterwards no device is
 * in both plans, the plans' JSON is what {@code fleet_claim_devices} holds, and each guest that fits nowhere
 * says so with the closest shortfall.
 */
class EvacuationProcessesTest {
    private static Postgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    /** A host whose six GPUs are attached to guests PREFIX1..PREFIX6, nothing free. */
    private static List<FleetDevice> full(String prefix) {
        List<FleetDevice> out = new ArrayList<>();
        for (FleetDevice d : FleetFixture.host("x", 6, 0).devices()) {
            boolean gpu = d.devType().equals("type-PCI");
            out.add(gpu ? EvacuationTest.owned(d, prefix + (out.size() + 1)) : d);
        }
        return out;
    }

    @Test
    void twoHostsEvacuatedAtOnceNeverPromiseOneDeviceTwice(@TempDir Path tmp) throws Exception {
        String url = pg.createDatabase("evacrace");
        try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            s.publish(EvacuationTest.inventory("node-p", full("p")));
            s.publish(EvacuationTest.inventory("node-q", full("q")));
            s.publish(FleetFixture.host("node-r", 4, 0));
            s.publish(FleetFixture.host("node-s", 3, 0));
        }
        Path aliases = tmp.resolve("aliases.json");
        Files.writeString(aliases, FleetFixture.ALIASES);
        List<ChildPcipass> children = new ArrayList<>();
        // the gate: both wait for the store's migration lock, held until both are there
        Connection gate = pg.connect("evacrace");
        try {
            try (Statement st = gate.createStatement()) {
                st.execute("SELECT pg_advisory_lock(" + FleetStore.MIGRATION_LOCK + ")");
            }
            for (String host : List.of("node-p", "node-q")) {
                children.add(ChildPcipass.startMain(Main.class, Map.of(), List.of("fleet", "evacuate", host, "--db",
                        url, "--aliases", aliases.toString(), "--state-dir", tmp.resolve("state").toString(),
                        "--json")));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            int waiting = 0;
            while (waiting < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                try (Statement st = gate.createStatement(); ResultSet r = st.executeQuery("SELECT COUNT(*) FROM pg_locks"
                        + " WHERE locktype = 'advisory' AND NOT granted")) {
                    r.next();
                    waiting = r.getInt(1);
                }
            }
            assertThat(waiting).as("evacuations waiting at the gate").isEqualTo(2);
            try (Statement st = gate.createStatement()) {
                // the JVMs can take longer to start than three heartbeat intervals on a loaded machine
                st.executeUpdate("UPDATE fleet_hosts SET heartbeat = CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)"
                        + " * 1000 AS BIGINT)");
                st.execute("SELECT pg_advisory_unlock(" + FleetStore.MIGRATION_LOCK + ")");
            }
            Set<String> promised = new HashSet<>();
            List<String> fromPlans = new ArrayList<>();
            int placed = 0;
            for (int i = 0; i < 2; i++) {
                String host = i == 0 ? "node-p" : "node-q";
                String other = i == 0 ? "node-q" : "node-p";
                ChildPcipass.Outcome o = children.get(i).waitFor(Duration.ofMinutes(3));
                assertThat(o.exitCode()).as("%s: %s", host, o.stderr()).isIn(0, 3);
                Map<String, Object> plan = JsonTree.asObject(JsonTree.parse(o.stdout()), "plan");
                for (Object g : JsonTree.list(plan, "planned")) {
                    Map<String, Object> p = JsonTree.asObject(g, "guest");
                    assertThat(p.get("target")).isIn("node-r", "node-s");
                    for (Object d : JsonTree.list(p, "target_devices")) {
                        assertThat(promised.add(p.get("target") + " " + d)).as("%s %s promised twice",
                                p.get("target"), d).isTrue();
                        fromPlans.add(p.get("guest") + " " + host + " " + p.get("target") + " " + d);
                    }
                    placed++;
                }
                for (Object g : JsonTree.list(plan, "unplaced")) {
                    Map<String, Object> u = JsonTree.asObject(g, "guest");
                    assertThat(u.get("reason")).isEqualTo("no host fits " + u.get("guest") + "'s 10de:1db4 type-PCI"
                            + " x1: closest is " + other + ", short of 1 of 1 10de:1db4 (1 device wanted)");
                }
                assertThat(o.exitCode()).isEqualTo(JsonTree.list(plan, "unplaced").isEmpty() ? 0 : 3);
                assertThat(JsonTree.list(plan, "planned").size() + JsonTree.list(plan, "unplaced").size())
                        .isEqualTo(6);
            }
            assertThat(placed).as("seven free GPUs, twelve guests").isEqualTo(7);
            List<String> inDatabase = new ArrayList<>();
            try (Connection c = pg.connect("evacrace"); Statement st = c.createStatement();
                    ResultSet r = st.executeQuery("SELECT k.guest, k.from_host, d.host, d.address FROM fleet_claims k"
                            + " JOIN fleet_claim_devices d ON d.guest = k.guest AND d.kind = k.kind"
                            + " WHERE k.kind = 'evacuation'")) {
                while (r.next()) {
                    inDatabase.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3) + " "
                            + r.getString(4));
                }
            }
            assertThat(inDatabase).containsExactlyInAnyOrderElementsOf(fromPlans);
        } finally {
            children.forEach(ChildPcipass::close);
            gate.close();
        }
    }
}
