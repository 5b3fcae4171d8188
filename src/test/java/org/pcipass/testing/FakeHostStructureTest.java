package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key structure of each scenario, read the way the scanner will read it. */
class FakeHostStructureTest {
    @TempDir
    Path tmp;

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    static Path real(Path p) throws IOException {
        return p.toRealPath();
    }

    static byte[] config(FakeHost h, String addr) throws IOException {
        return Files.readAllBytes(h.sysfs().resolve("bus/pci/devices").resolve(addr).resolve("config"));
    }

    @Test
    void kvmWorkstation() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path sys = h.sysfs();
        Path dev = sys.resolve("bus/pci/devices");
        // every link is relative
        try (Stream<Path> s = Files.walk(sys)) {
            s.filter(Files::isSymbolicLink).forEach(l -> {
                try {
                    assertThat(Files.readSymbolicLink(l).isAbsolute()).as(l.toString()).isFalse();
                    assertThat(Files.exists(l)).as("dangling " + l).isTrue();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        // block: partitions resolve below the NVMe function; mountinfo's MAJ:MIN lead there too
        assertThat(real(sys.resolve("class/block/nvme0n1p2")).toString()).contains("0000:3d:00.0")
                .endsWith("nvme/nvme0/nvme0n1/nvme0n1p2");
        assertThat(real(sys.resolve("dev/block/259:2"))).isEqualTo(real(sys.resolve("class/block/nvme0n1p2")));
        assertThat(read(sys.resolve("class/block/nvme0n1p2/dev"))).isEqualTo("259:2\n");
        assertThat(read(h.configRoot().resolve("proc/self/mountinfo")))
                .contains("21 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw")
                .contains(" 259:1 / /boot/efi ");
        assertThat(real(sys.resolve("class/block/dm-0/slaves/nvme0n1p3")))
                .isEqualTo(real(sys.resolve("class/block/nvme0n1p3")));
        assertThat(real(sys.resolve("class/block/sda1")).toString())
                .contains("0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1");
        assertThat(read(h.configRoot().resolve("proc/swaps"))).contains("/dev/sda1").contains("partition");
        assertThat(real(sys.resolve("class/block/vda")).toString()).contains("0000:00:05.0/virtio1/block/vda");
        // network: default route on br0, whose lower device hangs below 09:00.0
        assertThat(read(h.configRoot().resolve("proc/net/route")).lines())
                .anyMatch(l -> l.startsWith("br0\t00000000\t0101A8C0\t0003\t"));
        assertThat(real(sys.resolve("class/net/br0/lower_enp9s0")).toString()).contains("0000:09:00.0/net/enp9s0");
        assertThat(real(sys.resolve("class/net/br0/brif/enp9s0"))).isEqualTo(real(sys.resolve("class/net/enp9s0/brport")));
        assertThat(real(sys.resolve("class/net/enp9s0/upper_br0"))).isEqualTo(real(sys.resolve("class/net/br0")));
        // console
        assertThat(real(sys.resolve("class/graphics/fb0/device"))).isEqualTo(real(dev.resolve(HostTrees.WS_IGPU)));
        assertThat(real(sys.resolve("class/drm/card0/device"))).isEqualTo(real(dev.resolve(HostTrees.WS_IGPU)));
        assertThat(read(dev.resolve(HostTrees.WS_IGPU).resolve("boot_vga"))).isEqualTo("1\n");
        assertThat(read(dev.resolve(HostTrees.WS_GPU).resolve("boot_vga"))).isEqualTo("0\n");
        assertThat(dev.resolve(HostTrees.WS_NVME).resolve("boot_vga")).doesNotExist();
        // nesting and driver links
        assertThat(real(dev.resolve(HostTrees.WS_E1000)).toString())
                .endsWith("devices/pci0000:00/0000:00:1c.0/0000:05:00.0/0000:06:00.0");
        assertThat(Files.readSymbolicLink(dev.resolve(HostTrees.WS_E1000).resolve("driver")))
                .isEqualTo(Path.of("../../../../../bus/pci/drivers/e1000"));
        assertThat(dev.resolve(HostTrees.WS_PCI_BRIDGE).resolve("driver")).doesNotExist();
        assertThat(config(h, HostTrees.WS_PCI_BRIDGE)[0x0e] & 0x7f).isEqualTo(1);
        assertThat(config(h, HostTrees.WS_PCI_BRIDGE)[0x19]).isEqualTo((byte) 0x06);
        assertThat(config(h, HostTrees.WS_GPU)[0x0e] & 0xff).isEqualTo(0x80);
        // modules: modular bnx2 live; built-in pcieport without initstate, listed in modules.builtin
        Path drivers = sys.resolve("bus/pci/drivers");
        assertThat(real(drivers.resolve("bnx2/module"))).isEqualTo(real(sys.resolve("module/bnx2")));
        assertThat(read(sys.resolve("module/bnx2/initstate"))).isEqualTo("live\n");
        assertThat(drivers.resolve("pcieport/module")).doesNotExist();
        assertThat(sys.resolve("module/pcieport")).isDirectory();
        assertThat(sys.resolve("module/pcieport/initstate")).doesNotExist();
        Path mods = h.configRoot().resolve("lib/modules").resolve(h.kernelRelease());
        assertThat(read(mods.resolve("modules.builtin"))).contains("pcieport.ko\n");
        assertThat(mods.resolve("kernel/drivers/vfio/pci/vfio-pci.ko")).exists();
        assertThat(read(drivers.resolve("i801_smbus/module/initstate"))).isEqualTo("live\n");
        assertThat(real(drivers.resolve("i801_smbus/module")).getFileName().toString()).isEqualTo("i2c_i801");
        // IOMMU: every device in exactly one group; groups as documented
        assertThat(sys.resolve("class/iommu/dmar0")).exists();
        Map<String, Integer> seen = new HashMap<>();
        try (Stream<Path> groups = Files.list(sys.resolve("kernel/iommu_groups"))) {
            for (Path g : groups.toList()) {
                try (Stream<Path> members = Files.list(g.resolve("devices"))) {
                    for (Path m : members.toList()) {
                        assertThat(seen.put(m.getFileName().toString(), Integer.parseInt(g.getFileName().toString())))
                                .as("in two groups: " + m).isNull();
                    }
                }
            }
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(HostTrees.WS_ALL);
        assertThat(seen.get(HostTrees.WS_GPU)).isEqualTo(seen.get(HostTrees.WS_GPU_AUDIO));
        assertThat(seen.get(HostTrees.WS_LPC)).isEqualTo(seen.get(HostTrees.WS_SMBUS));
        assertThat(seen.get(HostTrees.WS_IGPU)).isEqualTo(seen.get(HostTrees.WS_GMM));
        assertThat(List.of(seen.get(HostTrees.WS_E1000), seen.get(HostTrees.WS_RTL8139)))
                .containsOnly(seen.get(HostTrees.WS_PCI_BRIDGE));
        assertThat(real(dev.resolve(HostTrees.WS_SPARE_NIC).resolve("iommu_group")).getFileName().toString())
                .isEqualTo("15");
        assertThat(h.configRoot().resolve("dev/vfio/15")).exists();
        assertThat(h.configRoot().resolve("dev/vfio/7")).exists();
        assertThat(h.configRoot().resolve("dev/kvm")).exists();
        // SR-IOV: VF config says ffff, attributes carry the ids
        Path vf = dev.resolve(HostTrees.WS_VF0);
        assertThat(read(vf.resolve("vendor"))).isEqualTo("0x8086\n");
        assertThat(read(vf.resolve("device"))).isEqualTo("0x1520\n");
        assertThat(config(h, HostTrees.WS_VF0)).startsWith((byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff);
        assertThat(Files.readSymbolicLink(vf.resolve("physfn"))).isEqualTo(Path.of("../0000:03:00.0"));
        Path pf = dev.resolve(HostTrees.WS_SRIOV_PF);
        assertThat(Files.readSymbolicLink(pf.resolve("virtfn1"))).isEqualTo(Path.of("../0000:03:10.4"));
        assertThat(read(pf.resolve("sriov_numvfs"))).isEqualTo("2\n");
        assertThat(read(pf.resolve("sriov_totalvfs"))).isEqualTo("7\n");
        assertThat(read(pf.resolve("reset_method"))).isEqualTo("flr bus\n");
        assertThat(read(pf.resolve("current_link_speed"))).isEqualTo("5.0 GT/s PCIe\n");
        // attribute formats
        Path nvme = dev.resolve(HostTrees.WS_NVME);
        assertThat(read(nvme.resolve("class"))).isEqualTo("0x010802\n");
        assertThat(read(nvme.resolve("revision"))).isEqualTo("0x00\n");
        assertThat(read(nvme.resolve("driver_override"))).isEqualTo("(null)\n");
        assertThat(read(nvme.resolve("numa_node"))).isEqualTo("-1\n");
        assertThat(read(nvme.resolve("modalias"))).isEqualTo("pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02\n");
        assertThat(read(pf.resolve("numa_node"))).isEqualTo("0\n");
    }

    @Test
    void kvmNoIommu() throws IOException {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        Path sys = h.sysfs();
        assertThat(real(sys.resolve("class/block/vda")).toString()).contains("0000:00:02.0/virtio1/block/vda");
        assertThat(real(sys.resolve("dev/block/254:0"))).isEqualTo(real(sys.resolve("class/block/vda")));
        assertThat(real(sys.resolve("class/net/eth0")).toString()).contains("0000:00:03.0/virtio2/net/eth0");
        assertThat(read(h.configRoot().resolve("proc/net/route"))).contains("eth0\t00000000\t010200C0\t0003\t");
        assertThat(sys.resolve("kernel/iommu_groups")).isEmptyDirectory();
        assertThat(sys.resolve("class/iommu")).isEmptyDirectory();
        assertThat(h.configRoot().resolve("dev/kvm")).exists();
        assertThat(h.configRoot().resolve("dev/vfio")).doesNotExist();
        assertThat(Files.readAllBytes(sys.resolve("bus/virtio/devices/virtio3/mount_tag")))
                .isEqualTo("hostshare\0".getBytes(StandardCharsets.US_ASCII));
        assertThat(real(sys.resolve("bus/virtio/devices/virtio3")).getParent().getFileName().toString())
                .isEqualTo(HostTrees.NI_9P);
        assertThat(read(h.configRoot().resolve("proc/self/mountinfo"))).contains(" 0:45 / /mnt/share ")
                .contains(" - 9p hostshare ");
        assertThat(read(h.configRoot().resolve("proc/cpuinfo"))).contains("vendor_id\t: GenuineIntel");
        assertThat(sys.resolve("module/virtio_pci/initstate")).doesNotExist();
        assertThat(h.configRoot().resolve("lib/modules/" + h.kernelRelease() + "/kernel/drivers/vfio/pci/vfio-pci.ko"))
                .exists();
        assertThat(sys.resolve("bus/pci/drivers/vfio-pci")).doesNotExist();
    }

    @Test
    void xenDom0() throws IOException {
        FakeHost h = HostTrees.xenDom0(tmp);
        Path sys = h.sysfs();
        assertThat(read(sys.resolve("hypervisor/type"))).isEqualTo("xen\n");
        assertThat(read(h.configRoot().resolve("proc/xen/capabilities"))).isEqualTo("control_d\n");
        assertThat(sys.resolve("kernel/iommu_groups")).isEmptyDirectory();
        Path pciback = sys.resolve("bus/pci/drivers/pciback");
        assertThat(real(pciback.resolve("module")).getFileName().toString()).isEqualTo("xen_pciback");
        assertThat(read(pciback.resolve("slots"))).isEqualTo(HostTrees.XEN_PCIBACK + "\n");
        assertThat(pciback.resolve("remove_slot")).exists();
        assertThat(real(pciback.resolve(HostTrees.XEN_PCIBACK)))
                .isEqualTo(real(sys.resolve("bus/pci/devices").resolve(HostTrees.XEN_PCIBACK)));
        assertThat(h.configRoot().resolve("lib/modules/4.19.0+1/kernel/drivers/xen/xen-pciback/xen-pciback.ko")).exists();
        assertThat(real(sys.resolve("class/block/sda2")).toString()).contains("0000:00:1f.2");
        assertThat(real(sys.resolve("class/net/xenbr0/lower_eth0")).toString()).contains("0000:00:19.0/net/eth0");
        assertThat(real(sys.resolve("class/net/eth1")).toString()).contains("0000:09:00.0");
    }

    @Test
    void rhel5Root() throws IOException {
        FakeHost h = HostTrees.rhel5Root(tmp);
        Path root = h.configRoot();
        assertThat(read(root.resolve("etc/redhat-release")))
                .isEqualTo("Red Hat Enterprise Linux Server release 5.3 (Tikanga)\n");
        assertThat(read(root.resolve("etc/modprobe.conf"))).contains("alias eth1 bnx2\n");
        assertThat(root.resolve("etc/os-release")).doesNotExist();
        assertThat(read(root.resolve("proc/sys/kernel/osrelease"))).isEqualTo("2.6.18-128.el5xen\n");
        assertThat(root.resolve("lib/modules/2.6.18-128.el5xen/kernel/drivers/xen/pciback/pciback.ko")).exists();
        assertThat(read(h.sysfs().resolve("bus/pci/devices").resolve(HostTrees.R5_BNX2).resolve("vendor")))
                .isEqualTo("0x14e4\n");
    }
}
