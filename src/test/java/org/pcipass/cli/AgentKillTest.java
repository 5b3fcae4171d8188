package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.Postgres;

/**
 * A {@code pcipass agent} OS process SIGKILLed in the middle of publishing a second snapshot of a
 * 4,096-function host leaves the first snapshot whole. To kill it while its transaction is open, not
 * before or after, the test gives the database (not pcipass) a trigger on {@code fleet_devices} that
 * waits for an advisory lock the test holds: the agent's transaction has then deleted the old rows and
 * inserted new ones, PostgreSQL shows it waiting, and the test kills it there.
 */
class AgentKillTest {
    private static final long HOLD = 4242;
    private static Postgres pg;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    /** {@code bench/gen-tree.py DIR N --mix KINDS}: DIR/sys and DIR/root. */
    private static void generate(Path dir, int n, String mix) throws Exception {
        Path gen = null;
        for (Path d = Path.of("").toAbsolutePath(); d != null && gen == null; d = d.getParent()) {
            gen = Files.isRegularFile(d.resolve("bench/gen-tree.py")) ? d.resolve("bench/gen-tree.py") : null;
        }
        assertThat(gen).as("bench/gen-tree.py above " + Path.of("").toAbsolutePath()).isNotNull();
        Process p = new ProcessBuilder("python3", gen.toString(), dir.toString(), String.valueOf(n), "--mix", mix)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(out).isTrue();
    }

    private List<String> args(Path tree, Path spec, String url) {
        return List.of("agent", "--db", url, "--host-name", "big", "--once", "--spec", spec.toString(), "--sysfs",
                tree.resolve("sys").toString(), "--config-root", tree.resolve("root").toString(), "--state-dir",
                tmp.resolve("state").toString());
    }

    private static List<String> snapshot(Connection c) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT h.name, h.snapshot, h.published,"
                + " h.numa_cells, d.* FROM fleet_hosts h JOIN fleet_devices d ON d.host = h.name ORDER BY d.position")) {
            while (r.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                    row.append(r.getString(i)).append('|');
                }
                out.add(row.toString());
            }
        }
        return out;
    }

    private static boolean waitUntil(Connection c, String sql, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            try (PreparedStatement p = c.prepareStatement(sql); ResultSet r = p.executeQuery()) {
                if (r.next()) {
                    return true;
                }
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Test
    void aSigkilledAgentMidPublishLeavesThePreviousSnapshotWhole() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        generate(a, 4096, "sriov,gpu,nvme,switch");
        generate(b, 2048, "gpu,nvme");
        Path spec = Files.writeString(tmp.resolve("spec.json"), "[{\"vendor_id\": \"10de\"}, {\"vendor_id\": \"8086\","
                + " \"physical_network\": \"physnet1\"}]");
        String url = pg.createDatabase("kill");

        Cli.Result first = Cli.exec(args(a, spec, url).toArray(String[]::new));
        assertThat(first.err()).startsWith("pcipass: agent: big snapshot 1 published: 4096 devices, ");
        try (Connection c = pg.connect("kill"); Statement s = c.createStatement()) {
            List<String> before = snapshot(c);
            assertThat(before).hasSize(4096);
            s.execute("CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " PERFORM pg_advisory_xact_lock(" + HOLD + "); RETURN NULL; END $$");
            s.execute("CREATE TRIGGER test_hold AFTER INSERT ON fleet_devices FOR EACH STATEMENT"
                    + " EXECUTE FUNCTION test_hold()");
            s.execute("SELECT pg_advisory_lock(" + HOLD + ")");

            try (ChildPcipass agent = ChildPcipass.startMain(Main.class, Map.of(), args(b, spec, url))) {
                // waiting inside its publish: it holds the host's row and has written fleet_devices
                assertThat(waitUntil(c, "SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
                        + " JOIN pg_class t ON t.oid = l.relation WHERE a.application_name = 'pcipass agent big'"
                        + " AND a.wait_event_type = 'Lock' AND a.state = 'active' AND t.relname = 'fleet_devices'"
                        + " AND l.mode = 'RowExclusiveLock' AND l.granted", Duration.ofSeconds(90)))
                        .as(agent.stderr()).isTrue();
                assertThat(snapshot(c)).isEqualTo(before); // others still read the first snapshot
                ChildPcipass.Outcome killed = agent.kill();
                assertThat(killed.exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
                assertThat(killed.stderr()).doesNotContain("snapshot 2");
            }
            s.execute("SELECT pg_advisory_unlock(" + HOLD + ")");
            // its server process finds the client gone and rolls the transaction back
            assertThat(waitUntil(c, "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity"
                    + " WHERE application_name = 'pcipass agent big')", Duration.ofSeconds(60))).isTrue();
            assertThat(snapshot(c)).isEqualTo(before);
            s.execute("DROP TRIGGER test_hold ON fleet_devices");
        }

        int functions;
        try (var names = Files.list(b.resolve("sys/bus/pci/devices"))) {
            functions = (int) names.count();
        }
        Cli.Result again = Cli.exec(args(b, spec, url).toArray(String[]::new));
        assertThat(again.err()).startsWith("pcipass: agent: big snapshot 2 published: " + functions + " devices, ");
        try (Connection c = pg.connect("kill")) {
            List<String> after = snapshot(c);
            assertThat(after).hasSize(functions);
            assertThat(after).allMatch(row -> row.startsWith("big|2|"));
        }
    }
}
