package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_ALL;
import static org.pcipass.testing.HostTrees.WS_E1000;
import static org.pcipass.testing.HostTrees.WS_GPU;
import static org.pcipass.testing.HostTrees.WS_PCI_BRIDGE;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/**
 * An attribute that cannot be read on one device — missing, a directory, or a dangling link where
 * a file should be — makes that field null and never fails the listing. (Tests run as root, so
 * unreadable permissions would prove nothing.)
 */
class UnreadableAttributeTest {
    @TempDir
    Path tmp;

    static void replaceWithDirectory(Path file) throws IOException {
        Files.delete(file);
        Files.createDirectory(file);
    }

    static void replaceWithDanglingLink(Path file) throws IOException {
        Files.delete(file);
        Files.createSymbolicLink(file, file.resolveSibling("gone-" + file.getFileName()));
    }

    @Test
    void oddAttributesBecomeNullAndTheRestIsListed() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path dev = h.device(WS_UNKNOWN).dir();
        replaceWithDirectory(dev.resolve("vendor"));
        replaceWithDanglingLink(dev.resolve("revision"));
        Files.delete(dev.resolve("class"));
        replaceWithDirectory(dev.resolve("numa_node"));
        replaceWithDanglingLink(dev.resolve("subsystem_device"));
        Files.delete(dev.resolve("config"));
        Path gpu = h.device(WS_GPU).dir();
        replaceWithDanglingLink(gpu.resolve("device"));
        Files.writeString(gpu.resolve("subsystem_vendor"), "garbage\n");

        Cli.Result r = Cli.exec("list", "--json", "--sysfs", h.sysfs().toString(), "--config-root",
                h.configRoot().toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.json()).hasSize(WS_ALL.size());
        JsonNode d = find(r.json(), WS_UNKNOWN);
        for (String f : new String[] {"vendorId", "revision", "classCode", "numaNode", "subsystemDeviceId",
            "vendorName", "deviceName", "className"}) {
            assertThat(d.get(f).isNull()).as(f).isTrue();
        }
        assertThat(d.get("deviceId").asText()).isEqualTo("a2b2");
        assertThat(d.get("subsystemVendorId").asText()).isEqualTo("8086");
        assertThat(d.get("iommuGroup").asInt()).isEqualTo(8);
        JsonNode g = find(r.json(), WS_GPU);
        assertThat(g.get("deviceId").isNull()).isTrue();
        assertThat(g.get("deviceName").isNull()).isTrue();
        assertThat(g.get("subsystemVendorId").isNull()).isTrue();
        assertThat(g.get("vendorName").asText()).isEqualTo("NVIDIA Corporation");

        for (String[] args : new String[][] {{"list"}, {"show", WS_UNKNOWN}, {"show", WS_UNKNOWN, "--json"},
            {"show", WS_GPU}, {"groups"}, {"groups", "--json"}}) {
            Cli.Result o = ShowGroupsCheckTest.on(h, args);
            assertThat(o.exitCode()).as(String.join(" ", args) + ": " + o.err()).isZero();
            assertThat(o.err()).isEmpty();
        }
        JsonNode shown = ShowGroupsCheckTest.json(h, "show", WS_UNKNOWN, "--json");
        assertThat(shown.get("headerType").isNull()).as("no config space").isTrue();
        assertThat(ShowGroupsCheckTest.on(h, "show", WS_UNKNOWN).out()).as("no class either: nothing to go by")
                .containsPattern("\n  Header: +unknown \\(config unreadable\\)\n")
                .containsPattern("\n  Subsystem: +\\[8086:\\?{4}\\]\n").doesNotContain("null");
    }

    @Test
    void aBridgeWhoseConfigCannotBeReadIsStillABridgeByItsClass() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        // bound to a driver: as an endpoint it would then block its group (the e1000 would need --with-group)
        Path drv = Files.createDirectories(h.sysfs().resolve("bus/pci/drivers/shpchp"));
        org.pcipass.testing.Fs.link(h.device(WS_PCI_BRIDGE).dir().resolve("driver"), drv);
        JsonNode before = find(Cli.exec("list", "--json", "--sysfs", h.sysfs().toString(), "--config-root",
                h.configRoot().toString()).json(), WS_E1000);
        assertThat(before.get("reasons").toString()).doesNotContain(WS_PCI_BRIDGE);
        Files.delete(h.device(WS_PCI_BRIDGE).dir().resolve("config"));

        JsonNode list = Cli.exec("list", "--json", "--sysfs", h.sysfs().toString(), "--config-root",
                h.configRoot().toString()).json();
        JsonNode bridge = find(list, WS_PCI_BRIDGE);
        assertThat(bridge.get("verdict").asText()).isEqualTo("not-endpoint");
        assertThat(bridge.get("reasons").get(0).asText())
                .isEqualTo("PCI-to-PCI bridge (class 0604; config unreadable): stays with the host");
        JsonNode e1000 = find(list, WS_E1000);
        assertThat(e1000.get("verdict").asText()).as("the bridge does not block its group")
                .isEqualTo(before.get("verdict").asText());
        assertThat(e1000.get("reasons")).isEqualTo(before.get("reasons"));
        JsonNode shown = ShowGroupsCheckTest.json(h, "show", WS_PCI_BRIDGE, "--json");
        assertThat(shown.get("headerType").isNull()).as("the header type itself stays unknown").isTrue();
        assertThat(ShowGroupsCheckTest.on(h, "show", WS_PCI_BRIDGE).out()).as("what its class says, as the verdict")
                .containsPattern("\n  Header: +bridge \\(class 0604; config unreadable\\)\n").doesNotContain("null");
        for (JsonNode g : ShowGroupsCheckTest.json(h, "groups", "--json")) {
            for (JsonNode m : g.get("members")) {
                if (m.get("address").asText().equals(WS_PCI_BRIDGE)) {
                    assertThat(m.get("bridge").asBoolean()).isTrue();
                    assertThat(g.get("blockers").toString()).doesNotContain(WS_PCI_BRIDGE);
                }
            }
        }
    }

    private static JsonNode find(JsonNode list, String address) {
        for (JsonNode d : list) {
            if (d.get("address").asText().equals(address)) {
                return d;
            }
        }
        throw new AssertionError(address + " not listed");
    }
}
