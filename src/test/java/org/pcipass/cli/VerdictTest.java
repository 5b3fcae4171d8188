package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;

/** DESIGN.md's verdicts, first match wins, with their reasons, on the fake hosts of {@link HostTrees}. */
class VerdictTest {
    @TempDir
    Path tmp;

    /** address → [verdict, reasons...] from {@code pcipass list --json}. */
    static Map<String, List<String>> verdicts(FakeHost h) {
        Cli.Result r = Cli.exec("list", "--json", "--sysfs", h.sysfs().toString(), "--config-root",
                h.configRoot().toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (JsonNode d : r.json()) {
            List<String> v = new ArrayList<>();
            v.add(d.get("verdict").asText());
            d.get("reasons").forEach(x -> v.add(x.asText()));
            out.put(d.get("address").asText(), v);
        }
        return out;
    }

    @Test
    void workstationVerdictsForEveryDevice() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        Map<String, String> expected = new LinkedHashMap<>();
        for (String a : List.of(WS_HOST_BRIDGE, WS_ROOT_PORT, WS_SWITCH_UP, WS_SWITCH_DOWN0, WS_SWITCH_DOWN1,
                WS_GPU_PORT, WS_SPARE_PORT, WS_PCI_PORT, WS_PCI_BRIDGE, WS_NIC_PORT, WS_NVME_PORT, WS_LPC)) {
            expected.put(a, "not-endpoint");
        }
        for (String a : List.of(WS_IGPU, WS_SATA, WS_DEFAULT_NIC, WS_NVME, WS_SRIOV_PF)) {
            expected.put(a, "host-critical");
        }
        expected.put(WS_GMM, "group-blocked");
        expected.put(WS_SMBUS, "group-blocked");
        expected.put(WS_VF1, "ready");
        expected.put(WS_SPARE_NIC, "ready");
        for (String a : List.of(WS_VF0, WS_UNKNOWN, WS_VIRTIO_DISK, WS_GPU, WS_GPU_AUDIO, WS_E1000,
                WS_RTL8139)) {
            expected.put(a, "assignable");
        }
        assertThat(expected.keySet()).containsExactlyInAnyOrderElementsOf(WS_ALL);
        Map<String, String> actual = new LinkedHashMap<>();
        v.forEach((a, list) -> actual.put(a, list.get(0)));
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void theNvmeHoldingRootThroughAPartitionIsHostCriticalAndNamesTheMount() {
        List<String> v = verdicts(HostTrees.kvmWorkstation(tmp)).get(WS_NVME);
        assertThat(v).as("/boot/efi is no system filesystem of DESIGN.md's (/, /boot, /usr, /var)")
                .containsExactly("host-critical", "carries the root filesystem (/)");
    }

    @Test
    void theDefaultRouteNicBehindABridgeIsHostCriticalAndNamesTheInterface() {
        assertThat(verdicts(HostTrees.kvmWorkstation(tmp)).get(WS_DEFAULT_NIC))
                .containsExactly("host-critical", "carries the default route (interface enp9s0, through br0)");
    }

    @Test
    void theBootVgaCardIsHostCriticalAndItsGroupSiblingIsGroupBlocked() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        assertThat(v.get(WS_IGPU)).containsExactly("host-critical", "is the boot VGA console (boot_vga=1)",
                "drives the console framebuffer (fb0)");
        assertThat(v.get(WS_GMM)).containsExactly("group-blocked",
                "IOMMU group 9 also holds host-critical 0000:00:02.0 (is the boot VGA console (boot_vga=1))");
    }

    @Test
    void groupSiblingsOfTheRootNvmeAndTheDefaultRouteNicAreGroupBlocked() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        // a second function beside each, in its IOMMU group (as on boards whose ACS does not split them)
        h.pci("0000:3d:00.1").parent(h.device(WS_NVME).parent()).ids(0x144d, 0xa808).pciClass(0x010802)
                .driver("nvme", "nvme").iommuGroup(21).build();
        h.pci("0000:09:00.1").parent(h.device(WS_DEFAULT_NIC).parent()).ids(0x14e4, 0x1639).pciClass(0x020000)
                .iommuGroup(19).build();
        Map<String, List<String>> v = verdicts(h);
        assertThat(v.get("0000:3d:00.1")).containsExactly("group-blocked",
                "IOMMU group 21 also holds host-critical 0000:3d:00.0 (carries the root filesystem (/))");
        assertThat(v.get("0000:09:00.1")).as("even without a driver").containsExactly("group-blocked",
                "IOMMU group 19 also holds host-critical 0000:09:00.0 (carries the default route (interface enp9s0,"
                        + " through br0))");
        assertThat(v.get(WS_NVME).get(0)).isEqualTo("host-critical");
    }

    @Test
    void aCardBusBridgeIsNoEndpoint() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        h.pci("0000:00:1e.0").ids(0x1217, 0x7134).pciClass(0x060700).headerType(2).driver("yenta_cardbus", "yenta_socket")
                .iommuGroup(30).build();
        assertThat(verdicts(h).get("0000:00:1e.0")).containsExactly("not-endpoint",
                "CardBus bridge (header type 2): stays with the host");
    }

    @Test
    void aCardThatDrivesTheConsoleFramebufferIsHostCriticalWithoutBootVga() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        h.usage().console(h.device(WS_GPU), "fb1", "card1");
        assertThat(verdicts(h).get(WS_GPU)).containsExactly("assignable",
                "needs --with-group: shares group 13 with 0000:0a:00.1 (driver snd_hda_intel)");
        Fs.link(h.sysfs().resolve("class/graphics/fb0"), h.device(WS_GPU).dir().resolve("graphics/fb1"));
        Fs.link(h.sysfs().resolve("class/graphics/fb1"), h.device(WS_IGPU).dir().resolve("graphics/fb0"));
        Map<String, List<String>> v = verdicts(h);
        assertThat(v.get(WS_GPU)).containsExactly("host-critical", "drives the console framebuffer (fb0)");
        assertThat(v.get(WS_GPU_AUDIO)).containsExactly("group-blocked",
                "IOMMU group 13 also holds host-critical 0000:0a:00.0 (drives the console framebuffer (fb0))");
    }

    @Test
    void aSataDiskWithActiveSwapMakesItsAhciControllerHostCritical() {
        assertThat(verdicts(HostTrees.kvmWorkstation(tmp)).get(WS_SATA))
                .containsExactly("host-critical", "holds active swap (/dev/sda1)");
    }

    @Test
    void aBoundLpcBridgeBlocksItsGroup() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        assertThat(v.get(WS_LPC)).containsExactly("not-endpoint", "ISA/LPC bridge (class 0601): never handed to a guest");
        assertThat(v.get(WS_SMBUS)).containsExactly("group-blocked",
                "IOMMU group 22 also holds ISA/LPC bridge 0000:00:1f.0 bound to driver lpc_ich");
    }

    @Test
    void bridgesAndHostBridgesAreNotEndpoints() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        assertThat(v.get(WS_HOST_BRIDGE)).containsExactly("not-endpoint",
                "host bridge (class 0600): never handed to a guest");
        assertThat(v.get(WS_PCI_BRIDGE)).containsExactly("not-endpoint",
                "PCI-to-PCI bridge (header type 1): stays with the host");
        assertThat(v.get(WS_SWITCH_UP).get(0)).isEqualTo("not-endpoint");
    }

    @Test
    void devicesWhoseGroupSiblingsAreOnHostDriversNeedWithGroup() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        assertThat(v.get(WS_GPU)).containsExactly("assignable",
                "needs --with-group: shares group 13 with 0000:0a:00.1 (driver snd_hda_intel)");
        // the PCI-to-PCI bridge in group 17 does not count: it stays where it is
        assertThat(v.get(WS_E1000)).containsExactly("assignable",
                "needs --with-group: shares group 17 with 0000:06:01.0 (driver 8139cp)");
        assertThat(v.get(WS_RTL8139)).containsExactly("assignable",
                "needs --with-group: shares group 17 with 0000:06:00.0 (driver e1000)");
    }

    @Test
    void aDeviceOnVfioPciInAViableGroupIsReady() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        assertThat(v.get(WS_SPARE_NIC)).containsExactly("ready", "on vfio-pci; IOMMU group 15 is viable");
        assertThat(v.get(WS_VF1)).containsExactly("ready", "on vfio-pci; IOMMU group 7 is viable");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/boot", "/usr", "/var"})
    void aDiskHoldingASystemFilesystemIsHostCritical(String mountPoint) {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        h.rootfs().mount("254:0", mountPoint, "ext4", "/dev/vda");
        assertThat(verdicts(h).get(WS_VIRTIO_DISK))
                .containsExactly("host-critical", "carries a system filesystem (" + mountPoint + ")");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/boot/efi", "/srv", "/var/lib/libvirt"})
    void aDiskHoldingAnyOtherFilesystemIsAssignableWithANote(String mountPoint) {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        h.rootfs().mount("254:0", mountPoint, "ext4", "/dev/vda");
        assertThat(verdicts(h).get(WS_VIRTIO_DISK)).first().isEqualTo("assignable");
        assertThat(verdicts(h).get(WS_VIRTIO_DISK))
                .contains("in use by the host: vda mounted at " + mountPoint + " (ext4) (unmount it before hiding)");
    }

    @Test
    void aMountedDataDiskIsAssignableWithANote() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmWorkstation(tmp));
        assertThat(v.get(WS_VIRTIO_DISK)).containsExactly("assignable",
                "in use by the host: vda mounted at /data (xfs) (unmount it before hiding)");
        assertThat(v.get(WS_UNKNOWN)).containsExactly("assignable");
    }

    @Test
    void anSriovPfWithVfsEnabledIsHostCriticalAndBlocksItsGroupWhileItsVfsKeepTheirVerdicts() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        // a second port of the I350 in the PF's IOMMU group, as on boards whose ACS does not split them
        h.pci("0000:03:00.1").parent(h.device(WS_SRIOV_PF).parent()).ids(0x8086, 0x1521).pciClass(0x020000)
                .driver("igb", "igb").iommuGroup(5).build();
        Map<String, List<String>> v = verdicts(h);
        String reason = "2 SR-IOV VFs depend on it (disable them first: echo 0 >"
                + " /sys/bus/pci/devices/0000:03:00.0/sriov_numvfs)";
        assertThat(v.get(WS_SRIOV_PF)).containsExactly("host-critical", reason);
        assertThat(v.get("0000:03:00.1")).containsExactly("group-blocked",
                "IOMMU group 5 also holds host-critical 0000:03:00.0 (" + reason + ")");
        assertThat(v.get(WS_VF0)).containsExactly("assignable");
        assertThat(v.get(WS_VF1)).containsExactly("ready", "on vfio-pci; IOMMU group 7 is viable");
    }

    @Test
    void anSriovPfWithOneVfSaysSoInTheSingularAndOneWithoutVfsIsAssignable() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        var one = h.pci("0000:00:06.0").ids(0x8086, 0x1521).pciClass(0x020000).sriov(7).driver("igb", "igb")
                .iommuGroup(30).build();
        h.pci("0000:00:06.4").physfn(one).ids(0x8086, 0x1520).pciClass(0x020000).driver("igbvf", "igbvf")
                .iommuGroup(31).build();
        h.pci("0000:00:07.0").ids(0x8086, 0x1521).pciClass(0x020000).sriov(7).driver("igb", "igb").iommuGroup(32)
                .build();
        Map<String, List<String>> v = verdicts(h);
        assertThat(v.get("0000:00:06.0")).containsExactly("host-critical", "1 SR-IOV VF depends on it (disable it"
                + " first: echo 0 > /sys/bus/pci/devices/0000:00:06.0/sriov_numvfs)");
        assertThat(v.get("0000:00:07.0")).as("sriov_numvfs 0: no VF depends on it").containsExactly("assignable");
    }

    @Test
    void withoutAnIommuEveryOtherEndpointIsNoIommuWithTheFix() {
        Map<String, List<String>> v = verdicts(HostTrees.kvmNoIommu(tmp));
        assertThat(v.get(NI_HOST_BRIDGE).get(0)).isEqualTo("not-endpoint");
        assertThat(v.get(NI_ROOT_DISK)).containsExactly("host-critical", "carries the root filesystem (/)");
        assertThat(v.get(NI_NIC)).containsExactly("host-critical", "carries the default route (interface eth0)");
        for (String a : List.of(NI_SPARE, NI_9P)) {
            assertThat(v.get(a).get(0)).isEqualTo("no-iommu");
            assertThat(v.get(a).get(1)).contains("no active IOMMU").contains("intel_iommu=on");
        }
    }

    @Test
    void inAXenDom0NoIommuDoesNotApplyAndPciBackIsReady() {
        Map<String, List<String>> v = verdicts(HostTrees.xenDom0(tmp));
        String dma = "Xen dom0: a PV guest given this device can reach dom0 memory by DMA unless Xen's IOMMU is on"
                + " (see pcipass check)";
        assertThat(v.get(XEN_MGMT_NIC)).containsExactly("host-critical",
                "carries the default route (interface eth0, through xenbr0)");
        assertThat(v.get(XEN_SATA)).containsExactly("host-critical", "carries the root filesystem (/)",
                "carries a system filesystem (/boot)");
        assertThat(v.get(XEN_BNX2)).containsExactly("assignable", dma);
        assertThat(v.get(XEN_E1000_F0)).containsExactly("assignable", dma);
        assertThat(v.get(XEN_PCIBACK)).containsExactly("ready", "on pciback", dma);
        assertThat(v.get(XEN_PCI_BRIDGE).get(0)).isEqualTo("not-endpoint");
        assertThat(v.values()).noneMatch(l -> l.get(0).equals("no-iommu"));
    }
}
