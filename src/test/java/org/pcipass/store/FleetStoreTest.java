package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;
import org.pcipass.testing.Postgres;

/**
 * The fleet's store on a real PostgreSQL: the shared migrations (from nothing, from a store at version
 * 2, many first opens at once), one-transaction publishes read back, heartbeats, up and down hosts,
 * the offered devices, and the messages of a database that cannot be reached.
 */
class FleetStoreTest {
    private static Postgres pg;
    private static int databases;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    private static synchronized String fresh() throws Exception {
        return pg.createDatabase("fleet" + ++databases);
    }

    private static String dbName(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }

    static List<String> column(Connection c, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    static FleetDevice dev(String address, String verdict, String owner, Map<String, String> tags) {
        return new FleetDevice(address, "10de", "1b80", "030000", "type-PCI", 0, null, verdict, owner, "vfio-pci", tags);
    }

    static HostInventory host(String name, FleetDevice... devices) {
        return new HostInventory(name, 10, List.of(new NumaCell(0, 0, List.of(0, 1, 2, 3), 32000),
                new NumaCell(1, null, List.of(), 0)), "pcipass test", List.of(devices));
    }

    @Test
    void openingMigratesAnEmptyDatabaseToTheLatestSchemaWithTheFleetTables() throws Exception {
        String url = fresh();
        try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            assertThat(f.hosts(false)).isEmpty();
        }
        try (Connection c = pg.connect(dbName(url))) {
            assertThat(column(c, "SELECT version FROM schema_version ORDER BY version")).containsExactly("1", "2", "3");
            assertThat(column(c, "SELECT column_name FROM information_schema.columns WHERE table_name = 'fleet_hosts'"
                    + " ORDER BY ordinal_position")).containsExactly("name", "snapshot", "published", "heartbeat",
                    "interval_s", "numa_cells", "agent");
            assertThat(column(c, "SELECT column_name FROM information_schema.columns WHERE table_name = 'fleet_devices'"
                    + " ORDER BY ordinal_position")).containsExactly("host", "address", "vendor_id", "product_id", "class",
                    "dev_type", "numa_node", "parent_addr", "verdict", "owner", "driver", "tags", "position");
        }
        try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test"); Connection c = pg.connect(dbName(url))) {
            assertThat(column(c, "SELECT COUNT(*) FROM schema_version")).containsExactly("3"); // nothing applied twice
        }
    }

    @Test
    void openingMigratesADatabaseAnEarlierPcipassLeftAtVersion2AndKeepsItsRows() throws Exception {
        String url = fresh();
        try (Connection c = pg.connect(dbName(url)); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied VARCHAR(40) NOT NULL)");
            for (int v = 1; v <= 2; v++) {
                for (String sql : Schema.MIGRATIONS.get(v - 1)) {
                    s.execute(sql);
                }
                s.execute("INSERT INTO schema_version VALUES (" + v + ", '2026-01-01T00:00:00Z')");
            }
            s.execute("INSERT INTO meta (name, value) VALUES ('kept', 'yes')");
        }
        try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test"); Connection c = pg.connect(dbName(url))) {
            assertThat(column(c, "SELECT version FROM schema_version ORDER BY version")).containsExactly("1", "2", "3");
            assertThat(column(c, "SELECT value FROM meta")).containsExactly("yes");
        }
    }

    @Test
    void aDatabaseANewerPcipassMigratedIsRefusedNamingBothVersions() throws Exception {
        String url = fresh();
        try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test"); Connection c = pg.connect(dbName(url));
                Statement s = c.createStatement()) {
            s.execute("INSERT INTO schema_version VALUES (9, '2031-01-01T00:00:00Z')");
        }
        assertThatThrownBy(() -> FleetStore.open(DbUrl.parse(url, "--db"), "test")).isInstanceOf(PcipassException.class)
                .hasMessage("the fleet's database 127.0.0.1:" + pg.port() + "/" + dbName(url) + " has schema version 9,"
                        + " newer than this pcipass knows (" + Schema.LATEST + "): upgrade pcipass on this host");
    }

    @Test
    void manyFirstOpensAtOnceAllSucceedAndMigrateOnce() throws Exception {
        String url = fresh();
        int n = 16;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> opens = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                opens.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
                        return f.hosts(false).size();
                    }
                }));
            }
            for (Future<Integer> o : opens) {
                assertThat(o.get(60, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = pg.connect(dbName(url))) {
            assertThat(column(c, "SELECT version FROM schema_version ORDER BY version")).containsExactly("1", "2", "3");
        }
    }

    @Test
    void publishWritesTheSnapshotWholeAndReadsItBack() throws Exception {
        String url = fresh();
        Map<String, String> tags = Map.of("physical_network", "physnet1");
        HostInventory first = host("node-b", dev("0000:0a:00.0", "assignable", null, Map.of()),
                dev("0000:03:00.0", "host-critical", null, tags), dev("0000:0b:00.0", "ready", "win10", tags));
        try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            FleetStore.Published p = f.publish(first);
            assertThat(p).isEqualTo(new FleetStore.Published("node-b", 1, 3, 1, true));
            FleetHost h = f.hosts(true).get(0);
            assertThat(h.devices()).isEqualTo(first.devices()); // snapshot order, every field
            assertThat(h.numaCells()).isEqualTo(first.numaCells());
            assertThat(List.of(h.snapshot(), (long) h.deviceCount(), (long) h.offeredCount())).containsExactly(1L, 3L, 1L);
            assertThat(h.up()).isTrue();
            assertThat(h.published()).isEqualTo(h.heartbeat());

            // the same snapshot again: a heartbeat only
            Thread.sleep(5);
            FleetStore.Published again = f.publish(first);
            assertThat(again).isEqualTo(new FleetStore.Published("node-b", 1, 3, 1, false));
            FleetHost later = f.hosts(false).get(0);
            assertThat(later.published()).isEqualTo(h.published());
            assertThat(later.heartbeat()).isAfter(h.heartbeat());

            // another snapshot replaces the devices
            HostInventory second = host("node-b", dev("0000:0c:00.0", "ready", null, tags));
            assertThat(f.publish(second)).isEqualTo(new FleetStore.Published("node-b", 2, 1, 1, true));
            assertThat(f.hosts(true).get(0).devices()).isEqualTo(second.devices());
            assertThat(f.heartbeat("node-b", 10, 2)).isTrue();
            assertThat(f.heartbeat("node-b", 10, 1)).isFalse(); // another snapshot was published: publish again
            assertThat(f.heartbeat("node-z", 10, 1)).isFalse();
        }
    }

    @Test
    void aDownHostIsDownAndItsDevicesAreNotOffered() throws Exception {
        String url = fresh();
        Map<String, String> none = Map.of();
        try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "test"); Connection c = pg.connect(dbName(url))) {
            f.publish(host("node-c", dev("0000:02:00.0", "ready", null, none), dev("0000:01:00.0", "assignable", null,
                    none)));
            f.publish(host("node-a", dev("0000:05:00.0", "ready", null, none), dev("0000:06:00.0", "ready", null, null),
                    dev("0000:07:00.0", "ready", "vm1", none), dev("0000:08:00.0", "group-blocked", null, none),
                    dev("0000:04:00.0", "assignable", null, Map.of("trusted", "true"))));
            f.publish(host("node-b", dev("0000:09:00.0", "ready", null, none)));
            f.publish(host("Node-Z")); // upper case sorts first, by bytes
            // node-b's heartbeat is 31 s old: more than three of its 10 s intervals
            try (Statement s = c.createStatement()) {
                s.execute("UPDATE fleet_hosts SET heartbeat = heartbeat - 31000 WHERE name = 'node-b'");
                s.execute("UPDATE fleet_hosts SET heartbeat = heartbeat - 29000 WHERE name = 'node-c'");
            }
            List<FleetHost> all = f.hosts(false);
            assertThat(all).extracting(FleetHost::name).containsExactly("Node-Z", "node-a", "node-b", "node-c");
            assertThat(all).extracting(FleetHost::state).containsExactly("up", "up", "down", "up");
            assertThat(all).extracting(FleetHost::offeredCount).containsExactly(0, 2, 1, 2);

            List<FleetHost> up = f.upHostsWithOfferedDevices();
            assertThat(up).extracting(FleetHost::name).containsExactly("Node-Z", "node-a", "node-c");
            assertThat(up.get(0).devices()).isEmpty();
            assertThat(up.get(1).devices()).extracting(FleetDevice::address).containsExactly("0000:05:00.0",
                    "0000:04:00.0"); // snapshot order, not address order
            assertThat(up.get(1).devices().get(1).tags()).isEqualTo(Map.of("trusted", "true"));
            assertThat(up.get(2).devices()).extracting(FleetDevice::address).containsExactly("0000:02:00.0",
                    "0000:01:00.0");
        }
    }

    @Test
    void anUnreachableServerOrAnUnknownUserIsOneLineNamingTheTargetWithoutThePassword() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThatThrownBy(() -> FleetStore.open(DbUrl.parse("postgresql://ops:hunter2@127.0.0.1:" + closed + "/fleet",
                "--db"), "test")).isInstanceOf(PcipassException.class)
                .hasMessageStartingWith("cannot connect to the fleet's database 127.0.0.1:" + closed + "/fleet (")
                .hasMessageEndingWith("); check --db (or PCIPASS_DB, or db = in pcipass.conf), that PostgreSQL runs"
                        + " there and that it lets this user in")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2").doesNotContain("\n"))
                .extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(1);
        String url = fresh().replace("pcipass@", "nobody:hunter2@");
        assertThatThrownBy(() -> FleetStore.open(DbUrl.parse(url, "--db"), "test"))
                .hasMessageContaining("cannot connect to the fleet's database 127.0.0.1:" + pg.port() + "/fleet")
                .hasMessageContaining("\"nobody\"").satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    @Test
    void cellsAndTagsRoundTripThroughTheirJson() throws Exception {
        List<NumaCell> cells = List.of(new NumaCell(0, 0, List.of(0, 1), 1024), new NumaCell(3, null, List.of(), 0));
        assertThat(FleetTables.cellsJson(cells)).isEqualTo("[{\"id\":0,\"socket\":0,\"cpus\":[0,1],\"memory_mb\":1024},"
                + "{\"id\":3,\"socket\":null,\"cpus\":[],\"memory_mb\":0}]");
        assertThat(FleetTables.cells(FleetTables.cellsJson(cells))).isEqualTo(cells);
    }
}
