package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.NetRootHosts.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.NetRootHosts;

/** The usage entries of NICs that carry filesystems and swap on the network, and what cannot be placed. */
class UsageScannerNetworkTest {
    private static final String ROOT = "carries the root filesystem (/)";

    @TempDir
    Path tmp;

    private static UsageScanner scanner(FakeHost h) {
        return new UsageScanner(new Sysfs(h.sysfs()), new Sysfs(h.configRoot()));
    }

    private static List<Usage> of(Map<PciAddress, List<Usage>> usage, String address) {
        return usage.getOrDefault(PciAddress.parse(address), List.of());
    }

    @Test
    void aCephRootDependsOnTheNicsThatReachItsMonitors() {
        FakeHost h = NetRootHosts.iscsiRoot(tmp);
        Fs.write(h.rootfs().path("proc/self/mountinfo"), "");
        h.rootfs().mount("0:40", "/", "ceph", "admin@6c1b1a56-2b4e-4e0e-9e2e-1a2b3c4d5e6f.os=/node7",
                "rw,relatime,name=admin,secret=<hidden>,fsid=6c1b1a56-2b4e-4e0e-9e2e-1a2b3c4d5e6f,acl,"
                        + "mon_addr=10.1.0.11:6789/172.16.20.12:6789");
        Map<PciAddress, List<Usage>> u = scanner(h).scan();
        assertThat(of(u, NR_STORAGE_NIC)).containsExactly(
                new Usage(Usage.NET, "enp1s0f0", "reaches the Ceph monitor 10.1.0.11 of / (ceph)", ROOT));
        assertThat(of(u, NR_BOND_NIC0)).containsExactly(new Usage(Usage.NET, "enp1s0f1",
                "reaches the Ceph monitor 172.16.20.12 of / (ceph), through bond0.20", ROOT));
    }

    @Test
    void aScopedLinkLocalServerIsReachedThroughTheInterfaceOfItsScope() {
        FakeHost h = NetRootHosts.nfsRoot(tmp);
        String ifindex = Fs.read(h.usage().netDir("enp4s0").resolve("ifindex")).strip();
        h.rootfs().mount("0:70", "/srv/backup", "cifs", "//[fe80::5]/backup",
                "rw,vers=3.1.1,addr=fe80:0000:0000:0000:0000:0000:0000:0005%" + ifindex)
                .mount("0:71", "/srv/scratch", "nfs4", "[fe80::6]:/scratch", "rw,vers=4.2,addr=fe80::6%enp2s0");
        Map<PciAddress, List<Usage>> u = scanner(h).scan();
        assertThat(of(u, NR_SPARE_NIC)).contains(new Usage(Usage.NET, "enp4s0",
                "reaches the SMB server fe80:0000:0000:0000:0000:0000:0000:0005 of /srv/backup (cifs)", null));
        assertThat(of(u, NR_BOND_NIC1)).contains(new Usage(Usage.NET, "enp2s0",
                "reaches the NFS server fe80::6 of /srv/scratch (nfs4)", null));
    }

    @Test
    void swapAndLvmOnAnIscsiDiskDependOnTheNicsReachingTheTarget() {
        FakeHost h = NetRootHosts.iscsiRoot(tmp);
        Path sdc = h.usage().iscsiDisk(7, 2, "172.16.20.9", "sdc", "8:32");
        h.usage().partition(sdc, "sdc1", "8:33", 1);
        h.usage().partition(sdc, "sdc2", "8:34", 2);
        h.usage().deviceMapper("dm-0", "253:0", "vg1-var", "sdc1");
        h.rootfs().mount("253:0", "/var", "xfs", "/dev/mapper/vg1-var").swap("/dev/sdc2", true, 8388604, 0, -2);
        Map<PciAddress, List<Usage>> u = scanner(h).scan();
        for (String nic : List.of(NR_BOND_NIC0, NR_BOND_NIC1)) {
            String name = nic.equals(NR_BOND_NIC0) ? "enp1s0f1" : "enp2s0";
            assertThat(of(u, nic)).containsExactly(
                    new Usage(Usage.NET, name, "reaches the iSCSI target 172.16.20.9 of dm-0 mounted at /var (xfs),"
                            + " through bond0.20", "carries a system filesystem (/var)"),
                    new Usage(Usage.NET, name, "reaches the iSCSI target 172.16.20.9 of sdc2, active swap /dev/sdc2,"
                            + " through bond0.20", "holds active swap (/dev/sdc2)"));
        }
    }

    @Test
    void anIscsiSessionRedirectedElsewhereCountsBothItsAddresses() {
        FakeHost h = NetRootHosts.iscsiRoot(tmp);
        Path conn = h.sysfs().resolve("class/iscsi_connection/connection1:0");
        Fs.write(conn.resolve("address"), "192.0.2.77\n");
        Map<PciAddress, List<Usage>> u = scanner(h).scan();
        assertThat(of(u, NR_SPARE_NIC)).contains(new Usage(Usage.NET, "enp4s0",
                "reaches the iSCSI target 192.0.2.77 of sdb1 mounted at / (ext4)", ROOT));
        assertThat(of(u, NR_STORAGE_NIC)).contains(new Usage(Usage.NET, "enp1s0f0",
                "reaches the iSCSI target 10.1.2.3 of sdb1 mounted at / (ext4)", ROOT));
    }

    @Test
    void systemFilesystemsWhoseServerLeadsToNoPciNicAreReportedAndMarkNothing() {
        FakeHost h = NetRootHosts.iscsiRoot(tmp);
        h.usage().bridge("br9");
        h.rootfs().route("*", "203.0.113.0", "0.0.0.0", "255.255.255.0", 0x0201, 0)
                .route("br9", "10.7.0.0", "0.0.0.0", "255.255.0.0", 0x0001, 0)
                .mount("0:60", "/usr", "nfs4", "203.0.113.9:/usr", "ro,vers=4.2,addr=203.0.113.9")
                .mount("0:61", "/var", "nfs", "filer.example:/var", "rw,vers=3")
                .mount("0:62", "/var", "nfs4", "10.7.0.1:/var", "rw,vers=4.2,addr=10.7.0.1")
                .mount("0:63", "/srv/x", "nfs4", "203.0.113.10:/x", "rw,vers=4.2,addr=203.0.113.10");
        UsageScanner s = scanner(h);
        Map<PciAddress, List<Usage>> u = s.scan();
        assertThat(s.unplaced()).containsExactly(
                "/usr (nfs4) lives on the NFS server 203.0.113.9, but no route leads to it: pcipass cannot tell which"
                        + " NIC the host needs for it",
                "/var (nfs) lives on the NFS server filer.example, but it is a host name and pcipass asks no DNS:"
                        + " pcipass cannot tell which NIC the host needs for it",
                "/var (nfs4) lives on the NFS server 10.7.0.1, but no PCI NIC lies below br9: pcipass cannot tell"
                        + " which NIC the host needs for it");
        for (String nic : List.of(NR_BOND_NIC0, NR_BOND_NIC1, NR_V6_NIC, NR_SPARE_NIC)) {
            assertThat(of(u, nic)).as(nic).noneMatch(Usage::isCritical);
        }
    }
}
