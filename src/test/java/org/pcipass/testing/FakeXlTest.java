package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.testing.HostTrees.XEN_BNX2;
import static org.pcipass.testing.HostTrees.XEN_PCIBACK;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.host.CommandRunner;
import org.pcipass.host.CommandRunner.Result;

/** The fake xl itself: its Xen lives on disk, and it prints what Xen 4.17's xl prints. */
class FakeXlTest {
    @TempDir
    Path tmp;

    Result xl(FakeXl xl, String... args) {
        return xl.run(List.of(args));
    }

    @Test
    void twoInstancesOnOneDirectorySeeTheSameXen() {
        FakeXl first = FakeXl.at(tmp.resolve("xl")).domain("web1").pv().passthrough("enabled").create();
        FakeXl second = FakeXl.at(tmp.resolve("xl"));
        assertThat(xl(second, "xl", "pci-attach", "web1", "0000:09:00.0").exitCode()).isZero();
        assertThat(first.pciList("web1")).containsExactly("0000:09:00.0");
        assertThat(xl(first, "xl", "pci-list", "web1").stdout()).isEqualTo("Vdev Device\n00.0 0000:09:00.0\n");
        second.domain("web2").hvm().create();
        assertThat(first.domid("web2")).isEqualTo(2);
        assertThat(first.calls()).containsExactly(List.of("xl", "pci-attach", "web1", "0000:09:00.0"),
                List.of("xl", "pci-list", "web1"));
    }

    @Test
    void pciListPrintsNothingForAGuestWithoutDevicesAndHexVdevfnForHvm() {
        FakeXl xl = FakeXl.at(tmp).domain("plain").create().domain("win").hvm().pci("0000:06:01.0", "0000:09:00.1")
                .create();
        assertThat(xl(xl, "xl", "pci-list", "plain")).isEqualTo(new Result(0, "", ""));
        assertThat(xl(xl, "xl", "pci-list", "win").stdout())
                .isEqualTo("Vdev Device\n04.0 0000:06:01.0\n05.0 0000:09:00.1\n");
    }

    @Test
    void anUnknownDomainIsXlsInvalidDomainIdentifier() {
        FakeXl xl = FakeXl.at(tmp);
        for (String cmd : List.of("pci-list", "list")) {
            assertThat(xl(xl, "xl", cmd, "web9"))
                    .isEqualTo(new Result(1, "", "web9 is an invalid domain identifier (rc=-6)\n"));
        }
        assertThat(xl(xl, "xl", "list", "-l", "42")).isEqualTo(new Result(1, "", "Error: Domain '42' does not exist.\n"));
    }

    @Test
    void attachWithoutPassthroughFailsAsXenDoes() {
        FakeXl xl = FakeXl.at(tmp).domain("pv0").create().domain("hvm0").hvm().create();
        assertThat(xl(xl, "xl", "pci-attach", "pv0", "09:00.0")).isEqualTo(new Result(1, "", """
                libxl: error: libxl_pci.c:1529:pci_add_dm_done: Domain 1:xc_assign_device failed: Operation not supported
                libxl: error: libxl_pci.c:1809:device_pci_add_done: Domain 1:libxl__device_pci_add failed for PCI device 0:9:0.0 (rc -3)
                libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to add device
                """));
        assertThat(xl(xl, "xl", "pci-attach", "hvm0", "0000:09:00.0").stderr()).startsWith(
                "libxl: error: libxl_pci.c:1658:libxl__device_pci_add: Domain 2:PCI device 0000:09:00.0 cannot be"
                        + " assigned - no IOMMU?\n");
        assertThat(xl.pciList("pv0")).isEmpty();
    }

    @Test
    void attachTakesOnlyWhatPcibackHoldsInTheKernelSimulatorsTree() {
        FakeHost host = HostTrees.xenDom0(tmp.resolve("host"));
        FakeXl xl = FakeXl.at(tmp.resolve("xl")).sysfs(host.sysfs()).domain("web1").passthrough("sync_pt").create();
        assertThat(xl(xl, "xl", "pci-assignable-list").stdout()).isEqualTo(XEN_PCIBACK + "\n");
        Result bnx2 = xl(xl, "xl", "pci-attach", "web1", XEN_BNX2);
        assertThat(bnx2.exitCode()).isEqualTo(1);
        assertThat(bnx2.stderr()).startsWith("libxl: error: libxl_pci.c:1677:libxl__device_pci_add: Domain 1:PCI device"
                + " 0:9:0.0 is not assignable\n");
        assertThat(xl(xl, "xl", "pci-attach", "web1", XEN_PCIBACK).exitCode()).isZero();
        assertThat(xl(xl, "xl", "pci-assignable-list").stdout()).as("assigned: no longer assignable").isEmpty();
        KernelSim sim = new KernelSim(host.sysfs(), host.configRoot());
        assertThat(xl.over(sim).run(List.of("modprobe", "-r", "xen-pciback")).exitCode()).isZero();
        xl.domain("web2").passthrough("enabled").create();
        assertThat(xl(xl, "xl", "pci-attach", "web2", XEN_BNX2).stderr()).startsWith("libxl: error: libxl_pci.c:444:"
                + "libxl_device_pci_assignable_list: Looks like pciback driver not loaded\n");
    }

    @Test
    void aDeviceInOneDomainIsNotAssignableToAnother() {
        FakeXl xl = FakeXl.at(tmp).domain("a").pci("0000:09:00.0").create().domain("b").passthrough("enabled").create()
                .domain("c").hvm().passthrough("enabled").create();
        assertThat(xl(xl, "xl", "pci-attach", "b", "0000:09:00.0").stderr())
                .contains("Domain 2:PCI device 0:9:0.0 is not assignable\n");
        assertThat(xl(xl, "xl", "pci-attach", "c", "0000:09:00.0").stderr())
                .contains("Domain 3:PCI device 0000:09:00.0 already assigned to a different guest?\n");
    }

    @Test
    void detachAsksTheGuestWhichMayLetGoAtOnceNeverOrLater() {
        FakeXl xl = FakeXl.at(tmp).domain("quick").pci("0000:09:00.0").create()
                .domain("stuck").pci("0000:06:01.0").neverReleases().create()
                .domain("stuckhvm").hvm().pci("0000:07:00.0").neverReleases().create()
                .domain("slow").pci("0000:08:00.0").releasesAfter(1).create();
        assertThat(xl(xl, "xl", "pci-detach", "quick", "0000:09:00.0")).isEqualTo(new Result(0, "", ""));
        assertThat(xl.pciList("quick")).isEmpty();

        assertThat(xl(xl, "xl", "pci-detach", "stuck", "0000:06:01.0")).isEqualTo(new Result(0, "",
                "libxl: error: libxl_device.c:1470:libxl__wait_for_backend: Backend /local/domain/0/backend/pci/2/0"
                        + " not ready\n"));
        assertThat(xl(xl, "xl", "pci-list", "stuck").stdout()).contains("0000:06:01.0");
        Result hvm = xl(xl, "xl", "pci-detach", "stuckhvm", "0000:07:00.0");
        assertThat(hvm.exitCode()).isEqualTo(1);
        assertThat(hvm.stderr()).isEqualTo("libxl: warning: libxl_pci.c:2217:pci_remove_timeout: Domain 3:timed out"
                + " waiting for DM to remove pci-pt-07_00.0\n"
                + "libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to remove device\n");
        xl.release("stuck");
        assertThat(xl.pciList("stuck")).isEmpty();

        assertThat(xl(xl, "xl", "pci-detach", "slow", "0000:08:00.0").exitCode()).isZero();
        assertThat(xl(xl, "xl", "pci-list", "slow").stdout()).contains("0000:08:00.0");
        assertThat(xl(xl, "xl", "pci-list", "slow").stdout()).isEmpty();

        assertThat(xl(xl, "xl", "pci-detach", "-f", "stuckhvm", "0000:07:00.0").exitCode()).as("-f forces").isZero();
        assertThat(xl.pciList("stuckhvm")).isEmpty();
        assertThat(xl(xl, "xl", "pci-detach", "quick", "0000:09:00.0")).isEqualTo(new Result(1, "", """
                libxl: error: libxl_pci.c:1969:do_pci_remove: Domain 1:PCI device not attached to this domain
                libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to remove device
                """));
    }

    @Test
    void listLongIsTheJsonOfEachDomainsConfigWithDefaultsLeftOut() throws Exception {
        FakeXl xl = FakeXl.at(tmp).domain("web1").passthrough("share_pt").pci("0000:09:00.0").create()
                .domain("win").hvm().create();
        xl(xl, "xl", "pci-attach", "web1", "0001:e1:00.1");
        Result all = xl(xl, "xl", "list", "-l");
        assertThat(all.stdout()).startsWith("[\n    {\n        \"domid\": 0,\n");
        JsonNode doms = new ObjectMapper().readTree(all.stdout());
        assertThat(doms).hasSize(3);
        assertThat(doms.get(0).at("/config/c_info/name").asText()).isEqualTo("Domain-0");
        JsonNode web1 = doms.get(1);
        assertThat(web1.at("/config/c_info/type").asText()).isEqualTo("pv");
        assertThat(web1.at("/config/c_info/passthrough").asText()).isEqualTo("share_pt");
        assertThat(web1.at("/config/pcidevs/0").toString()).isEqualTo("{\"bus\":9}");
        assertThat(web1.at("/config/pcidevs/1").toString())
                .isEqualTo("{\"func\":1,\"bus\":225,\"domain\":1,\"rdm_policy\":\"strict\"}");
        assertThat(doms.get(2).at("/config/c_info").has("passthrough")).as("absent = default").isFalse();
        assertThat(doms.get(2).at("/config").has("pcidevs")).isFalse();

        xl(xl, "xl", "pci-detach", "web1", "0000:09:00.0");
        Result one = xl(xl, "xl", "list", "-l", "web1");
        assertThat(new ObjectMapper().readTree(one.stdout()).at("/0/config/pcidevs")).hasSize(1);
        assertThat(one.stderr()).isEqualTo("libxl: warning: libxl_domain.c:2604:libxl_retrieve_domain_configuration:"
                + " Domain 1:Device present in JSON but not in xenstore, ignored\n");
    }

    @Test
    void listIsXlsTableWithDom0() {
        FakeXl xl = FakeXl.at(tmp).domain("db 2").create();
        assertThat(xl(xl, "xl", "list").stdout()).isEqualTo(
                "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
                        + "Domain-0                                     0  1536     2     r-----    1243.5\n"
                        + "db 2                                         1  1024     1     -b----      12.0\n");
    }

    @Test
    void infoAndDmesgSayWhetherXensIommuIsOn() {
        FakeXl xl = FakeXl.at(tmp);
        assertThat(xl(xl, "xl", "info").stdout())
                .contains("virt_caps              : pv hvm hvm_directio pv_directio hap shadow iommu_hap_pt_share");
        assertThat(xl(xl, "xl", "dmesg").stdout()).contains("(XEN) I/O virtualisation enabled\n");
        xl.iommu(false);
        assertThat(xl(xl, "xl", "info").stdout()).contains("virt_caps              : pv hvm hap shadow gnttab-v1");
        assertThat(xl(xl, "xl", "dmesg").stdout()).contains("(XEN) I/O virtualisation disabled\n");
        assertThatThrownBy(() -> xl.domain("web1").passthrough("enabled").create())
                .hasMessage("FakeXl: passthrough not supported on this platform (no IOMMU)");
    }

    @Test
    void withoutAHypervisorEveryCommandFailsAsXlDoes() {
        FakeXl xl = FakeXl.at(tmp).noHypervisor();
        Result r = xl(xl, "xl", "list");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).endsWith("libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such"
                + " file or directory\ncannot init xl context\n");
    }

    @Test
    void argvIsReadAsXlsGetoptDoes() {
        FakeXl xl = FakeXl.at(tmp).domain("web1").passthrough("enabled").create();
        assertThat(xl(xl, "xl", "pci-attach", "--", "web1", "0000:09:00.0").exitCode()).isZero();
        assertThat(xl(xl, "xl", "pci-attach", "web1", "09:00.0,permissive=1,x y")).isEqualTo(new Result(2, "",
                "pci-attach: malformed PCI_SPEC_STRING \"09:00.0,permissive=1,x y\"\n"));
        assertThat(xl(xl, "xl", "pci-list", "-x", "web1")).isEqualTo(new Result(2, "", "option `x' not supported.\n"));
        assertThat(xl(xl, "xl", "pci-attach", "web1", "10000:e1:00.1").exitCode()).as("domain > ffff").isEqualTo(2);
        assertThat(xl(xl, "xl", "pci-attach", "web1").exitCode()).isEqualTo(2);
        assertThat(xl(xl, "xl", "frobnicate")).isEqualTo(new Result(1, "", "command not implemented\n"));
    }

    @Test
    void otherCommandsGoToTheWrappedRunner() {
        FakeHost host = HostTrees.xenDom0(tmp.resolve("host"));
        KernelSim sim = new KernelSim(host.sysfs(), host.configRoot());
        FakeXl xl = FakeXl.at(tmp.resolve("xl")).over(sim);
        assertThat(xl.available("modprobe")).isTrue();
        assertThat(xl.available("/usr/sbin/xl")).isTrue();
        assertThat(xl.available("virsh")).isFalse();
        assertThat(xl(xl, "modprobe", "-q", "xen-pciback").exitCode()).isZero();
        assertThat(sim.commandsRun()).containsExactly(List.of("modprobe", "-q", "xen-pciback"));
        assertThat(FakeXl.at(tmp.resolve("xl2")).run(List.of("modprobe", "x")).exitCode()).isEqualTo(127);
    }

    @Test
    void aChildJvmFindsTheFakeThroughTheEnvironment() {
        FakeXl.at(tmp.resolve("xl")).domain("web1").create();
        CommandRunner none = FakeXl.at(tmp.resolve("none"));
        CommandRunner child = FakeXl.fromEnvironment(Map.of(FakeXl.ENV, tmp.resolve("xl").toString()), none);
        assertThat(child.run(List.of("xl", "list", "web1")).stdout()).contains("web1 ");
        assertThat(FakeXl.fromEnvironment(Map.of(), none)).isSameAs(none);
    }
}
