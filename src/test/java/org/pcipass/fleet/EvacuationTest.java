package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.store.DbUrl;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetDevice;
import org.pcipass.store.FleetStore;
import org.pcipass.store.HostInventory;
import org.pcipass.store.NumaCell;
import org.pcipass.testing.Postgres;

/**
 * The fleet issue's acceptance e, on a real PostgreSQL: {@code pcipass fleet evacuate HOST} places every
 * guest with devices on HOST that fits elsewhere (the first other up host by name, in Nova's device order),
 * holds the target devices as evacuation claims, names each guest that fits nowhere with the closest
 * shortfall, and a second plan of the same host reuses what the first holds.
 */
class EvacuationTest {
    static final String OLD_ALIAS = "{\"name\": \"old\", \"vendor_id\": \"10de\", \"product_id\": \"1db4\","
            + " \"device_type\": \"type-PCI\"}";
    private static Postgres pg;
    private static int databases;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    private static synchronized String freshDatabase() throws Exception {
        return pg.createDatabase("evac" + ++databases);
    }

    static FleetDevice owned(FleetDevice d, String guest) {
        return new FleetDevice(d.address(), d.vendorId(), d.productId(), d.classCode(), d.devType(), d.numaNode(),
                d.parentAddr(), "assigned", guest, d.driver(), d.tags());
    }

    static HostInventory inventory(String name, List<FleetDevice> devices) {
        return new HostInventory(name, 10, List.of(new NumaCell(0, 0, List.of(0, 1), 16000),
                new NumaCell(1, 1, List.of(2, 3), 16000)), "pcipass test", devices);
    }

    /** node-a's devices: 12 GPUs (NUMA 0, 1, 0 ...), an unshared GPU model, a PF with 4 VFs, a PF alone. */
    static List<FleetDevice> nodeA() {
        List<FleetDevice> d = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            d.add(FleetFixture.gpu(String.format("0000:%02x:00.0", 0x3b + i), i % 2));
        }
        d.add(new FleetDevice("0000:5e:00.0", "10de", "2204", "030000", "type-PCI", 0, null, "ready", null,
                "vfio-pci", Map.of()));
        d.add(FleetFixture.pf("0000:81:00.0", 1));
        for (int i = 0; i < 4; i++) {
            d.add(FleetFixture.vf("0000:81:02." + i, "0000:81:00.0", 1));
        }
        d.add(FleetFixture.pf("0000:82:00.0", 0));
        return d;
    }

    private Path aliasesFile() throws Exception {
        Path f = tmp.resolve("aliases.json");
        Files.writeString(f, FleetFixture.ALIASES);
        return f;
    }

    private Cli.Result pcipass(String url, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--db", url, "--aliases", aliasesFile().toString(), "--state-dir",
                tmp.resolve("state").toString()));
        return Cli.exec(all.toArray(String[]::new));
    }

    /**
     * A fleet around node-a's ten guests: six claimed on node-a while it was the only host (alpha and hotel
     * consumed: their devices are attached; india's alias 'old' no longer defined), five attached there
     * outside any claim (juliet both), one GPU left free there; node-b, node-d and node-e with room for
     * some; node-c, down, with room for all.
     */
    private String tenGuests() throws Exception {
        String url = freshDatabase();
        try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            s.publish(inventory("node-a", nodeA()));
            Aliases then = Aliases.parse(List.of(new ConfigValue("[" + FleetFixture.ALIASES.substring(1,
                    FleetFixture.ALIASES.length() - 1) + ", " + OLD_ALIAS + "]", "old aliases")));
            FleetClaims claims = new FleetClaims(s);
            Map<String, FleetClaims.Claim> made = new LinkedHashMap<>();
            for (String[] c : new String[][] {{"bravo", "gpu-near:1", "1"}, {"hotel", "gpu-near:1", "0"},
                    {"alpha", "gpu:2", null}, {"foxtrot", "gpu:4", null}, {"india", "old:1", null},
                    {"juliet", "vf:1", null}}) {
                List<Integer> cells = c[2] == null ? null : List.of(Integer.parseInt(c[2]));
                made.put(c[0], claims.claim(c[0], FleetClaims.CLAIM, c[1], c[2], null, FleetClaims.DEFAULT_TTL,
                        Set.of(), ClaimPlanner.placer(then.requests(c[1], null), cells)));
            }
            assertThat(made.values()).allMatch(c -> c.host().equals("node-a"));
            claims.consume("alpha", "node-a", made.get("alpha").devices());
            claims.consume("hotel", "node-a", made.get("hotel").devices());
            Set<String> claimed = new HashSet<>();
            made.values().forEach(c -> claimed.addAll(c.devices()));
            Map<String, String> owner = new TreeMap<>();
            made.get("alpha").devices().forEach(a -> owner.put(a, "alpha"));
            made.get("hotel").devices().forEach(a -> owner.put(a, "hotel"));
            List<String> freeGpus = new ArrayList<>();
            List<String> freeVfs = new ArrayList<>();
            for (FleetDevice d : nodeA()) {
                if (!claimed.contains(d.address()) && d.productId().equals("1db4")) {
                    freeGpus.add(d.address());
                } else if (!claimed.contains(d.address()) && d.devType().equals("type-VF")) {
                    freeVfs.add(d.address());
                }
            }
            assertThat(freeGpus).hasSize(3);
            assertThat(freeVfs).hasSize(3);
            owner.put(freeGpus.get(0), "echo");
            owner.put(freeGpus.get(1), "juliet");
            owner.put(freeVfs.get(0), "charlie");
            owner.put(freeVfs.get(1), "charlie");
            owner.put(freeVfs.get(2), "echo");
            owner.put("0000:82:00.0", "delta");
            owner.put("0000:5e:00.0", "golf");
            List<FleetDevice> attached = new ArrayList<>();
            for (FleetDevice d : nodeA()) {
                attached.add(owner.containsKey(d.address()) ? owned(d, owner.get(d.address())) : d);
            }
            s.publish(inventory("node-a", attached));
            s.publish(FleetFixture.host("node-b", 2, 2));
            s.publish(FleetFixture.host("node-c", 8, 4));
            List<FleetDevice> d = new ArrayList<>(FleetFixture.host("node-d", 3, 2).devices());
            d.add(FleetFixture.pf("0000:82:00.0", 0));
            s.publish(inventory("node-d", d));
            s.publish(FleetFixture.host("node-e", 1, 1));
        }
        try (Connection c = pg.connect("evac" + databases); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE fleet_hosts SET heartbeat = heartbeat - 60000 WHERE name = 'node-c'");
        }
        return url;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void tenGuestsArePlacedOnTheFirstOtherUpHostThatFitsAndTheRestAreNamedWithTheirShortfall() throws Exception {
        String url = tenGuests();
        Cli.Result r = pcipass(url, "fleet", "evacuate", "node-a", "--json");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("pcipass: 3 of 10 guests on node-a fit on no other host now\n");
        JsonNode plan = r.json();
        assertThat(plan.get("host").asText()).isEqualTo("node-a");
        assertThat(plan.get("host_state").asText()).isEqualTo("up");
        Map<String, String> placed = new LinkedHashMap<>();
        for (JsonNode g : plan.get("planned")) {
            placed.put(g.get("guest").asText(), g.get("request").asText() + " " + g.get("numa_cells") + " -> "
                    + g.get("target").asText() + " " + texts(g.get("target_devices")));
            assertThat(g.get("kept").asBoolean()).isFalse();
        }
        // name order; nothing on node-a itself (one GPU free there) nor on node-c (down, room for all)
        assertThat(placed).containsExactly(
                Map.entry("alpha", "gpu:2 null -> node-b [0000:3b:00.0, 0000:3c:00.0]"),
                Map.entry("bravo", "gpu-near:1 [1] -> node-d [0000:3c:00.0]"),
                Map.entry("charlie", "8086:154c type-VF x2 null -> node-b [0000:81:02.1, 0000:81:02.0]"),
                Map.entry("delta", "8086:1572 type-PF x1 null -> node-d [0000:81:00.0]"),
                Map.entry("echo", "10de:1db4 type-PCI x1, 8086:154c type-VF x1 null -> node-e [0000:3b:00.0,"
                        + " 0000:81:02.0]"),
                Map.entry("hotel", "gpu-near:1 [0] -> node-d [0000:3d:00.0]"),
                Map.entry("india", "10de:1db4 type-PCI x1 null -> node-d [0000:3b:00.0]"));
        Map<String, String> unplaced = new LinkedHashMap<>();
        for (JsonNode g : plan.get("unplaced")) {
            unplaced.put(g.get("guest").asText(), g.get("reason").asText());
        }
        assertThat(unplaced).containsExactly(
                Map.entry("foxtrot", "no host fits foxtrot's gpu:4: closest is node-d, short of 2 of 4 gpu"
                        + " (4 devices wanted)"),
                Map.entry("golf", "no host fits golf's 10de:2204 type-PCI x1: closest is node-b, short of 1 of 1"
                        + " 10de:2204 (1 device wanted)"),
                Map.entry("juliet", "no host fits juliet's 10de:1db4 type-PCI x1, 8086:154c type-VF x1: closest is"
                        + " node-b, short of 1 of 1 10de:1db4, 1 of 1 8086:154c (2 devices wanted)"));
        assertThat(texts(plan.get("unplaced").get(1).get("devices"))).containsExactly("0000:5e:00.0");
        JsonNode alpha = plan.get("planned").get(0);
        List<String> from = texts(alpha.get("devices"));
        assertThat(from).hasSize(2);
        List<String> steps = new ArrayList<>();
        alpha.get("steps").forEach(s -> steps.add(s.get("host").asText() + ": " + s.get("command").asText()));
        assertThat(steps).containsExactly("node-a: virsh shutdown alpha",
                "node-a: pcipass detach alpha " + String.join(" ", from) + " --config --return",
                "node-a: pcipass fleet release alpha",
                "node-b: virsh define alpha.xml",
                "node-b: pcipass attach alpha 0000:3b:00.0 0000:3c:00.0 --config",
                "node-b: virsh start alpha");
        // charlie had no claim on node-a: nothing to release
        JsonNode charlie = plan.get("planned").get(2);
        assertThat(charlie.get("steps")).hasSize(5);
        assertThat(charlie.get("steps").get(1).get("command").asText())
                .matches("pcipass detach charlie 0000:81:02\\.[0-3] 0000:81:02\\.[0-3] --config --return");
        // the targets are held: node-b's two GPUs would fit gpu:2, but only node-a's free one is left
        Cli.Result probe = pcipass(url, "fleet", "claim", "probe", "--alias", "gpu:2");
        assertThat(probe.exitCode()).isEqualTo(3);
        assertThat(probe.err()).isEqualTo("pcipass: no host fits probe's gpu:2: closest is node-a, short of 1 of 2"
                + " gpu (2 devices wanted)\n");
        assertThat(heldRows(url)).isEqualTo(planRows(plan));
    }

    @Test
    void aSecondPlanOfTheSameHostKeepsTheFirstOnesClaimsAndReleaseUndoesOne() throws Exception {
        String url = tenGuests();
        JsonNode first = pcipass(url, "fleet", "evacuate", "node-a", "--json").json();
        List<String> rows = heldRows(url);
        Cli.Result again = pcipass(url, "fleet", "evacuate", "node-a", "--json");
        assertThat(again.exitCode()).isEqualTo(3);
        assertThat(heldRows(url)).isEqualTo(rows);
        assertThat(planRows(again.json())).isEqualTo(planRows(first));
        again.json().get("planned").forEach(g -> assertThat(g.get("kept").asBoolean()).isTrue());
        assertThat(again.json().get("planned").get(0).get("expires"))
                .isEqualTo(first.get("planned").get(0).get("expires"));
        // text: the same plan for people
        Cli.Result text = pcipass(url, "fleet", "evacuate", "node-a");
        assertThat(text.exitCode()).isEqualTo(3);
        assertThat(text.out()).startsWith("node-a (up): 10 guests with devices, 7 placed elsewhere (devices held),"
                + " 3 fit nowhere\n\nalpha: ");
        assertThat(text.out()).contains(" (gpu:2) -> node-b 0000:3b:00.0 0000:3c:00.0, held until ")
                .contains("  1. on node-a: stop alpha and wait until it is shut off")
                .contains("\n       virsh shutdown alpha\n")
                .contains("\nfit nowhere:\n  foxtrot: ");
        // the evacuation claims are listed, and one released is planned afresh
        JsonNode listed = pcipass(url, "fleet", "claims", "--evacuation", "--json").json();
        assertThat(listed).hasSize(7);
        assertThat(listed.get(0).get("from_host").asText()).isEqualTo("node-a");
        assertThat(pcipass(url, "fleet", "claims", "--json").json()).hasSize(6);
        Cli.Result release = pcipass(url, "fleet", "release", "alpha", "--evacuation");
        assertThat(release.exitCode()).isZero();
        assertThat(release.err()).isEqualTo("pcipass: released alpha's evacuation claim on node-b (0000:3b:00.0"
                + " 0000:3c:00.0)\n");
        try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            assertThat(new FleetClaims(s).claimOf("alpha", FleetClaims.CLAIM)).as("its own claim stays").isNotNull();
        }
        JsonNode third = pcipass(url, "fleet", "evacuate", "node-a", "--json").json();
        assertThat(third.get("planned").get(0).get("kept").asBoolean()).isFalse();
        assertThat(third.get("planned").get(1).get("kept").asBoolean()).isTrue();
        assertThat(targets(third)).isEqualTo(targets(first));
    }

    @Test
    void aHostThatIsDownIsEvacuatedAllTheSame() throws Exception {
        String url = freshDatabase();
        try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            s.publish(inventory("gone", List.of(owned(FleetFixture.gpu("0000:3b:00.0", 0), "vm1"))));
            s.publish(FleetFixture.host("spare", 1, 0));
        }
        try (Connection c = pg.connect("evac" + databases); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE fleet_hosts SET heartbeat = heartbeat - 60000 WHERE name = 'gone'");
        }
        Cli.Result r = pcipass(url, "fleet", "evacuate", "gone", "--json", "--ttl", "30");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode g = r.json().get("planned").get(0);
        assertThat(r.json().get("host_state").asText()).isEqualTo("down");
        assertThat(g.get("target").asText()).isEqualTo("spare");
        assertThat(g.get("steps").get(0).get("action").asText()).isEqualTo("make sure vm1 is shut off (gone is down)");
        try (Connection c = pg.connect("evac" + databases); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT (expires - since) / 60000 FROM fleet_claims")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(30);
        }
        assertThat(pcipass(url, "fleet", "evacuate", "spare").out())
                .isEqualTo("spare (up): no guest has devices there; nothing to move\n");
    }

    @Test
    void anUnknownHostOrABadOptionIsBadInputInOneLine() throws Exception {
        String url = freshDatabase();
        try (FleetStore s = FleetStore.open(DbUrl.parse(url, "--db"), "test")) {
            for (int i = 1; i <= 7; i++) {
                s.publish(FleetFixture.host("node-" + i, 1, 0));
            }
        }
        Cli.Result r = pcipass(url, "fleet", "evacuate", "node-9");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("pcipass: the fleet has no host named 'node-9'; its hosts are node-1, node-2,"
                + " node-3, node-4, node-5 and 2 more (see 'pcipass fleet hosts')\n");
        Cli.Result db = Cli.exec("fleet", "evacuate", "node-1", "--db", "mysql://root@db/fleet", "--state-dir",
                tmp.toString());
        assertThat(db.exitCode()).isEqualTo(2);
        assertThat(db.err()).startsWith("pcipass: --db ").endsWith("\n").containsOnlyOnce("\n");
        Cli.Result ttl = pcipass(url, "fleet", "evacuate", "node-1", "--ttl", "0");
        assertThat(ttl.exitCode()).isEqualTo(2);
        assertThat(ttl.err()).isEqualTo("pcipass: --ttl '0' is not a whole number of minutes from 1 to 1440; write"
                + " e.g. --ttl 30\n");
        assertThat(pcipass(url, "fleet", "evacuate").err()).isEqualTo("pcipass: write 'pcipass fleet evacuate HOST"
                + " [--ttl MINUTES] [--json]'\n");
    }

    /** guest, from host, host, address, expires: the evacuation claims' rows in the database. */
    static List<String> heldRows(String url) throws Exception {
        String name = url.substring(url.lastIndexOf('/') + 1);
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(name); Statement st = c.createStatement();
                ResultSet r = st.executeQuery("SELECT k.guest, k.from_host, d.host, d.address, k.since, k.expires"
                        + " FROM fleet_claims k JOIN fleet_claim_devices d ON d.guest = k.guest AND d.kind = k.kind"
                        + " WHERE k.kind = 'evacuation' ORDER BY k.guest, d.position")) {
            while (r.next()) {
                out.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3) + " " + r.getString(4) + " "
                        + java.time.Instant.ofEpochMilli(r.getLong(6)));
            }
        }
        return out;
    }

    /** The same rows as a plan's JSON says them. */
    static List<String> planRows(JsonNode plan) {
        List<String> out = new ArrayList<>();
        for (JsonNode g : plan.get("planned")) {
            for (JsonNode d : g.get("target_devices")) {
                out.add(g.get("guest").asText() + " " + plan.get("host").asText() + " " + g.get("target").asText()
                        + " " + d.asText() + " " + g.get("expires").asText());
            }
        }
        return out;
    }

    /** guest: target and its devices, of a plan's JSON. */
    static Map<String, String> targets(JsonNode plan) {
        Map<String, String> out = new LinkedHashMap<>();
        plan.get("planned").forEach(g -> out.put(g.get("guest").asText(), g.get("target").asText() + " "
                + texts(g.get("target_devices"))));
        return out;
    }
}
