package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.NetRootHosts.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.plan.HideRefusalTest;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;
import org.pcipass.testing.NetRootHosts;

/**
 * A NIC that reaches the server of a system filesystem (NFS, SMB, Ceph, iSCSI) is as critical as
 * the disk of a local one, whichever route the kernel uses to reach it: longest prefix, then
 * metric, through bridges, bonds and VLANs.
 */
class NetworkFilesystemTest {
    private static final String ROOT = "carries the root filesystem (/)";

    @TempDir
    Path tmp;

    private static List<Map<String, Object>> usage(FakeHost h, String address) {
        JsonNode d = ShowGroupsCheckTest.json(h, "show", address, "--json");
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode u : d.get("usage")) {
            out.add(Map.of("kind", u.get("kind").asText(), "name", u.get("name").asText(), "detail",
                    u.get("detail").asText(), "critical", u.get("critical").asBoolean()));
        }
        return out;
    }

    private static Map<String, Object> net(String name, String detail, boolean critical) {
        return Map.of("kind", "net", "name", name, "detail", detail, "critical", critical);
    }

    private Cli.Result hide(FakeHost h, String... args) {
        List<String> a = new ArrayList<>(List.of("hide"));
        a.addAll(List.of(args));
        a.addAll(List.of("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(), "--state-dir",
                tmp.resolve("state").toString()));
        // the kernel simulator plays sysfs and modprobe: a hide that wrongly goes ahead touches nothing real
        KernelSim sim = new KernelSim(h.sysfs(), h.configRoot());
        return new Cli().kernel(sim).runner(sim).run(a.toArray(String[]::new));
    }

    private void refused(FakeHost h, String message, String... args) throws Exception {
        String before = HideRefusalTest.bindings(h);
        Cli.Result r = hide(h, args);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        assertThat(r.err().strip()).isEqualTo("pcipass: " + message);
        assertThat(HideRefusalTest.bindings(h)).isEqualTo(before);
    }

    /** The spare NIC's reason: a share the host uses, not a system filesystem. */
    static final String SMB_NOTE = "in use by the host: enp4s0 reaches the SMB server 192.0.2.50 of /srv/media (cifs)"
            + " (unmount it before hiding)";

    @Test
    void theNicReachingTheNfsRootServerByANonDefaultRouteIsHostCritical() {
        Map<String, List<String>> v = VerdictTest.verdicts(NetRootHosts.nfsRoot(tmp));
        assertThat(v.get(NR_STORAGE_NIC)).containsExactly("host-critical", ROOT);
        assertThat(v.get(NR_MGMT_NIC)).as("the 10.0.0.0/8 route and the metric-200 10.1.0.0/16 route lose")
                .containsExactly("host-critical", "carries the default route (interface eno1)");
    }

    @Test
    void aServerReachedByTheDefaultRouteAddsItsFilesystemToTheDefaultRouteNic() {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        h.rootfs().mount("0:50", "/usr", "nfs4", "198.51.100.5:/usr", "ro,vers=4.2,proto=tcp,addr=198.51.100.5");
        assertThat(VerdictTest.verdicts(h).get(HostTrees.NI_NIC)).containsExactly("host-critical",
                "carries a system filesystem (/usr)", "carries the default route (interface eth0)");
    }

    @Test
    void nfsUsrBehindAVlanOnABondMakesBothSlavesHostCritical() {
        Map<String, List<String>> v = VerdictTest.verdicts(NetRootHosts.nfsRoot(tmp));
        assertThat(v.get(NR_BOND_NIC0)).containsExactly("host-critical", "carries a system filesystem (/usr)");
        assertThat(v.get(NR_BOND_NIC1)).containsExactly("host-critical", "carries a system filesystem (/usr)");
    }

    @Test
    void anIpv6NfsServerOnADirectlyConnectedRouteMakesItsNicHostCritical() {
        Map<String, List<String>> v = VerdictTest.verdicts(NetRootHosts.nfsRoot(tmp));
        assertThat(v.get(NR_V6_NIC)).containsExactly("host-critical", "carries a system filesystem (/var)");
    }

    @Test
    void anSmbShareThatIsNoSystemFilesystemIsUsageNotCritical() {
        FakeHost h = NetRootHosts.nfsRoot(tmp);
        assertThat(VerdictTest.verdicts(h).get(NR_SPARE_NIC)).containsExactly("assignable", SMB_NOTE);
        assertThat(usage(h, NR_SPARE_NIC))
                .containsExactly(net("enp4s0", "reaches the SMB server 192.0.2.50 of /srv/media (cifs)", false));
    }

    @Test
    void showJsonNamesTheServerTheMountAndTheStackedInterface() {
        FakeHost h = NetRootHosts.nfsRoot(tmp);
        assertThat(usage(h, NR_STORAGE_NIC))
                .containsExactly(net("enp1s0f0", "reaches the NFS server 10.1.2.3 of / (nfs4)", true));
        assertThat(usage(h, NR_BOND_NIC1))
                .containsExactly(net("enp2s0", "reaches the NFS server 172.16.20.5 of /usr (nfs), through bond0.20", true));
        assertThat(usage(h, NR_V6_NIC))
                .containsExactly(net("enp3s0f0np0", "reaches the NFS server fd00:5::10 of /var (nfs4)", true));
        assertThat(usage(h, NR_MGMT_NIC)).containsExactly(net("eno1", "default route", true));
    }

    @Test
    void hidingTheNfsRootNicIsRefusedEvenWithForceAndTheUsrNicNeedsForce() throws Exception {
        FakeHost h = NetRootHosts.nfsRoot(tmp.resolve("h"));
        String msg = NR_STORAGE_NIC + " is host-critical: " + ROOT + "; pcipass never hides the device that holds /,"
                + " not even with --force";
        refused(h, msg, NR_STORAGE_NIC);
        refused(h, msg, NR_STORAGE_NIC, "--force");
        refused(h, NR_BOND_NIC0 + " is host-critical: carries a system filesystem (/usr); hiding it takes that from"
                + " the host (pass --force if you really mean it)", NR_BOND_NIC0);
    }

    @Test
    void anIscsiRootWithoutAPciAncestorMakesTheNicReachingItsTargetHostCritical() throws Exception {
        FakeHost h = NetRootHosts.iscsiRoot(tmp.resolve("h"));
        Map<String, List<String>> v = VerdictTest.verdicts(h);
        assertThat(v.get(NR_STORAGE_NIC)).containsExactly("host-critical", ROOT, "carries a system filesystem (/boot)");
        assertThat(v.get(NR_MGMT_NIC)).containsExactly("host-critical", "carries the default route (interface eno1)");
        assertThat(usage(h, NR_STORAGE_NIC)).containsExactly(
                net("enp1s0f0", "reaches the iSCSI target 10.1.2.3 of sdb1 mounted at / (ext4)", true),
                net("enp1s0f0", "reaches the iSCSI target 10.1.2.3 of sdb2 mounted at /boot (ext4)", true));
        refused(h, NR_STORAGE_NIC + " is host-critical: " + ROOT + ", carries a system filesystem (/boot); pcipass"
                + " never hides the device that holds /, not even with --force", NR_STORAGE_NIC, "--force");
    }

    @Test
    void serversWithoutARouteOrAnAddressMakeNothingCritical() {
        FakeHost h = NetRootHosts.iscsiRoot(tmp);
        // an unreachable route (iproute2: ip route add unreachable 203.0.113.0/24) beats the default route
        h.rootfs().route("*", "203.0.113.0", "0.0.0.0", "255.255.255.0", 0x0201, 0)
                .mount("0:60", "/usr", "nfs4", "203.0.113.9:/usr", "ro,vers=4.2,proto=tcp,sec=sys,addr=203.0.113.9")
                // no IPv6 default route on this host
                .mount("0:61", "/var", "nfs4", "[2001:db8:99::1]:/var", "rw,vers=4.2,proto=tcp6,addr=2001:db8:99::1")
                // no addr= and a host name: pcipass never asks DNS
                .mount("0:62", "/var", "nfs", "filer.example:/var", "rw,vers=3,proto=tcp");
        Map<String, List<String>> v = VerdictTest.verdicts(h);
        assertThat(v.get(NR_MGMT_NIC)).containsExactly("host-critical", "carries the default route (interface eno1)");
        for (String nic : List.of(NR_BOND_NIC0, NR_BOND_NIC1, NR_V6_NIC)) {
            assertThat(v.get(nic)).as(nic).containsExactly("assignable");
        }
        assertThat(v.get(NR_SPARE_NIC)).containsExactly("assignable", SMB_NOTE);
    }

    /** A system filesystem whose server pcipass cannot place on a NIC is a WARN of check, naming it and why. */
    @Test
    void checkWarnsOfASystemFilesystemOnAServerNoNicCanBeNamedFor() {
        FakeHost h = NetRootHosts.iscsiRoot(tmp);
        h.rootfs().mount("0:62", "/var", "nfs", "filer.example:/var", "rw,vers=3,proto=tcp");
        JsonNode checks = ShowGroupsCheckTest.json(h, "check", "--json");
        List<String> warned = new ArrayList<>();
        for (JsonNode c : checks) {
            if (c.get("name").asText().equals("network filesystem")) {
                assertThat(c.get("status").asText()).isEqualTo("WARN");
                assertThat(c.get("fix").asText()).isEqualTo("keep every NIC that can reach that server on the host:"
                        + " pcipass does not mark one host-critical for it");
                warned.add(c.get("detail").asText());
            }
        }
        assertThat(warned).containsExactly("/var (nfs) lives on the NFS server filer.example, but it is a host name and"
                + " pcipass asks no DNS: pcipass cannot tell which NIC the host needs for it");
    }

    @Test
    void garbledRouteLinesAreSkippedAndTheGoodOnesStillCount() {
        FakeHost h = NetRootHosts.nfsRoot(tmp);
        Fs.append(h.rootfs().path("proc/net/route"), "\n\t\nenp4s0\nenp4s0\tZZZZ0000\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"
                + "enp4s0\t0302010A\t00000000\tzz\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n"
                + "enp4s0\t0302010A\t00000000\t0005\t0\t0\tx\tFFFFFFFF\t0\t0\t0\n"
                + "enp4s0\t0302010A0\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n");
        Fs.append(h.rootfs().path("proc/net/ipv6_route"), "fd00 40 garbage\n" + "g".repeat(32)
                + " 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000000"
                + " 00000000 00000001 enp4s0\n\n");
        Map<String, List<String>> v = VerdictTest.verdicts(h);
        assertThat(v.get(NR_STORAGE_NIC)).containsExactly("host-critical", ROOT);
        assertThat(v.get(NR_V6_NIC)).containsExactly("host-critical", "carries a system filesystem (/var)");
        assertThat(v.get(NR_SPARE_NIC)).containsExactly("assignable", SMB_NOTE);
    }
}
