package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Server addresses from mountinfo lines as the kernel writes them; host names are never looked up. */
class NetworkServersTest {
    private static List<String> servers(String fsType, String source, String superOptions) {
        Mount m = Mount.parse("30 1 0:52 / /mnt rw,relatime shared:9 - " + fsType + " " + source + " " + superOptions);
        return NetworkServers.of(m).stream()
                .map(s -> s.role() + " " + s.address() + (s.scope() == null ? "" : "%" + s.scope())
                        + (s.ip() == null ? " (no address)" : " = " + s.ip().getHostAddress()))
                .toList();
    }

    @Test
    void nfsTakesAddrAndNotMountaddrOrClientaddr() {
        assertThat(servers("nfs", "filer:/export/usr", "ro,vers=3,mountaddr=10.9.9.9,clientaddr=10.8.8.8,addr=10.1.2.3"))
                .containsExactly("NFS server 10.1.2.3 = 10.1.2.3");
        assertThat(servers("nfs4", "[fd00:5::10]:/var", "rw,vers=4.2,proto=tcp6,clientaddr=fd00:5::7,addr=fd00:5::10"))
                .containsExactly("NFS server fd00:5::10 = fd00:5:0:0:0:0:0:10");
    }

    @Test
    void withoutAddrTheSourceCountsOnlyWhenItIsAnAddress() {
        assertThat(servers("nfs4", "10.1.2.3:/", "rw,vers=4.2")).containsExactly("NFS server 10.1.2.3 = 10.1.2.3");
        assertThat(servers("nfs4", "[fd00::5]:/", "rw")).containsExactly("NFS server fd00::5 = fd00:0:0:0:0:0:0:5");
        assertThat(servers("nfs", "filer.example:/var", "rw,vers=3")).containsExactly("NFS server filer.example (no address)");
        assertThat(servers("nfs", "deadbeef:/var", "rw,vers=3")).containsExactly("NFS server deadbeef (no address)");
        assertThat(servers("cifs", "//nas/media", "rw,vers=3.1.1")).containsExactly("SMB server nas (no address)");
    }

    @Test
    void aLinkLocalServerKeepsItsScope() {
        assertThat(servers("cifs", "//[fe80::5]/media", "rw,vers=3.1.1,addr=fe80:0000:0000:0000:0000:0000:0000:0005%3"))
                .containsExactly("SMB server fe80:0000:0000:0000:0000:0000:0000:0005%3 = fe80:0:0:0:0:0:0:5");
        assertThat(servers("smb3", "//192.0.2.50/media", "rw,addr=192.0.2.50"))
                .containsExactly("SMB server 192.0.2.50 = 192.0.2.50");
    }

    @Test
    void cephMonitorsComeFromMonAddrOrTheOldSourceList() {
        assertThat(servers("ceph", "admin@6c1b1a56-2b4e-4e0e-9e2e-1a2b3c4d5e6f.cephfs=/", "rw,name=admin,"
                + "mon_addr=10.3.0.1:6789/10.3.0.2:6789/[fd00:3::3]:3300,acl"))
                .containsExactly("Ceph monitor 10.3.0.1 = 10.3.0.1", "Ceph monitor 10.3.0.2 = 10.3.0.2",
                        "Ceph monitor fd00:3::3 = fd00:3:0:0:0:0:0:3");
        assertThat(servers("ceph", "10.3.0.1:6789,10.3.0.2,[fd00:3::3]:6789:/volumes/os", "rw,name=admin"))
                .containsExactly("Ceph monitor 10.3.0.1 = 10.3.0.1", "Ceph monitor 10.3.0.2 = 10.3.0.2",
                        "Ceph monitor fd00:3::3 = fd00:3:0:0:0:0:0:3");
    }

    @Test
    void glusterfsAndLocalFilesystemsNameNoServer() {
        assertThat(servers("fuse.glusterfs", "10.4.0.1:/gv0", "rw,user_id=0,group_id=0")).isEmpty();
        assertThat(servers("ext4", "/dev/sda1", "rw,errors=remount-ro")).isEmpty();
        assertThat(servers("9p", "hostshare", "rw,trans=virtio")).isEmpty();
    }

    @Test
    void onlyIpLiteralsAreAddresses() {
        for (String no : List.of("1.2.3", "1.2.3.256", "1.2.3.4.5", "01234.1.1.1", "filer", "deadbeef", ".:", ":",
                "fd00:::1:2:3:4:5:6:7:8", "1.2.3.4:80", "", "g::1")) {
            assertThat(NetworkServers.literal(no)).as(no).isNull();
        }
        assertThat(NetworkServers.literal("10.1.2.3").getHostAddress()).isEqualTo("10.1.2.3");
        assertThat(NetworkServers.literal("::ffff:10.1.2.3").getHostAddress()).isEqualTo("10.1.2.3");
        assertThat(NetworkServers.literal("fd00:0005:0000:0000:0000:0000:0000:0010").getHostAddress())
                .isEqualTo("fd00:5:0:0:0:0:0:10");
    }
}
