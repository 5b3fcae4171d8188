package org.pcipass.testing;

import java.nio.file.Path;
import java.util.List;

/**
 * Named fake hosts for tests. Each method fills {@code dir} (see {@link FakeHost}) and returns the
 * host; the constants name the devices. Verdicts are those DESIGN.md's rules give (first match wins:
 * not-endpoint, host-critical, group-blocked, assigned, no-iommu, ready, assignable).
 * Ids are real pci.ids entries unless said otherwise.
 */
public final class HostTrees {
    private HostTrees() {
    }

    // ---- kvmWorkstation -------------------------------------------------------------------
    /** Host bridge 8086:3e30, class 060000, no driver, group 0. Verdict not-endpoint. */
    public static final String WS_HOST_BRIDGE = "0000:00:00.0";
    /** CPU root port 8086:1901 (header 1, pcieport built in), group 1, numa 0. not-endpoint. */
    public static final String WS_ROOT_PORT = "0000:00:01.0";
    /** PLX 10b5:8747 switch upstream port, group 2, numa 0. not-endpoint. */
    public static final String WS_SWITCH_UP = "0000:01:00.0";
    /** Switch downstream port (to bus 03), group 3. not-endpoint. */
    public static final String WS_SWITCH_DOWN0 = "0000:02:00.0";
    /** Switch downstream port (to bus 04), group 4. not-endpoint. */
    public static final String WS_SWITCH_DOWN1 = "0000:02:01.0";
    /** I350 SR-IOV PF 8086:1521 on igb, 2 of 7 VFs on, own group 5, numa 0, reset "flr bus". host-critical (its VFs). */
    public static final String WS_SRIOV_PF = "0000:03:00.0";
    /** I350 VF 8086:1520 on igbvf (interface enp3s16), own group 6. assignable. */
    public static final String WS_VF0 = "0000:03:10.0";
    /** I350 VF 8086:1520 on vfio-pci, own group 7, dev/vfio/7. ready. */
    public static final String WS_VF1 = "0000:03:10.4";
    /** Intel 8086:a2b2 — an id UNKNOWN to pci.ids — class 120000, no driver, group 8. assignable. */
    public static final String WS_UNKNOWN = "0000:04:00.0";
    /** Boot VGA iGPU 8086:3e92 on i915, boot_vga 1, fb0 and card0, group 9. host-critical. */
    public static final String WS_IGPU = "0000:00:02.0";
    /** Gaussian Mixture Model 8086:1911, no driver, shares group 9 with the iGPU. group-blocked. */
    public static final String WS_GMM = "0000:00:08.0";
    /** virtio disk 1af4:1042 on virtio-pci, vda mounted at /data (not a system fs), group 10. assignable. */
    public static final String WS_VIRTIO_DISK = "0000:00:05.0";
    /** AHCI 8086:a352 on ahci, sda1 is active swap, group 11. host-critical. */
    public static final String WS_SATA = "0000:00:17.0";
    /** PCH root port 8086:a340 to bus 0a, group 12. not-endpoint. */
    public static final String WS_GPU_PORT = "0000:00:1b.0";
    /** GTX 1080 10de:1b80 on nouveau, boot_vga 0, group 13 with its audio. assignable, needs --with-group. */
    public static final String WS_GPU = "0000:0a:00.0";
    /** GTX 1080 audio 10de:10f0 on snd_hda_intel, group 13. assignable, needs --with-group. */
    public static final String WS_GPU_AUDIO = "0000:0a:00.1";
    /** PCH root port 8086:a32c to bus 0b, group 14. not-endpoint. */
    public static final String WS_SPARE_PORT = "0000:00:1b.4";
    /** 82599 8086:10fb on vfio-pci, alone in group 15, dev/vfio/15. ready. */
    public static final String WS_SPARE_NIC = "0000:0b:00.0";
    /** PCH root port 8086:a338 to buses 05-06, group 16. not-endpoint. */
    public static final String WS_PCI_PORT = "0000:00:1c.0";
    /** ASM1083 PCIe-to-PCI bridge 1b21:1080, header 1, NO driver, group 17. not-endpoint. */
    public static final String WS_PCI_BRIDGE = "0000:05:00.0";
    /** Conventional e1000 8086:100e on e1000 (enp6s0) behind the PCI bridge, group 17. assignable, needs --with-group. */
    public static final String WS_E1000 = "0000:06:00.0";
    /** Conventional RTL8139 10ec:8139 on 8139cp (enp6s1), group 17. assignable, needs --with-group. */
    public static final String WS_RTL8139 = "0000:06:01.0";
    /** PCH root port 8086:a33c to bus 09, group 18. not-endpoint. */
    public static final String WS_NIC_PORT = "0000:00:1c.4";
    /** BCM5709 14e4:1639 on bnx2 (module bnx2): enp9s0 is br0's port, default route on br0; group 19. host-critical. */
    public static final String WS_DEFAULT_NIC = "0000:09:00.0";
    /** PCH root port 8086:a330 to bus 3d, group 20. not-endpoint. */
    public static final String WS_NVME_PORT = "0000:00:1d.0";
    /** NVMe 144d:a808 on nvme: p1 at /boot/efi (259:1), p2 at / (259:2), p3 under dm-0 at /home; group 21. host-critical. */
    public static final String WS_NVME = "0000:3d:00.0";
    /** LPC 8086:a305 on lpc_ich, multi-function, group 22 with the SMBus. not-endpoint. */
    public static final String WS_LPC = "0000:00:1f.0";
    /** SMBus 8086:a323 on i801_smbus (module i2c_i801), group 22 with the bound LPC bridge. group-blocked. */
    public static final String WS_SMBUS = "0000:00:1f.4";

    /** Every address of {@link #kvmWorkstation}, sorted. */
    public static final List<String> WS_ALL = List.of(WS_HOST_BRIDGE, WS_ROOT_PORT, WS_IGPU, WS_VIRTIO_DISK,
            WS_GMM, WS_SATA, WS_GPU_PORT, WS_SPARE_PORT, WS_PCI_PORT, WS_NIC_PORT, WS_NVME_PORT, WS_LPC, WS_SMBUS,
            WS_SWITCH_UP, WS_SWITCH_DOWN0, WS_SWITCH_DOWN1, WS_SRIOV_PF, WS_VF0, WS_VF1, WS_UNKNOWN, WS_PCI_BRIDGE,
            WS_E1000, WS_RTL8139, WS_DEFAULT_NIC, WS_GPU, WS_GPU_AUDIO, WS_SPARE_NIC, WS_NVME);

    /**
     * A Coffee Lake KVM workstation with VT-d on ({@code intel_iommu=on}), Debian 12, dev/kvm,
     * class/iommu/dmar0, 23 IOMMU groups (every device in exactly one). vfio-pci is loaded
     * (module), pci-stub is installed but not loaded. See the WS_* constants for each device's
     * role and verdict. Topology: 00:01.0 → 01:00.0 (switch up) → 02:00.0 → 03:00.0 (+ VFs
     * 03:10.0, 03:10.4), 02:01.0 → 04:00.0; 00:1c.0 → 05:00.0 (PCI bridge) → 06:00.0, 06:01.0;
     * 00:1b.0 → 0a:00.0/.1; 00:1b.4 → 0b:00.0; 00:1c.4 → 09:00.0; 00:1d.0 → 3d:00.0.
     * Usage: / on nvme0n1p2 (259:2), /boot/efi on nvme0n1p1 (259:1), /home on dm-0 (253:0) over
     * nvme0n1p3, /data on vda (254:0), swap on sda1, default routes (v4 and v6) on br0 ⊃ enp9s0,
     * console fb0/card0 on 00:02.0. The nouveau GPU deliberately has no card1 (it is not a console).
     */
    public static FakeHost kvmWorkstation(Path dir) {
        FakeHost h = FakeHost.create(dir).kvm().withIommu();
        h.rootfs().debian12().installModule("pci_stub").cmdline("BOOT_IMAGE=/boot/vmlinuz-" + h.kernelRelease()
                + " root=UUID=5c0d8b8e-3f0a-4f44-9a4e-1b2c3d4e5f60 ro quiet intel_iommu=on iommu=pt");
        int msi = 0x1462;
        h.pci(WS_HOST_BRIDGE).ids(0x8086, 0x3e30).subsystem(msi, 0x7b17).pciClass(0x060000).rev(0x0d)
                .pcie(false).iommuGroup(0).build();
        PciDev rp = port(h, WS_ROOT_PORT, 0x1901, 0x01, 0x04, null, 1).numa(0).rev(0x0d)
                .link("8.0 GT/s PCIe", 16, "8.0 GT/s PCIe", 16).build();
        PciDev up = port(h, WS_SWITCH_UP, 0x8747, 0x02, 0x04, rp, 2).ids(0x10b5, 0x8747).rev(0xca).numa(0)
                .pciePortType(ConfigSpace.PCIE_SWITCH_UPSTREAM).build();
        PciDev dn0 = port(h, WS_SWITCH_DOWN0, 0x8747, 0x03, 0x03, up, 3).ids(0x10b5, 0x8747).rev(0xca).numa(0).build();
        PciDev dn1 = port(h, WS_SWITCH_DOWN1, 0x8747, 0x04, 0x04, up, 4).ids(0x10b5, 0x8747).rev(0xca).numa(0).build();
        PciDev pf = h.pci(WS_SRIOV_PF).parent(dn0).ids(0x8086, 0x1521).subsystem(0x8086, 0x00a2).pciClass(0x020000)
                .rev(0x01).numa(0).localCpulist("0-15").sriov(7).resetMethod("flr bus")
                .link("5.0 GT/s PCIe", 4, "5.0 GT/s PCIe", 4).driver("igb", "igb").iommuGroup(5).build();
        PciDev vf0 = h.pci(WS_VF0).physfn(pf).ids(0x8086, 0x1520).subsystem(0x8086, 0x00a2).pciClass(0x020000)
                .rev(0x01).numa(0).resetMethod("flr").driver("igbvf", "igbvf").iommuGroup(6).build();
        h.pci(WS_VF1).physfn(pf).ids(0x8086, 0x1520).subsystem(0x8086, 0x00a2).pciClass(0x020000).rev(0x01)
                .numa(0).resetMethod("flr").driver("vfio-pci", "vfio_pci").iommuGroup(7).build();
        h.pci(WS_UNKNOWN).parent(dn1).ids(0x8086, 0xa2b2).subsystem(0x8086, 0x0000).pciClass(0x120000).rev(0x01)
                .numa(0).link("8.0 GT/s PCIe", 4, "8.0 GT/s PCIe", 4).iommuGroup(8).build();
        PciDev igpu = h.pci(WS_IGPU).ids(0x8086, 0x3e92).subsystem(msi, 0x7b17).pciClass(0x030000).rev(0x02)
                .bootVga(true).resetMethod("flr bus").driver("i915", "i915").iommuGroup(9).build();
        h.pci(WS_GMM).ids(0x8086, 0x1911).subsystem(msi, 0x7b17).pciClass(0x088000).iommuGroup(9).build();
        PciDev vdisk = h.pci(WS_VIRTIO_DISK).ids(0x1af4, 0x1042).subsystem(0x1af4, 0x1100).pciClass(0x018000)
                .rev(0x01).driver("virtio-pci", "virtio_pci").iommuGroup(10).build();
        PciDev sata = h.pci(WS_SATA).ids(0x8086, 0xa352).subsystem(msi, 0x7b17).pciClass(0x010601).rev(0x10)
                .driver("ahci", "ahci").iommuGroup(11).build();
        PciDev gpuPort = port(h, WS_GPU_PORT, 0xa340, 0x0a, 0x0a, null, 12).rev(0xf0).build();
        h.pci(WS_GPU).parent(gpuPort).ids(0x10de, 0x1b80).subsystem(msi, 0x3362).pciClass(0x030000).rev(0xa1)
                .multiFunction(true).bootVga(false).resetMethod("bus").link("8.0 GT/s PCIe", 16, "8.0 GT/s PCIe", 16)
                .driver("nouveau", "nouveau").iommuGroup(13).build();
        h.pci(WS_GPU_AUDIO).parent(gpuPort).ids(0x10de, 0x10f0).subsystem(msi, 0x3362).pciClass(0x040300)
                .rev(0xa1).multiFunction(true).driver("snd_hda_intel", "snd_hda_intel").iommuGroup(13).build();
        PciDev sparePort = port(h, WS_SPARE_PORT, 0xa32c, 0x0b, 0x0b, null, 14).rev(0xf0).build();
        h.pci(WS_SPARE_NIC).parent(sparePort).ids(0x8086, 0x10fb).subsystem(0x8086, 0x0003).pciClass(0x020000)
                .rev(0x01).resetMethod("flr bus").link("5.0 GT/s PCIe", 8, "5.0 GT/s PCIe", 8)
                .driver("vfio-pci", "vfio_pci").iommuGroup(15).build();
        PciDev pciPort = port(h, WS_PCI_PORT, 0xa338, 0x05, 0x06, null, 16).rev(0xf0).build();
        PciDev bridge = h.pci(WS_PCI_BRIDGE).parent(pciPort).ids(0x1b21, 0x1080).pciClass(0x060400).rev(0x04)
                .headerType(1).buses(0x06, 0x06).pciePortType(ConfigSpace.PCIE_TO_PCI_BRIDGE).iommuGroup(17).build();
        PciDev e1000 = h.pci(WS_E1000).parent(bridge).ids(0x8086, 0x100e).subsystem(0x8086, 0x001e)
                .pciClass(0x020000).rev(0x02).pcie(false).driver("e1000", "e1000").iommuGroup(17).build();
        PciDev rtl = h.pci(WS_RTL8139).parent(bridge).ids(0x10ec, 0x8139).subsystem(0x10ec, 0x8139)
                .pciClass(0x020000).rev(0x10).pcie(false).driver("8139cp", "8139cp").iommuGroup(17).build();
        PciDev nicPort = port(h, WS_NIC_PORT, 0xa33c, 0x09, 0x09, null, 18).rev(0xf0).build();
        PciDev bnx2 = h.pci(WS_DEFAULT_NIC).parent(nicPort).ids(0x14e4, 0x1639).subsystem(0x1028, 0x0235)
                .pciClass(0x020000).rev(0x20).resetMethod("bus").link("5.0 GT/s PCIe", 4, "5.0 GT/s PCIe", 4)
                .driver("bnx2", "bnx2").iommuGroup(19).build();
        PciDev nvmePort = port(h, WS_NVME_PORT, 0xa330, 0x3d, 0x3d, null, 20).rev(0xf0).build();
        PciDev nvme = h.pci(WS_NVME).parent(nvmePort).ids(0x144d, 0xa808).subsystem(0x144d, 0xa801)
                .pciClass(0x010802).resetMethod("flr bus").link("8.0 GT/s PCIe", 4, "8.0 GT/s PCIe", 4)
                .driver("nvme", "nvme").iommuGroup(21).build();
        h.pci(WS_LPC).ids(0x8086, 0xa305).subsystem(msi, 0x7b17).pciClass(0x060100).rev(0x10).multiFunction(true)
                .pcie(false).driver("lpc_ich", "lpc_ich").iommuGroup(22).build();
        h.pci(WS_SMBUS).ids(0x8086, 0xa323).subsystem(msi, 0x7b17).pciClass(0x0c0500).rev(0x10).multiFunction(true)
                .pcie(false).driver("i801_smbus", "i2c_i801").iommuGroup(22).build();

        FakeUsage u = h.usage();
        u.nic(pf, "enp3s0f0");
        u.nic(vf0, "enp3s16");
        u.nic(e1000, "enp6s0");
        u.nic(rtl, "enp6s1");
        u.nic(bnx2, "enp9s0");
        u.bridge("br0", "enp9s0");
        u.console(igpu, "fb0", "card0");
        Path ns = u.nvmeDisk(nvme, "nvme0", "nvme0n1", "259:0");
        u.partition(ns, "nvme0n1p1", "259:1", 1);
        u.partition(ns, "nvme0n1p2", "259:2", 2);
        u.partition(ns, "nvme0n1p3", "259:3", 3);
        u.deviceMapper("dm-0", "253:0", "vg0-home", "nvme0n1p3");
        Path sda = u.sataDisk(sata, 1, 0, "sda", "8:0");
        u.partition(sda, "sda1", "8:1", 1);
        u.virtioDisk(vdisk, "virtio1", "vda", "254:0");

        h.rootfs().mount("259:2", "/", "ext4", "/dev/nvme0n1p2", "rw,errors=remount-ro").virtualMounts()
                .mount("259:1", "/boot/efi", "vfat", "/dev/nvme0n1p1", "rw,fmask=0077,dmask=0077,codepage=437")
                .mount("253:0", "/home", "ext4", "/dev/mapper/vg0-home")
                .mount("254:0", "/data", "xfs", "/dev/vda", "rw,attr2,inode64,noquota")
                .swap("/dev/sda1", true, 16777212, 0, -2)
                .defaultRoute("br0", "192.168.1.1", "192.168.1.0", "255.255.255.0")
                .ipv6DefaultRoute("br0");
        return h;
    }

    /** A PCIe root or switch port on pcieport (built in), header type 1, class 060400. */
    private static PciDev.Builder port(FakeHost h, String addr, int device, int sec, int sub, PciDev parent, int group) {
        PciDev.Builder b = h.pci(addr).ids(0x8086, device).pciClass(0x060400).headerType(1).buses(sec, sub)
                .builtinDriver("pcieport", "pcieport").iommuGroup(group);
        if (parent != null) {
            b.parent(parent);
        }
        return b;
    }

    // ---- kvmNoIommu -----------------------------------------------------------------------
    /** Host bridge 8086:0d57 — id unknown to pci.ids, as on a Firecracker guest — no driver. not-endpoint. */
    public static final String NI_HOST_BRIDGE = "0000:00:00.0";
    /** virtio disk 1af4:1042 (virtio-pci built in): vda 254:0 holds /. host-critical. */
    public static final String NI_ROOT_DISK = "0000:00:02.0";
    /** virtio NIC 1af4:1041: virtio2/net/eth0 carries the default route. host-critical. */
    public static final String NI_NIC = "0000:00:03.0";
    /** Spare 82574L 8086:10d3 on e1000e (enp0s4, no route). no-iommu. */
    public static final String NI_SPARE = "0000:00:04.0";
    /** virtio 9p 1af4:1049, mount_tag "hostshare" mounted (0:45, 9p) at /mnt/share. no-iommu. */
    public static final String NI_9P = "0000:00:06.0";
    /** Every address of {@link #kvmNoIommu}, sorted. */
    public static final List<String> NI_ALL = List.of(NI_HOST_BRIDGE, NI_ROOT_DISK, NI_NIC, NI_SPARE, NI_9P);

    /**
     * A small KVM host without an IOMMU (dev/kvm present; kernel/iommu_groups and class/iommu
     * exist but are EMPTY, as on a real kernel; no intel_iommu on the command line). vfio-pci
     * is installed under lib/modules but not loaded. Verdicts: see the NI_* constants.
     */
    public static FakeHost kvmNoIommu(Path dir) {
        FakeHost h = FakeHost.create(dir).kvm();
        h.rootfs().debian12().installModule("vfio_pci").cmdline("BOOT_IMAGE=/boot/vmlinuz-" + h.kernelRelease()
                + " root=/dev/vda ro console=ttyS0 quiet");
        h.pci(NI_HOST_BRIDGE).ids(0x8086, 0x0d57).pciClass(0x060000).pcie(false).build();
        PciDev disk = h.pci(NI_ROOT_DISK).ids(0x1af4, 0x1042).subsystem(0x1af4, 0x1042).pciClass(0x018000).rev(0x01)
                .builtinDriver("virtio-pci", "virtio_pci").localCpulist("0-1").build();
        PciDev nic = h.pci(NI_NIC).ids(0x1af4, 0x1041).subsystem(0x1af4, 0x1041).pciClass(0x020000).rev(0x01)
                .builtinDriver("virtio-pci", "virtio_pci").localCpulist("0-1").build();
        PciDev spare = h.pci(NI_SPARE).ids(0x8086, 0x10d3).subsystem(0x8086, 0xa01f).pciClass(0x020000)
                .resetMethod("flr bus").driver("e1000e", "e1000e").localCpulist("0-1").build();
        PciDev share = h.pci(NI_9P).ids(0x1af4, 0x1049).subsystem(0x1af4, 0x1049).pciClass(0x000200).rev(0x01)
                .builtinDriver("virtio-pci", "virtio_pci").localCpulist("0-1").build();
        h.usage().virtioDisk(disk, "virtio1", "vda", "254:0");
        h.usage().virtioNic(nic, "virtio2", "eth0");
        h.usage().nic(spare, "enp0s4");
        h.usage().virtio9p(share, "virtio3", "hostshare");
        h.rootfs().mount("254:0", "/", "ext4", "/dev/vda", "rw").virtualMounts()
                .mount("0:45", "/mnt/share", "9p", "hostshare", "rw,trans=virtio,version=9p2000.L")
                .defaultRoute("eth0", "192.0.2.1", "192.0.2.0", "255.255.255.0")
                .ipv6DefaultRoute("eth0");
        return h;
    }

    // ---- xenDom0 --------------------------------------------------------------------------
    /** Host bridge 8086:2e10. not-endpoint. */
    public static final String XEN_HOST_BRIDGE = "0000:00:00.0";
    /** 82566DM-2 8086:10bd on e1000e: eth0 is xenbr0's port, default route on xenbr0. host-critical. */
    public static final String XEN_MGMT_NIC = "0000:00:19.0";
    /** ICH10 root port 8086:3a40 to bus 09 (pcieport built in). not-endpoint. */
    public static final String XEN_ROOT_PORT = "0000:00:1c.0";
    /** BCM5709 14e4:1639 on bnx2 (module bnx2), eth1, no route: the seed's example. assignable. */
    public static final String XEN_BNX2 = "0000:09:00.0";
    /** 82801 PCI bridge 8086:244e, class 060401, no driver, to bus 0a. not-endpoint. */
    public static final String XEN_PCI_BRIDGE = "0000:00:1e.0";
    /** 82546EB 8086:1010 function 0 on e1000 (eth2). assignable. */
    public static final String XEN_E1000_F0 = "0000:0a:04.0";
    /** 82546EB 8086:1010 function 1 on pciback (module xen-pciback, listed in slots). ready. */
    public static final String XEN_PCIBACK = "0000:0a:04.1";
    /** ICH10 LPC 8086:3a18 on lpc_ich. not-endpoint. */
    public static final String XEN_LPC = "0000:00:1f.0";
    /** ICH10 AHCI 8086:3a22 on ahci: sda1 /boot (8:1), sda2 / (8:2). host-critical. */
    public static final String XEN_SATA = "0000:00:1f.2";
    /** Every address of {@link #xenDom0}, sorted. */
    public static final List<String> XEN_ALL = List.of(XEN_HOST_BRIDGE, XEN_MGMT_NIC, XEN_ROOT_PORT, XEN_PCI_BRIDGE,
            XEN_LPC, XEN_SATA, XEN_BNX2, XEN_E1000_F0, XEN_PCIBACK);

    /**
     * An XCP-ng-like Xen dom0: hypervisor/type xen, proc/xen/capabilities control_d, no IOMMU
     * groups (Xen owns the IOMMU), pciback loaded from module xen-pciback (xen-pciback.hide on
     * the command line). The no-iommu verdict does not apply here. Verdicts: XEN_* constants.
     */
    public static FakeHost xenDom0(Path dir) {
        FakeHost h = FakeHost.create(dir, "4.19.0+1").xenDom0();
        h.rootfs().osRelease("NAME=\"XCP-ng\"\nVERSION=\"8.3.0\"\nID=\"xenenterprise\"\nID_LIKE=\"centos rhel fedora\"\n"
                + "VERSION_ID=\"8.3.0\"\nPRETTY_NAME=\"XCP-ng 8.3.0\"\n")
                .cmdline("root=LABEL=root-abcdef ro nolvm hpet=disable console=hvc0 xen-pciback.hide=(0000:0a:04.1)");
        h.pci(XEN_HOST_BRIDGE).ids(0x8086, 0x2e10).subsystem(0x1028, 0x0235).pciClass(0x060000).rev(0x03)
                .pcie(false).build();
        PciDev mgmt = h.pci(XEN_MGMT_NIC).ids(0x8086, 0x10bd).subsystem(0x1028, 0x0235).pciClass(0x020000).rev(0x02)
                .driver("e1000e", "e1000e").build();
        PciDev rp = h.pci(XEN_ROOT_PORT).ids(0x8086, 0x3a40).pciClass(0x060400).headerType(1).buses(0x09, 0x09)
                .rev(0x00).builtinDriver("pcieport", "pcieport").build();
        PciDev bnx2 = h.pci(XEN_BNX2).parent(rp).ids(0x14e4, 0x1639).subsystem(0x1028, 0x0235).pciClass(0x020000)
                .rev(0x20).driver("bnx2", "bnx2").build();
        PciDev br = h.pci(XEN_PCI_BRIDGE).ids(0x8086, 0x244e).pciClass(0x060401).headerType(1).buses(0x0a, 0x0a)
                .rev(0x90).pcie(false).build();
        PciDev f0 = h.pci(XEN_E1000_F0).parent(br).ids(0x8086, 0x1010).subsystem(0x8086, 0x1011).pciClass(0x020000)
                .rev(0x01).multiFunction(true).pcie(false).driver("e1000", "e1000").build();
        h.pci(XEN_PCIBACK).parent(br).ids(0x8086, 0x1010).subsystem(0x8086, 0x1011).pciClass(0x020000).rev(0x01)
                .multiFunction(true).pcie(false).driver("pciback", "xen-pciback").build();
        h.pci(XEN_LPC).ids(0x8086, 0x3a18).subsystem(0x1028, 0x0235).pciClass(0x060100).multiFunction(true)
                .pcie(false).driver("lpc_ich", "lpc_ich").build();
        PciDev sata = h.pci(XEN_SATA).ids(0x8086, 0x3a22).subsystem(0x1028, 0x0235).pciClass(0x010601)
                .multiFunction(true).pcie(false).driver("ahci", "ahci").build();
        FakeUsage u = h.usage();
        u.nic(mgmt, "eth0");
        u.nic(bnx2, "eth1");
        u.nic(f0, "eth2");
        u.bridge("xenbr0", "eth0");
        Path sda = u.sataDisk(sata, 1, 0, "sda", "8:0");
        u.partition(sda, "sda1", "8:1", 1);
        u.partition(sda, "sda2", "8:2", 2);
        h.rootfs().mount("8:2", "/", "ext3", "/dev/sda2", "rw,data=ordered").virtualMounts()
                .mount("8:1", "/boot", "ext3", "/dev/sda1", "rw,data=ordered")
                .defaultRoute("xenbr0", "10.0.0.1", "10.0.0.0", "255.255.255.0");
        return h;
    }

    // ---- rhel5Root ------------------------------------------------------------------------
    /** Kernel release of {@link #rhel5Root}. */
    public static final String RHEL5_RELEASE = "2.6.18-128.el5xen";
    /** Q35 DRAM controller 8086:29b0. not-endpoint. */
    public static final String R5_HOST_BRIDGE = "0000:00:00.0";
    /** 82566DM-2 8086:10bd on e1000e, eth0, default route. host-critical. */
    public static final String R5_MGMT_NIC = "0000:00:19.0";
    /** ICH9 root port 8086:2940 to bus 09 (pcieport built in). not-endpoint. */
    public static final String R5_ROOT_PORT = "0000:00:1c.0";
    /** BCM5709 14e4:1639 on bnx2 (module bnx2), eth1. assignable. */
    public static final String R5_BNX2 = "0000:09:00.0";
    /** Every address of {@link #rhel5Root}, sorted. */
    public static final List<String> R5_ALL = List.of(R5_HOST_BRIDGE, R5_MGMT_NIC, R5_ROOT_PORT, R5_BNX2);

    /**
     * A RHEL 5.3 Xen dom0 seen through {@code --config-root}: etc/redhat-release
     * "Red Hat Enterprise Linux Server release 5.3 (Tikanga)", an etc/modprobe.conf (aliases, no
     * pciback lines yet), NO etc/os-release (RHEL 5 had none), lib/modules/2.6.18-128.el5xen with
     * pciback.ko installed (module "pciback", not loaded). Minimal sysfs; verdicts: R5_* constants.
     */
    public static FakeHost rhel5Root(Path dir) {
        FakeHost h = FakeHost.create(dir, RHEL5_RELEASE).xenDom0();
        h.rootfs().redhatRelease("Red Hat Enterprise Linux Server release 5.3 (Tikanga)")
                .file("etc/modprobe.conf", "alias eth0 e1000e\nalias eth1 bnx2\nalias scsi_hostadapter ata_piix\n"
                        + "alias snd-card-0 snd-hda-intel\noptions snd-card-0 index=0\n"
                        + "options snd-hda-intel index=0\nremove snd-hda-intel { /usr/sbin/alsactl store 0 >/dev/null 2>&1 || : ; }; /sbin/modprobe -r --ignore-remove snd-hda-intel\n")
                .installModule("pciback")
                .cmdline("ro root=/dev/VolGroup00/LogVol00 rhgb quiet");
        h.pci(R5_HOST_BRIDGE).ids(0x8086, 0x29b0).pciClass(0x060000).rev(0x02).pcie(false).build();
        PciDev mgmt = h.pci(R5_MGMT_NIC).ids(0x8086, 0x10bd).subsystem(0x8086, 0x1000).pciClass(0x020000).rev(0x02)
                .driver("e1000e", "e1000e").build();
        PciDev rp = h.pci(R5_ROOT_PORT).ids(0x8086, 0x2940).pciClass(0x060400).headerType(1).buses(0x09, 0x09)
                .rev(0x02).builtinDriver("pcieport", "pcieport").build();
        PciDev bnx2 = h.pci(R5_BNX2).parent(rp).ids(0x14e4, 0x1639).subsystem(0x1028, 0x0235).pciClass(0x020000)
                .rev(0x20).driver("bnx2", "bnx2").build();
        h.usage().nic(mgmt, "eth0");
        h.usage().nic(bnx2, "eth1");
        h.rootfs().defaultRoute("eth0", "10.0.0.1", "10.0.0.0", "255.255.255.0");
        return h;
    }
}
