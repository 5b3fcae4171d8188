package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pcipass.cli.Cli;

/**
 * The fleet issue's acceptance c: on each workload that bench/nova-oracle.sh made with Nova's own
 * PciDeviceStats (src/test/resources/org/pcipass/fleet/nova, README there), {@code pcipass fleet replay}
 * places every request on the host Nova placed it on (the same placements_sha256, and the same index
 * request by request), builds each host's pools exactly as Nova summarised them (keys, counts, order),
 * and turns each flavor string into the InstancePCIRequests Nova made of it.
 */
class NovaReplayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> workloads() throws IOException, URISyntaxException {
        Path dir = dir();
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".fleet.json")).sorted()
                    .forEach(n -> names.add(n.substring(0, n.length() - ".fleet.json".length())));
        }
        assertThat(names).as("committed Nova workloads").hasSizeGreaterThanOrEqualTo(3);
        return names.stream();
    }

    private static Path dir() throws URISyntaxException {
        return Path.of(NovaReplayTest.class.getResource("/org/pcipass/fleet/nova").toURI());
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void replayPlacesEveryRequestWhereNovaPlacedIt(String name, @TempDir Path tmp) throws Exception {
        Path fleet = dir().resolve(name + ".fleet.json");
        Path requests = dir().resolve(name + ".requests.json");
        JsonNode nova = JSON.readTree(dir().resolve(name + ".placements.json").toFile());
        assertThat(nova.get("placed").asInt()).as("an interesting workload places some").isPositive();
        assertThat(nova.get("failed").asInt()).as("and fails some").isPositive();
        Path out = tmp.resolve("placements.json");
        Cli.Result r = new Cli().run("fleet", "replay", "--fleet", fleet.toString(), "--requests", requests.toString(),
                "--placements-out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode line = r.json();
        assertThat(line.get("placed").asInt()).isEqualTo(nova.get("placed").asInt());
        assertThat(line.get("failed").asInt()).isEqualTo(nova.get("failed").asInt());
        JsonNode ours = JSON.readTree(out.toFile());
        assertThat(ours.get("hosts")).isEqualTo(nova.get("hosts"));
        for (int i = 0; i < nova.get("placements").size(); i++) {
            assertThat(ours.get("placements").get(i).asInt()).as("request %d", i)
                    .isEqualTo(nova.get("placements").get(i).asInt());
        }
        assertThat(line.get("placements_sha256").asText()).isEqualTo(nova.get("placements_sha256").asText());
        assertThat(ours.get("placements_sha256").asText()).isEqualTo(nova.get("placements_sha256").asText());
        assertThat(line.get("loop_s").asDouble()).isPositive();
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void everyHostsPoolsAreNovasPoolsInNovasOrder(String name) throws Exception {
        NovaWorkload.Fleet fleet = NovaWorkload.readFleet(dir().resolve(name + ".fleet.json"));
        DeviceSpecs specs = DeviceSpecs.parse(fleet.deviceSpec());
        for (NovaWorkload.Host h : fleet.hosts()) {
            List<Map<String, String>> ours = new ArrayList<>();
            for (Pools.Pool<Device> p : Pools.of(h.devices(), specs)) {
                Map<String, Object> m = new LinkedHashMap<>(p.keys());
                m.put("count", p.count());
                ours.add(strings(m));
            }
            List<Map<String, String>> theirs = new ArrayList<>();
            h.novaPools().forEach(p -> theirs.add(strings(p)));
            assertThat(ours).as("%s's pools", h.name()).isEqualTo(theirs);
        }
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void flavorStringsBecomeNovasInstancePciRequests(String name) throws Exception {
        NovaWorkload.Requests rs = NovaWorkload.readRequests(dir().resolve(name + ".requests.json"));
        Aliases aliases = Aliases.parse(rs.aliases());
        for (NovaWorkload.Request r : rs.requests()) {
            List<PciRequest> ours = aliases.requests(r.flavorAlias(), r.flavorNumaPolicy());
            assertThat(ours).as("request %s: %s", r.id(), r.flavorAlias()).isEqualTo(r.pciRequests());
        }
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void theLineByLineReadingOfNovaAgrees(String name) throws Exception {
        NovaWorkload.Fleet fleet = NovaWorkload.readFleet(dir().resolve(name + ".fleet.json"));
        NovaWorkload.Requests rs = NovaWorkload.readRequests(dir().resolve(name + ".requests.json"));
        JsonNode nova = JSON.readTree(dir().resolve(name + ".placements.json").toFile());
        DeviceSpecs specs = DeviceSpecs.parse(fleet.deviceSpec());
        List<Scheduler.HostPools> hosts = new ArrayList<>();
        for (NovaWorkload.Host h : fleet.hosts()) {
            hosts.add(Scheduler.HostPools.of(h.name(), h.cells(), Pools.of(h.devices(), specs)));
        }
        NovaReference ref = new NovaReference(hosts);
        for (int i = 0; i < rs.requests().size(); i++) {
            NovaWorkload.Request r = rs.requests().get(i);
            assertThat(ref.place(r.pciRequests(), r.numaCells())).as("request %d", i)
                    .isEqualTo(nova.get("placements").get(i).asInt());
        }
    }

    private static Map<String, String> strings(Map<String, Object> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v == null ? null : v.toString()));
        return out;
    }
}
