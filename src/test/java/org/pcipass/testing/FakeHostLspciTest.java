package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fake trees are real enough for the real {@code lspci}: it lists exactly the scenario's
 * devices, with the ids, class, revision, subsystem, driver and IOMMU group the builder wrote,
 * and complains about nothing (except the harmless libkmod line).
 */
class FakeHostLspciTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needLspci() {
        Lspci.require();
    }

    /** Every record agrees with what the builder wrote; no unexpected stderr. */
    static Lspci.Result checkScenario(FakeHost host, List<String> expected) throws Exception {
        Lspci.Result l = Lspci.run(host.sysfs());
        assertThat(new ArrayList<>(l.records().keySet())).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(host.addresses()).containsExactlyInAnyOrderElementsOf(expected);
        for (String line : l.stderr().split("\n")) {
            if (!line.isBlank()) {
                assertThat(line).startsWith("lspci: Unable to load libkmod resources");
            }
        }
        SoftAssertions soft = new SoftAssertions();
        for (PciDev d : host.devices()) {
            Map<String, String> r = l.get(d.address());
            Function<String, String> f = k -> r.get(k);
            String a = d.address() + " ";
            soft.assertThat(f.apply("Vendor")).as(a + "Vendor").endsWith(String.format("[%04x]", d.vendor()));
            soft.assertThat(f.apply("Device")).as(a + "Device").endsWith(String.format("[%04x]", d.device()));
            soft.assertThat(f.apply("Class")).as(a + "Class").endsWith(String.format("[%04x]", d.pciClass() >>> 8));
            soft.assertThat(f.apply("ProgIf")).as(a + "ProgIf").isEqualTo(String.format("%02x", d.pciClass() & 0xff));
            soft.assertThat(f.apply("Rev")).as(a + "Rev")
                    .isEqualTo(d.revision() == 0 ? null : String.format("%02x", d.revision()));
            boolean sub = d.subsystemVendor() != 0 && d.subsystemVendor() != 0xffff;
            soft.assertThat(f.apply("SVendor")).as(a + "SVendor")
                    .isEqualTo(sub ? r.get("SVendor") : null);
            if (sub) {
                soft.assertThat(f.apply("SVendor")).as(a + "SVendor").endsWith(String.format("[%04x]", d.subsystemVendor()));
                soft.assertThat(f.apply("SDevice")).as(a + "SDevice").endsWith(String.format("[%04x]", d.subsystemDevice()));
            }
            soft.assertThat(f.apply("Driver")).as(a + "Driver").isEqualTo(d.driver());
            soft.assertThat(f.apply("IOMMUGroup")).as(a + "IOMMUGroup")
                    .isEqualTo(d.iommuGroup() == null ? null : d.iommuGroup().toString());
            soft.assertThat(f.apply("NUMANode")).as(a + "NUMANode")
                    .isEqualTo(d.numaNode() < 0 ? null : Integer.toString(d.numaNode()));
        }
        soft.assertAll();
        return l;
    }

    @Test
    void kvmWorkstation() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Lspci.Result l = checkScenario(h, HostTrees.WS_ALL);
        assertThat(l.get(HostTrees.WS_DEFAULT_NIC)).containsEntry("Vendor", "Broadcom Inc. and subsidiaries [14e4]")
                .containsEntry("Device", "NetXtreme II BCM5709 Gigabit Ethernet [1639]")
                .containsEntry("SDevice", "PowerEdge R710 BCM5709 Gigabit Ethernet [0235]")
                .containsEntry("Class", "Ethernet controller [0200]").containsEntry("Rev", "20")
                .containsEntry("Driver", "bnx2").containsEntry("IOMMUGroup", "19");
        assertThat(l.get(HostTrees.WS_UNKNOWN)).containsEntry("Vendor", "Intel Corporation [8086]")
                .containsEntry("Device", "Device [a2b2]");
        assertThat(l.get(HostTrees.WS_VF1))
                .containsEntry("Device", "I350 Ethernet Controller Virtual Function [1520]")
                .containsEntry("Driver", "vfio-pci").containsEntry("IOMMUGroup", "7");
        assertThat(l.get(HostTrees.WS_PCI_BRIDGE)).containsEntry("Class", "PCI bridge [0604]")
                .doesNotContainKey("Driver").containsEntry("IOMMUGroup", "17");
        assertThat(l.get(HostTrees.WS_LPC)).containsEntry("Class", "ISA bridge [0601]").containsEntry("Driver", "lpc_ich");
        assertThat(l.get(HostTrees.WS_SMBUS)).containsEntry("Class", "SMBus [0c05]").containsEntry("Driver", "i801_smbus");
        assertThat(l.get(HostTrees.WS_NVME)).containsEntry("Class", "Non-Volatile memory controller [0108]")
                .containsEntry("ProgIf", "02").doesNotContainKey("Rev");
        assertThat(l.get(HostTrees.WS_GPU_AUDIO)).containsEntry("Class", "Audio device [0403]")
                .containsEntry("IOMMUGroup", "13");
        assertThat(l.get(HostTrees.WS_HOST_BRIDGE)).containsEntry("Class", "Host bridge [0600]")
                .doesNotContainKey("NUMANode");
        assertThat(l.get(HostTrees.WS_SRIOV_PF)).containsEntry("NUMANode", "0");
    }

    @Test
    void kvmNoIommu() throws Exception {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        Lspci.Result l = checkScenario(h, HostTrees.NI_ALL);
        assertThat(l.records().values()).allSatisfy(r -> assertThat(r).doesNotContainKey("IOMMUGroup"));
        assertThat(l.get(HostTrees.NI_HOST_BRIDGE)).containsEntry("Device", "Device [0d57]");
        assertThat(l.get(HostTrees.NI_ROOT_DISK)).containsEntry("Device", "Virtio 1.0 block device [1042]")
                .containsEntry("Driver", "virtio-pci");
        assertThat(l.get(HostTrees.NI_SPARE)).containsEntry("Driver", "e1000e");
    }

    @Test
    void xenDom0() throws Exception {
        FakeHost h = HostTrees.xenDom0(tmp);
        Lspci.Result l = checkScenario(h, HostTrees.XEN_ALL);
        assertThat(l.records().values()).allSatisfy(r -> assertThat(r).doesNotContainKey("IOMMUGroup"));
        assertThat(l.get(HostTrees.XEN_PCIBACK)).containsEntry("Driver", "pciback")
                .containsEntry("Device", "82546EB Gigabit Ethernet Controller (Copper) [1010]");
        assertThat(l.get(HostTrees.XEN_PCI_BRIDGE)).containsEntry("ProgIf", "01").doesNotContainKey("Driver");
    }

    @Test
    void rhel5Root() throws Exception {
        FakeHost h = HostTrees.rhel5Root(tmp);
        Lspci.Result l = checkScenario(h, HostTrees.R5_ALL);
        assertThat(l.get(HostTrees.R5_BNX2)).containsEntry("Driver", "bnx2");
    }
}
