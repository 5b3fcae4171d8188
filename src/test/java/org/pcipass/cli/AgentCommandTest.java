package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_GPU;
import static org.pcipass.testing.HostTrees.WS_SPARE_NIC;
import static org.pcipass.testing.HostTrees.WS_SRIOV_PF;
import static org.pcipass.testing.HostTrees.WS_VF0;
import static org.pcipass.testing.HostTrees.WS_VF1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.pci.PciAddress;
import org.pcipass.store.Owners;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.Postgres;

/**
 * {@code pcipass agent} and {@code pcipass fleet hosts} against a real PostgreSQL and fake sysfs trees:
 * the snapshot is the host as {@code pcipass list} sees it, a changed host is a new snapshot and an
 * unchanged one a heartbeat, the running agent heartbeats and stops on SIGTERM, and the errors are one
 * line with the exit codes DESIGN.md gives.
 */
class AgentCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Postgres pg;
    private static int databases;

    @TempDir
    Path tmp;
    private FakeHost host;
    private String url;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    @BeforeEach
    void tree() throws Exception {
        host = HostTrees.kvmWorkstation(tmp.resolve("host"));
        Path sys = host.sysfs();
        Fs.write(sys.resolve("devices/system/node/node0/cpulist"), "0-3\n");
        Fs.write(sys.resolve("devices/system/node/node0/meminfo"), "Node 0 MemTotal:       16384000 kB\n"
                + "Node 0 MemFree:         1000 kB\n");
        Fs.write(sys.resolve("devices/system/node/node1/cpulist"), "4-5,7\n");
        Fs.write(sys.resolve("devices/system/node/node1/meminfo"), "Node 1 MemTotal:       8192000 kB\n");
        for (int cpu = 0; cpu < 8; cpu++) {
            Fs.write(sys.resolve("devices/system/cpu/cpu" + cpu + "/topology/physical_package_id"), cpu < 4 ? "0\n"
                    : "1\n");
        }
        Files.createDirectories(tmp.resolve("state"));
        Owners.writeExternal(tmp.resolve("state"), Map.of(PciAddress.parse(WS_SPARE_NIC), "win10"));
        synchronized (AgentCommandTest.class) {
            url = pg.createDatabase("agent" + ++databases);
        }
    }

    private String[] args(String... more) {
        List<String> a = new ArrayList<>(List.of("--sysfs", host.sysfs().toString(), "--config-root",
                host.configRoot().toString(), "--state-dir", tmp.resolve("state").toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private Cli.Result agent(String... more) {
        List<String> a = new ArrayList<>(List.of("agent"));
        a.addAll(List.of(args(more)));
        return Cli.exec(a.toArray(String[]::new));
    }

    private Path spec(String json) throws Exception {
        return Files.writeString(tmp.resolve("spec.json"), json);
    }

    private Connection db() throws Exception {
        return pg.connect(url.substring(url.lastIndexOf('/') + 1));
    }

    private static List<Map<String, String>> rows(Connection c, String sql) throws Exception {
        List<Map<String, String>> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                    row.put(r.getMetaData().getColumnName(i), r.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void oncePublishesExactlyTheDevicesListSeesWithNovasTypesTagsAndTheNumaCells() throws Exception {
        Path spec = spec("[{\"vendor_id\": \"10de\", \"product_id\": \"1b80\", \"physical_network\": \"gpu\"},"
                + " {\"vendor_id\": \"8086\", \"product_id\": \"1520\"}, {\"address\": \"0000:0b:00.0\"}]");
        Cli.Result r = agent("--db", url, "--host-name", "node-1", "--once", "--spec", spec.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        Cli.Result list = Cli.exec(args("list", "--json"));
        List<JsonNode> devices = new ArrayList<>();
        list.json().forEach(devices::add);
        int offered = 0;
        try (Connection c = db()) {
            List<Map<String, String>> rows = rows(c, "SELECT * FROM fleet_devices ORDER BY position");
            assertThat(rows).hasSize(devices.size());
            for (int i = 0; i < rows.size(); i++) {
                JsonNode d = devices.get(i);
                Map<String, String> row = rows.get(i);
                Map<String, String> expected = new LinkedHashMap<>();
                expected.put("host", "node-1");
                expected.put("address", d.get("address").asText());
                expected.put("vendor_id", text(d, "vendorId"));
                expected.put("product_id", text(d, "deviceId"));
                expected.put("class", text(d, "classCode"));
                expected.put("dev_type", d.get("address").asText().equals(WS_SRIOV_PF) ? "type-PF"
                        : d.get("physfn").isNull() ? "type-PCI" : "type-VF");
                expected.put("numa_node", text(d, "numaNode"));
                expected.put("parent_addr", text(d, "physfn"));
                expected.put("verdict", d.get("verdict").asText());
                expected.put("owner", text(d, "owner"));
                expected.put("driver", text(d, "driver"));
                expected.put("tags", tags(d));
                expected.put("position", String.valueOf(i));
                assertThat(row).as(d.get("address").asText()).isEqualTo(expected);
                boolean ready = d.get("verdict").asText().matches("ready|assignable");
                offered += expected.get("tags") != null && ready && d.get("owner").isNull() ? 1 : 0;
            }
            assertThat(rows(c, "SELECT name, snapshot, interval_s, numa_cells, agent FROM fleet_hosts")).containsExactly(
                    Map.of("name", "node-1", "snapshot", "1", "interval_s", "10", "agent", Main.VERSION, "numa_cells",
                            "[{\"id\":0,\"socket\":0,\"cpus\":[0,1,2,3],\"memory_mb\":16000},"
                                    + "{\"id\":1,\"socket\":1,\"cpus\":[4,5,7],\"memory_mb\":8000}]"));
        }
        assertThat(offered).isEqualTo(3); // the GPU and both VFs; the spare NIC is win10's
        assertThat(r.err()).isEqualTo("pcipass: agent: node-1 snapshot 1 published: " + devices.size() + " devices, 3"
                + " offered\n");
        assertThat(r.out()).isEmpty();
    }

    /** The tags list's device should have: the spec entries of the test above. */
    private static String tags(JsonNode d) {
        String a = d.get("address").asText();
        if (a.equals(WS_GPU)) {
            return "{\"physical_network\":\"gpu\"}";
        }
        return a.equals(WS_VF0) || a.equals(WS_VF1) || a.equals(WS_SPARE_NIC) ? "{}" : null;
    }

    private static String text(JsonNode d, String field) {
        JsonNode v = d.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    @Test
    void anUnchangedHostIsAHeartbeatAndAChangedOneANewSnapshotReplacingTheDevices() throws Exception {
        Path spec = spec("{\"vendor_id\": \"10de\"}");
        assertThat(agent("--db", url, "--host-name", "node-1", "--once", "--spec", spec.toString()).exitCode()).isZero();
        Map<String, String> before;
        try (Connection c = db()) {
            before = rows(c, "SELECT snapshot, published, heartbeat FROM fleet_hosts").get(0);
        }
        Thread.sleep(20);
        Cli.Result same = agent("--db", url, "--host-name", "node-1", "--once", "--spec", spec.toString());
        assertThat(same.err()).startsWith("pcipass: agent: node-1 snapshot 1 unchanged (heartbeat): ");
        try (Connection c = db()) {
            Map<String, String> after = rows(c, "SELECT snapshot, published, heartbeat FROM fleet_hosts").get(0);
            assertThat(after.get("snapshot")).isEqualTo("1");
            assertThat(after.get("published")).isEqualTo(before.get("published"));
            assertThat(Long.parseLong(after.get("heartbeat"))).isGreaterThan(Long.parseLong(before.get("heartbeat")));
        }
        Fs.write(host.sysfs().resolve("bus/pci/devices/" + WS_GPU + "/numa_node"), "1\n");
        Cli.Result changed = agent("--db", url, "--host-name", "node-1", "--once", "--spec", spec.toString());
        assertThat(changed.err()).startsWith("pcipass: agent: node-1 snapshot 2 published: ");
        try (Connection c = db()) {
            assertThat(rows(c, "SELECT numa_node FROM fleet_devices WHERE address = '" + WS_GPU + "'"))
                    .containsExactly(Map.of("numa_node", "1"));
            assertThat(rows(c, "SELECT COUNT(*) AS n FROM fleet_devices")).containsExactly(
                    Map.of("n", String.valueOf(host.addresses().size())));
        }
    }

    @Test
    void withoutADeviceSpecTheHostOffersNothingAndTheAgentSaysHowToOffer() {
        Cli.Result r = agent("--db", url, "--host-name", "node-1", "--once");
        assertThat(r.exitCode()).isZero();
        assertThat(r.err().lines().toList()).hasSize(2);
        assertThat(r.err()).startsWith("pcipass: agent: no device_spec is configured, so node-1 offers no device to the"
                + " fleet; give --spec FILE or write device_spec = {\"vendor_id\": \"10de\"} lines in "
                + tmp.resolve("state/pcipass.conf") + "\n").endsWith(" devices, 0 offered\n");
    }

    @Test
    void theDatabaseAndSpecsComeFromPcipassConfToo() throws Exception {
        Files.writeString(tmp.resolve("state/pcipass.conf"), "db = " + url + "\ndevice_spec = {\"vendor_id\": \"10de\"}\n");
        Cli.Result r = agent("--host-name", "node-9", "--once");
        assertThat(r.err()).isEqualTo("pcipass: agent: node-9 snapshot 1 published: " + host.addresses().size()
                + " devices, 2 offered\n");
    }

    @Test
    void theHostNameIsTheMachinesUnlessPcipassConfOrTheOptionNamesAnother() throws Exception {
        Fs.write(host.configRoot().resolve("proc/sys/kernel/hostname"), "compute-07\n");
        assertThat(agent("--db", url, "--once").err()).endsWith("pcipass: agent: compute-07 snapshot 1 published: "
                + host.addresses().size() + " devices, 0 offered\n");
        Files.writeString(tmp.resolve("state/pcipass.conf"), "host-name = rack2-07\n");
        assertThat(agent("--db", url, "--once").err()).contains("pcipass: agent: rack2-07 snapshot 1 published");
        assertThat(agent("--db", url, "--once", "--host-name", "given").err()).contains("agent: given snapshot 1");
    }

    @Test
    void withoutADatabaseOrWithABadOneItIsOneLineAndExit2() throws Exception {
        Cli.Result none = agent("--host-name", "node-1", "--once");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("pcipass: no fleet database: give --db URL, set PCIPASS_DB=URL, or write db ="
                + " URL in " + tmp.resolve("state/pcipass.conf") + " (URL: postgresql://USER@HOST:PORT/DB)\n");
        Cli.Result bad = agent("--db", "mysql://ops:hunter2@db/fleet", "--host-name", "node-1", "--once");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).startsWith("pcipass: --db 'mysql://ops:***@db/fleet' is not a PostgreSQL URL; write")
                .doesNotContain("hunter2");
        assertThat(bad.err().lines()).hasSize(1);
        Cli.Result interval = agent("--db", url, "--host-name", "node-1", "--interval", "0");
        assertThat(interval.exitCode()).isEqualTo(2);
        assertThat(interval.err()).isEqualTo("pcipass: --interval '0' is not a whole number of seconds from 1 to 86400;"
                + " give e.g. --interval 10\n");
        Cli.Result badName = agent("--db", url, "--host-name", "two words", "--once");
        assertThat(badName.exitCode()).isEqualTo(2);
        assertThat(badName.err()).isEqualTo("pcipass: --host-name 'two words' is not a host name: give 1 to 255"
                + " printable characters without spaces or quotes, e.g. compute-01\n");
        Files.writeString(tmp.resolve("state/pcipass.conf"), "host-name = a'b\n");
        assertThat(agent("--db", url, "--once").err()).isEqualTo("pcipass: host-name = in "
                + tmp.resolve("state/pcipass.conf") + " 'a'b' is not a host name: give 1 to 255 printable characters"
                + " without spaces or quotes, e.g. compute-01\n");
        Files.delete(tmp.resolve("state/pcipass.conf"));
        Cli.Result badSpec = agent("--db", url, "--host-name", "node-1", "--once", "--spec",
                spec("{\"vendor_id\": \"nothex\"}").toString());
        assertThat(badSpec.exitCode()).isEqualTo(2);
        assertThat(badSpec.err()).contains(tmp.resolve("spec.json").toString());
        assertThat(badSpec.err().lines()).hasSize(1);
    }

    @Test
    void anUnreachableDatabaseIsOneLineAndExit1WithoutThePassword() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Cli.Result r = agent("--db", "postgresql://ops:hunter2@127.0.0.1:" + closed + "/fleet", "--host-name", "n",
                "--once", "--spec", spec("{}").toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("pcipass: cannot connect to the fleet's database 127.0.0.1:" + closed + "/fleet (")
                .doesNotContain("hunter2");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void fleetHostsShowsEachHostUpOrDownWithItsCounts() throws Exception {
        Path spec = spec("{\"vendor_id\": \"10de\"}");
        for (String name : List.of("node-2", "node-1")) {
            assertThat(agent("--db", url, "--host-name", name, "--once", "--spec", spec.toString()).exitCode()).isZero();
        }
        try (Connection c = db(); Statement s = c.createStatement()) {
            s.execute("UPDATE fleet_hosts SET heartbeat = heartbeat - 30001 WHERE name = 'node-2'");
        }
        Cli.Result r = Cli.exec("fleet", "hosts", "--json", "--db", url);
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> states = new ArrayList<>();
        for (JsonNode h : r.json()) {
            states.add(h.get("name").asText() + " " + h.get("state").asText() + " " + h.get("snapshot").asLong() + " "
                    + h.get("interval_s").asInt() + " " + h.get("devices").asInt() + " " + h.get("offered").asInt());
            assertThat(h.get("heartbeat").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
            assertThat(h.get("published").asText()).endsWith("Z");
        }
        int n = host.addresses().size();
        assertThat(states).containsExactly("node-1 up 1 10 " + n + " 2", "node-2 down 1 10 " + n + " 2"); // GPU, audio
        Cli.Result table = Cli.exec("fleet", "hosts", "--db", url);
        assertThat(table.out().lines().toList()).hasSize(3);
        assertThat(table.out()).startsWith("NAME").contains("node-2  down");
        Cli.Result none = Cli.exec("fleet", "hosts", "--state-dir", tmp.resolve("state").toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).startsWith("pcipass: no fleet database: give --db URL, set PCIPASS_DB=URL, or write db =");
    }

    @Test
    void theRunningAgentHeartbeatsAndStopsCleanlyOnSigterm() throws Exception {
        Path spec = spec("{\"vendor_id\": \"10de\"}");
        Map<String, String> env = new HashMap<>();
        env.put("PCIPASS_DB", url);
        try (ChildPcipass p = ChildPcipass.startMain(Main.class, env, List.of(args("agent", "--host-name", "node-1",
                "--interval", "1", "--spec", spec.toString())))) {
            assertThat(p.awaitOutput("snapshot 1 published", Duration.ofSeconds(60))).as(p.stderr()).isTrue();
            long first;
            try (Connection c = db()) {
                first = Long.parseLong(rows(c, "SELECT heartbeat FROM fleet_hosts").get(0).get("heartbeat"));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            long now = first;
            while (now == first && System.nanoTime() < deadline) {
                Thread.sleep(200);
                try (Connection c = db()) {
                    now = Long.parseLong(rows(c, "SELECT heartbeat FROM fleet_hosts").get(0).get("heartbeat"));
                }
            }
            assertThat(now).as("a heartbeat within 20 s").isGreaterThan(first);
            p.process().toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its stderr)
            ChildPcipass.Outcome o = p.waitFor(Duration.ofSeconds(30));
            assertThat(o.exitCode()).isEqualTo(143); // the JVM's status after SIGTERM, its shutdown hooks run
            assertThat(o.stderr()).isEqualTo("pcipass: agent: node-1 snapshot 1 published: " + host.addresses().size()
                    + " devices, 2 offered\npcipass: agent: node-1 stopped after snapshot 1\n");
            try (Connection c = db()) {
                assertThat(rows(c, "SELECT snapshot FROM fleet_hosts")).containsExactly(Map.of("snapshot", "1"));
            }
        }
    }

    @Test
    void theRunningAgentRidesOutADatabaseOutageSayingSoOnceAndAgainWhenItIsBack() throws Exception {
        String name = url.substring(url.lastIndexOf('/') + 1);
        try (ChildPcipass p = ChildPcipass.startMain(Main.class, Map.of(), List.of(args("agent", "--db", url,
                "--host-name", "node-1", "--interval", "1", "--spec", spec("{}").toString())))) {
            assertThat(p.awaitOutput("snapshot 1 published", Duration.ofSeconds(60))).as(p.stderr()).isTrue();
            try (Connection admin = pg.connect(); Statement s = admin.createStatement()) {
                s.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
                assertThat(p.awaitOutput("; trying again every 1 s", Duration.ofSeconds(60))).as(p.stderr()).isTrue();
                s.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
            }
            assertThat(p.awaitOutput("node-1 reaches the fleet's database again", Duration.ofSeconds(60)))
                    .as(p.stderr()).isTrue();
            p.process().toHandle().destroy();
            List<String> lines = p.waitFor(Duration.ofSeconds(30)).stderr().lines().toList();
            assertThat(lines).hasSize(4);
            assertThat(lines.get(1)).startsWith("pcipass: agent: cannot connect to the fleet's database 127.0.0.1:"
                    + pg.port() + "/" + name + " (").endsWith("; trying again every 1 s");
            assertThat(lines.subList(2, 4)).containsExactly("pcipass: agent: node-1 reaches the fleet's database again",
                    "pcipass: agent: node-1 stopped after snapshot 1");
        }
    }

    @Test
    void fleetCommandsInSeveralProcessesOpenAFreshDatabaseAtOnce() throws Exception {
        List<ChildPcipass> children = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                children.add(ChildPcipass.startMain(Main.class, Map.of(), List.of("fleet", "hosts", "--json", "--db",
                        url)));
            }
            for (ChildPcipass c : children) {
                ChildPcipass.Outcome o = c.waitFor(Duration.ofSeconds(60));
                assertThat(o.exitCode()).as(o.stderr()).isZero();
                assertThat(JSON.readTree(o.stdout()).size()).isZero();
                assertThat(o.stderr()).isEmpty();
            }
        } finally {
            children.forEach(ChildPcipass::close);
        }
        try (Connection c = db()) {
            assertThat(rows(c, "SELECT COUNT(*) AS n FROM schema_version")).containsExactly(Map.of("n", "3"));
        }
    }
}
