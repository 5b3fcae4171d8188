package org.pcipass.testing;

import java.nio.file.Path;
import java.util.List;

/**
 * Named fake hosts whose system filesystems live on the network (see {@link HostTrees} for the
 * local-disk ones): a diskless KVM host booted from NFS, and one booted from iSCSI. Both share the
 * same NICs and routing table, chosen so that only the kernel's real choice of interface gives
 * the right answer: the default route is on the management NIC, a less specific 10.0.0.0/8 route
 * and a worse-metric 10.1.0.0/16 route point there too, and the storage network 10.1.0.0/16 is
 * reached over the storage NIC through a gateway (not its own subnet).
 */
public final class NetRootHosts {
    private NetRootHosts() {
    }

    /** I219-LM 8086:15bb on e1000e, eno1: the default route and the decoy routes. host-critical. */
    public static final String NR_MGMT_NIC = "0000:00:1f.6";
    /** 82599 8086:10fb on ixgbe, enp1s0f0: 10.0.9.0/24 and 10.1.0.0/16 via 10.0.9.1; the root's server. */
    public static final String NR_STORAGE_NIC = "0000:01:00.0";
    /** 82599 8086:10fb on ixgbe, enp1s0f1: bond0's first slave (bond0.20 carries 172.16.20.0/24). */
    public static final String NR_BOND_NIC0 = "0000:01:00.1";
    /** I350 8086:1521 on igb, enp2s0: bond0's second slave. */
    public static final String NR_BOND_NIC1 = "0000:02:00.0";
    /** ConnectX-4 Lx 15b3:1015 on mlx5_core, enp3s0f0np0: fd00:5::/64 only (IPv6). */
    public static final String NR_V6_NIC = "0000:03:00.0";
    /** 82574L 8086:10d3 on e1000e, enp4s0: 192.0.2.0/24, where the SMB share /srv/media lives. */
    public static final String NR_SPARE_NIC = "0000:04:00.0";
    /** The NFS (or iSCSI) server of / : 10.1.2.3, reached over {@link #NR_STORAGE_NIC}. */
    public static final String NR_ROOT_SERVER = "10.1.2.3";
    /** The root ports, one per bus 01..04, groups 1..4. */
    public static final List<String> NR_PORTS = List.of("0000:00:01.0", "0000:00:1c.0", "0000:00:1c.4", "0000:00:1d.0");

    /**
     * A diskless KVM host (VT-d, Debian 12) booted from NFS: / is nfs4 from 10.1.2.3 (storage NIC,
     * through a gateway), /usr is NFSv3 from 172.16.20.5 on VLAN 20 of bond0 (both bond NICs),
     * /var is nfs4 from fd00:5::10 (the IPv6 NIC, a directly connected route), /srv/media is an
     * SMB share from 192.0.2.50 (the spare NIC; no system filesystem). Every NIC has its own group.
     */
    public static FakeHost nfsRoot(Path dir) {
        FakeHost h = base(dir);
        h.rootfs().cmdline("BOOT_IMAGE=/vmlinuz-" + h.kernelRelease() + " root=/dev/nfs nfsroot=10.1.2.3:/srv/roots/node7"
                        + " ip=dhcp ro quiet intel_iommu=on")
                .mount("0:24", "/", "nfs4", "10.1.2.3:/srv/roots/node7", "rw,vers=4.2,rsize=1048576,wsize=1048576,"
                        + "namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.0.9.7,local_lock=none,"
                        + "addr=10.1.2.3")
                .virtualMounts()
                .mount("0:51", "/usr", "nfs", "172.16.20.5:/export/usr", "ro,vers=3,rsize=1048576,wsize=1048576,"
                        + "namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,mountaddr=172.16.20.5,mountvers=3,"
                        + "mountport=20048,mountproto=udp,local_lock=none,addr=172.16.20.5")
                .mount("0:52", "/var", "nfs4", "[fd00:5::10]:/export/var/node7", "rw,vers=4.2,rsize=1048576,"
                        + "wsize=1048576,namlen=255,hard,proto=tcp6,timeo=600,retrans=2,sec=sys,clientaddr=fd00:5::7,"
                        + "local_lock=none,addr=fd00:5::10")
                .mount("0:53", "/srv/media", "cifs", "//192.0.2.50/media", "rw,vers=3.1.1,cache=strict,username=media,"
                        + "uid=0,noforceuid,gid=0,noforcegid,addr=192.0.2.50,file_mode=0755,dir_mode=0755,soft,nounix,"
                        + "serverino,mapposix,rsize=4194304,wsize=4194304,bsize=1048576,echo_interval=60,actimeo=1");
        return h;
    }

    /**
     * The same host booted from iSCSI with the software initiator (iscsi_tcp): sdb of session 1
     * (connection to 10.1.2.3:3260, over the storage NIC) has sdb1 at / and sdb2 at /boot; no PCI
     * device lies above sdb in sysfs. The SMB share /srv/media is there too.
     */
    public static FakeHost iscsiRoot(Path dir) {
        FakeHost h = base(dir);
        h.rootfs().cmdline("BOOT_IMAGE=/vmlinuz-" + h.kernelRelease() + " root=UUID=0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
                + " rd.iscsi.firmware ro quiet intel_iommu=on");
        Path sdb = h.usage().iscsiDisk(6, 1, NR_ROOT_SERVER, "sdb", "8:16");
        h.usage().partition(sdb, "sdb1", "8:17", 1);
        h.usage().partition(sdb, "sdb2", "8:18", 2);
        h.rootfs().mount("8:17", "/", "ext4", "/dev/sdb1", "rw,errors=remount-ro").virtualMounts()
                .mount("8:18", "/boot", "ext4", "/dev/sdb2")
                .mount("0:53", "/srv/media", "cifs", "//192.0.2.50/media", "rw,vers=3.1.1,cache=strict,username=media,"
                        + "uid=0,noforceuid,gid=0,noforcegid,addr=192.0.2.50,file_mode=0755,dir_mode=0755,soft");
        return h;
    }

    /** The NICs, their interfaces, bond and VLAN, and the routing table both hosts share. */
    private static FakeHost base(Path dir) {
        FakeHost h = FakeHost.create(dir).kvm().withIommu();
        h.rootfs().debian12().installModule("vfio_pci");
        h.pci("0000:00:00.0").ids(0x8086, 0x3e30).pciClass(0x060000).rev(0x0d).pcie(false).iommuGroup(0).build();
        PciDev[] ports = new PciDev[NR_PORTS.size()];
        for (int i = 0; i < ports.length; i++) {
            ports[i] = h.pci(NR_PORTS.get(i)).ids(0x8086, 0xa340 + 2 * i).pciClass(0x060400).headerType(1)
                    .buses(i + 1, i + 1).builtinDriver("pcieport", "pcieport").iommuGroup(i + 1).build();
        }
        PciDev mgmt = h.pci(NR_MGMT_NIC).ids(0x8086, 0x15bb).subsystem(0x1028, 0x0869).pciClass(0x020000).rev(0x10)
                .pcie(false).driver("e1000e", "e1000e").iommuGroup(10).build();
        PciDev storage = nic(h, NR_STORAGE_NIC, ports[0], 0x8086, 0x10fb, "ixgbe", 11, true);
        PciDev bond0 = nic(h, NR_BOND_NIC0, ports[0], 0x8086, 0x10fb, "ixgbe", 12, true);
        PciDev bond1 = nic(h, NR_BOND_NIC1, ports[1], 0x8086, 0x1521, "igb", 13, false);
        PciDev v6 = nic(h, NR_V6_NIC, ports[2], 0x15b3, 0x1015, "mlx5_core", 14, false);
        PciDev spare = nic(h, NR_SPARE_NIC, ports[3], 0x8086, 0x10d3, "e1000e", 15, false);
        FakeUsage u = h.usage();
        u.nic(mgmt, "eno1");
        u.nic(storage, "enp1s0f0");
        u.nic(bond0, "enp1s0f1");
        u.nic(bond1, "enp2s0");
        u.nic(v6, "enp3s0f0np0");
        u.nic(spare, "enp4s0");
        u.bond("bond0", "enp1s0f1", "enp2s0");
        u.vlan("bond0", 20);
        String host = "255.255.255.255";
        h.rootfs().defaultRoute("eno1", "192.168.1.1", "192.168.1.0", "255.255.255.0")
                .route("eno1", "10.0.0.0", "192.168.1.254", "255.0.0.0", 0x0003, 100)
                .route("eno1", "10.1.0.0", "192.168.1.254", "255.255.0.0", 0x0003, 200)
                .route("enp1s0f0", "10.0.9.0", "0.0.0.0", "255.255.255.0", 0x0001, 100)
                .route("enp1s0f0", "10.1.0.0", "10.0.9.1", "255.255.0.0", 0x0003, 100)
                .route("eno1", "10.1.9.9", "192.168.1.254", host, 0x0007, 100)
                .route("bond0.20", "172.16.20.0", "0.0.0.0", "255.255.255.0", 0x0001, 0)
                .route("enp4s0", "192.0.2.0", "0.0.0.0", "255.255.255.0", 0x0001, 100)
                .ipv6Route("fd000005000000000000000000000000", 64, "0".repeat(32), 256, 0x00000001, "enp3s0f0np0")
                .ipv6Route("fe800000000000000000000000000000", 64, "0".repeat(32), 256, 0x00000001, "enp3s0f0np0")
                .ipv6Route("00000000000000000000000000000001", 128, "0".repeat(32), 0, 0x80200001, "lo")
                .ipv6Route("0".repeat(32), 0, "0".repeat(32), 0xffffffff, 0x00200200, "lo");
        return h;
    }

    private static PciDev nic(FakeHost h, String addr, PciDev port, int vendor, int device, String driver, int group,
            boolean multiFunction) {
        return h.pci(addr).parent(port).ids(vendor, device).pciClass(0x020000).rev(0x01).multiFunction(multiFunction)
                .resetMethod("flr bus").driver(driver, driver).iommuGroup(group).build();
    }
}
