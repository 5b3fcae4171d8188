package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.Lspci;

/**
 * {@code pcipass list --json} agrees with the real lspci, reading the same tree and the same
 * pci.ids, on every field the two share: address, ids, subsystem ids, class and prog-if,
 * revision, driver, IOMMU group, NUMA node, and the vendor, device and class names.
 */
class ListMatchesLspciTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needLspci() {
        Lspci.require();
    }

    @Test
    void onAKvmWorkstationWithAnIommuSwitchBridgeSriovGpuNvmeSataAndVirtio() throws Exception {
        agree(HostTrees.kvmWorkstation(tmp));
    }

    @Test
    void onAKvmHostWithoutAnIommu() throws Exception {
        agree(HostTrees.kvmNoIommu(tmp));
    }

    @Test
    void onAXenDom0() throws Exception {
        agree(HostTrees.xenDom0(tmp));
    }

    @Test
    void onARhel5Dom0() throws Exception {
        agree(HostTrees.rhel5Root(tmp));
    }

    @Test
    void onThisMachinesOwnSys() throws Exception {
        Path sys = Path.of("/sys");
        Assumptions.assumeTrue(Files.isDirectory(sys.resolve("bus/pci/devices")) || Cli.CI, "no PCI bus here");
        compare(sys, Path.of("/"));
    }

    private static void agree(FakeHost host) throws Exception {
        compare(host.sysfs(), host.configRoot());
    }

    static void compare(Path sysfs, Path configRoot) throws Exception {
        Lspci.Result oracle = Lspci.run(sysfs);
        Cli.Result r = Cli.exec("list", "--json", "--sysfs", sysfs.toString(), "--config-root", configRoot.toString(),
                "--pci-ids", Lspci.PCI_IDS.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> listed = new ArrayList<>();
        r.json().forEach(d -> listed.add(d.get("address").asText()));
        assertThat(listed).as("addresses, in lspci's order").containsExactlyElementsOf(oracle.addresses());
        SoftAssertions soft = new SoftAssertions();
        for (JsonNode d : r.json()) {
            fields(soft, d, oracle.get(d.get("address").asText()));
        }
        soft.assertAll();
    }

    private static void fields(SoftAssertions soft, JsonNode d, Map<String, String> rec) {
        String a = d.get("address").asText() + " ";
        Function<String, String> text = k -> d.get(k).isNull() ? null : d.get(k).asText();
        soft.assertThat(text.apply("vendorId")).as(a + "vendorId").isEqualTo(Lspci.id(rec.get("Vendor")));
        soft.assertThat(text.apply("deviceId")).as(a + "deviceId").isEqualTo(Lspci.id(rec.get("Device")));
        if (rec.containsKey("SVendor")) {
            soft.assertThat(text.apply("subsystemVendorId")).as(a + "subsystemVendorId")
                    .isEqualTo(Lspci.id(rec.get("SVendor")));
            soft.assertThat(text.apply("subsystemDeviceId")).as(a + "subsystemDeviceId")
                    .isEqualTo(Lspci.id(rec.get("SDevice")));
        } else {
            // lspci leaves the subsystem out when its vendor is 0000 or ffff (or the files are absent)
            soft.assertThat(text.apply("subsystemVendorId")).as(a + "subsystemVendorId").isIn("0000", "ffff", null);
        }
        String cls = text.apply("classCode");
        soft.assertThat(cls.substring(0, 4)).as(a + "class").isEqualTo(Lspci.id(rec.get("Class")));
        soft.assertThat(cls.substring(4)).as(a + "prog-if").isEqualTo(rec.getOrDefault("ProgIf", "00"));
        soft.assertThat(text.apply("revision")).as(a + "revision").isEqualTo(rec.getOrDefault("Rev", "00"));
        soft.assertThat(text.apply("driver")).as(a + "driver").isEqualTo(rec.get("Driver"));
        soft.assertThat(text.apply("iommuGroup")).as(a + "iommuGroup").isEqualTo(rec.get("IOMMUGroup"));
        soft.assertThat(text.apply("numaNode")).as(a + "numaNode").isEqualTo(rec.get("NUMANode"));
        // lspci prints a generic word where pci.ids has no name
        soft.assertThat(orElse(text.apply("vendorName"), "Vendor")).as(a + "vendorName")
                .isEqualTo(Lspci.name(rec.get("Vendor")));
        soft.assertThat(orElse(text.apply("deviceName"), "Device")).as(a + "deviceName")
                .isEqualTo(Lspci.name(rec.get("Device")));
        soft.assertThat(orElse(text.apply("className"), "Class")).as(a + "className")
                .isEqualTo(Lspci.name(rec.get("Class")));
    }

    private static String orElse(String value, String generic) {
        return value == null ? generic : value;
    }
}
