package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.host.CommandRunner;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;

/** {@code show}, {@code groups} and {@code check} on the fake hosts: every field of DESIGN.md's JSON. */
class ShowGroupsCheckTest {
    @TempDir
    Path tmp;

    static Cli.Result on(FakeHost h, String... args) {
        return on(new Cli(), h, args);
    }

    static Cli.Result on(Cli cli, FakeHost h, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString()));
        return cli.run(a.toArray(String[]::new));
    }

    static JsonNode json(FakeHost h, String... args) {
        Cli.Result r = on(h, args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r.json();
    }

    @Test
    void showNvmeGivesGroupUsageResetLinkHeaderAndModule() {
        JsonNode d = json(HostTrees.kvmWorkstation(tmp), "show", "pci_0000_3d_00_0", "--json");
        assertThat(d.get("address").asText()).isEqualTo(WS_NVME);
        assertThat(d.get("nodedevName").asText()).isEqualTo("pci_0000_3d_00_0");
        assertThat(d.get("group").get("id").asInt()).isEqualTo(21);
        assertThat(d.get("group").get("members").toString())
                .isEqualTo("[{\"address\":\"0000:3d:00.0\",\"driver\":\"nvme\",\"bridge\":false}]");
        assertThat(d.get("usage")).hasSize(3);
        assertThat(d.get("usage").get(0).get("kind").asText()).isEqualTo("block");
        assertThat(d.get("usage").get(0).get("name").asText()).isEqualTo("nvme0n1p2");
        assertThat(d.get("usage").get(0).get("detail").asText()).isEqualTo("mounted at / (ext4)");
        assertThat(d.get("usage").get(2).get("name").asText()).isEqualTo("dm-0");
        assertThat(d.get("usage").get(2).get("detail").asText()).isEqualTo("mounted at /home (ext4)");
        assertThat(d.get("resetMethods").toString()).isEqualTo("[\"flr\",\"bus\"]");
        assertThat(d.get("link").toString())
                .isEqualTo("{\"speed\":\"8.0 GT/s PCIe\",\"width\":4,\"maxSpeed\":\"8.0 GT/s PCIe\",\"maxWidth\":4}");
        assertThat(d.get("bootVga").asBoolean()).isFalse();
        assertThat(d.get("headerType").asText()).isEqualTo("endpoint");
        assertThat(d.get("module").asText()).isEqualTo("nvme");
        assertThat(d.get("sriov").isNull()).isTrue();
        assertThat(d.get("owner").isNull()).isTrue();
    }

    @Test
    void showSriovRelativesBootVgaBridgeAndBuiltInDriver() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        JsonNode pf = json(h, "show", "03:00.0", "--json");
        assertThat(pf.get("sriov").toString()).isEqualTo("{\"totalVfs\":7,\"numVfs\":2}");
        assertThat(pf.get("virtfns").toString()).isEqualTo("[\"0000:03:10.0\",\"0000:03:10.4\"]");
        assertThat(pf.get("physfn").isNull()).isTrue();
        assertThat(pf.get("numaNode").asInt()).isZero();
        JsonNode vf = json(h, "show", "0000:03:10.4", "--json");
        assertThat(vf.get("physfn").asText()).isEqualTo(WS_SRIOV_PF);
        assertThat(vf.get("module").asText()).isEqualTo("vfio_pci");
        assertThat(vf.get("usage")).isEmpty();
        JsonNode igpu = json(h, "show", WS_IGPU, "--json");
        assertThat(igpu.get("bootVga").asBoolean()).isTrue();
        assertThat(igpu.get("usage").toString()).contains("\"kind\":\"console\"");
        JsonNode port = json(h, "show", WS_ROOT_PORT, "--json");
        assertThat(port.get("headerType").asText()).isEqualTo("bridge");
        assertThat(port.get("driver").asText()).isEqualTo("pcieport");
        assertThat(port.get("module").isNull()).as("pcieport is built in").isTrue();
        JsonNode nic = json(h, "show", WS_DEFAULT_NIC, "--json");
        assertThat(nic.get("usage").get(0).get("kind").asText()).isEqualTo("net");
        assertThat(nic.get("usage").get(0).get("name").asText()).isEqualTo("enp9s0");
    }

    @Test
    void showPrintsAReadableSummary() {
        Cli.Result r = on(HostTrees.kvmWorkstation(tmp), "show", WS_GPU);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("0000:0a:00.0 VGA compatible controller [0300]: NVIDIA Corporation")
                .contains("[10de:1b80]").contains("Verdict:      assignable")
                .contains("needs --with-group: shares group 13 with 0000:0a:00.1 (driver snd_hda_intel)");
    }

    @Test
    void groupsGiveMembersViabilityAndBlockers() {
        JsonNode groups = json(HostTrees.kvmWorkstation(tmp), "groups", "--json");
        Map<Integer, JsonNode> byId = new TreeMap<>();
        groups.forEach(g -> byId.put(g.get("id").asInt(), g));
        assertThat(byId).hasSize(23);
        JsonNode g17 = byId.get(17);
        assertThat(g17.get("members").toString()).isEqualTo("[{\"address\":\"0000:05:00.0\",\"driver\":null,"
                + "\"bridge\":true},{\"address\":\"0000:06:00.0\",\"driver\":\"e1000\",\"bridge\":false},"
                + "{\"address\":\"0000:06:01.0\",\"driver\":\"8139cp\",\"bridge\":false}]");
        assertThat(g17.get("viable").asBoolean()).isFalse();
        assertThat(g17.get("blockers").toString()).isEqualTo("[\"0000:06:00.0\",\"0000:06:01.0\"]");
        assertThat(byId.get(7).get("viable").asBoolean()).isTrue();
        assertThat(byId.get(7).get("blockers")).isEmpty();
        assertThat(byId.get(1).get("viable").asBoolean()).as("a root port on pcieport never blocks").isTrue();
        assertThat(byId.get(9).get("blockers").toString()).isEqualTo("[\"0000:00:02.0\"]");
        assertThat(byId.get(22).get("blockers").toString()).isEqualTo("[\"0000:00:1f.0\",\"0000:00:1f.4\"]");
    }

    @Test
    void groupsMatchTheKernelsIommuGroupsDirectories() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        JsonNode groups = json(h, "groups", "--json");
        for (JsonNode g : groups) {
            List<String> members = new ArrayList<>();
            g.get("members").forEach(m -> members.add(m.get("address").asText()));
            try (var s = Files.list(h.sysfs().resolve("kernel/iommu_groups/" + g.get("id").asInt() + "/devices"))) {
                assertThat(members).containsExactlyElementsOf(s.map(p -> p.getFileName().toString()).sorted().toList());
            }
        }
    }

    @Test
    void groupsWithoutAnIommuSayWhy() {
        Cli.Result r = on(HostTrees.kvmNoIommu(tmp), "groups");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("no IOMMU groups").contains("pcipass check");
        assertThat(on(HostTrees.kvmNoIommu(tmp.resolve("j")), "groups", "--json").json()).isEmpty();
    }

    static Map<String, JsonNode> checks(Cli.Result r) {
        Map<String, JsonNode> out = new TreeMap<>();
        r.json().forEach(c -> out.put(c.get("name").asText(), c));
        return out;
    }

    @Test
    void checkOnAKvmHostWithAnIommuPasses() {
        Cli.Result r = on(HostTrees.kvmWorkstation(tmp), "check", "--json");
        assertThat(r.exitCode()).isZero();
        Map<String, JsonNode> c = checks(r);
        assertThat(c.keySet()).contains("hypervisor", "iommu", "stub pciback", "stub vfio-pci", "stub pci-stub",
                "os-release");
        assertThat(c.get("hypervisor").get("status").asText()).isEqualTo("PASS");
        assertThat(c.get("hypervisor").get("detail").asText()).contains("/dev/kvm");
        assertThat(c.get("iommu").get("status").asText()).isEqualTo("PASS");
        assertThat(c.get("iommu").get("detail").asText()).contains("23 IOMMU groups").contains("dmar0");
        assertThat(c.get("stub vfio-pci").get("detail").asText()).isEqualTo("vfio-pci is loaded");
        assertThat(c.get("stub pci-stub").get("detail").asText()).contains("available under /lib/modules/6.1.0-26-amd64");
        assertThat(c.values()).allSatisfy(x -> assertThat(x.has("fix")).isTrue());
    }

    @Test
    void checkWithoutAnIommuFailsWithExit4AndGivesTheKernelArguments() {
        Cli.Result r = on(HostTrees.kvmNoIommu(tmp), "check");
        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.out()).contains("FAIL  iommu").contains("intel_iommu=on").contains("iommu=pt");
        Map<String, JsonNode> c = checks(on(HostTrees.kvmNoIommu(tmp.resolve("j")), "check", "--json"));
        assertThat(c.get("iommu").get("status").asText()).isEqualTo("FAIL");
        assertThat(c.get("iommu").get("fix").asText()).contains("intel_iommu=on");
        assertThat(c.get("stub vfio-pci").get("detail").asText()).contains("module vfio-pci is available");
    }

    @Test
    void checkInAXenDom0WithoutXlSaysTheIommuIsXens() {
        Map<String, JsonNode> c = checks(on(new Cli().runner(new FakeXl(null)), HostTrees.xenDom0(tmp), "check",
                "--json"));
        assertThat(c.get("hypervisor").get("detail").asText()).contains("Xen dom0");
        assertThat(c.get("iommu").get("status").asText()).isEqualTo("INFO");
        assertThat(c.get("iommu").get("detail").asText()).contains("belongs to Xen");
        assertThat(c.get("stub pciback").get("status").asText()).isEqualTo("PASS");
    }

    @Test
    void checkInAXenDom0ReadsVirtCapsFromAFakeXlBecauseNoXenHypervisorRunsHere() {
        FakeHost h = HostTrees.xenDom0(tmp);
        Map<String, JsonNode> on = checks(on(new Cli().runner(new FakeXl("hvm hvm_directio pv pv_directio")), h,
                "check", "--json"));
        assertThat(on.get("iommu").get("status").asText()).isEqualTo("PASS");
        assertThat(on.get("iommu").get("detail").asText()).contains("hvm_directio");
        Cli.Result off = on(new Cli().runner(new FakeXl("hvm pv")), h, "check");
        assertThat(off.exitCode()).isEqualTo(4);
        assertThat(off.out()).contains("FAIL  iommu").contains("reach dom0 memory by DMA").contains("iommu=1");
    }

    @Test
    void checkOnARhel5RootWarnsThatHvmPassthroughNeedsRhel54() {
        Cli.Result r = on(HostTrees.rhel5Root(tmp), "check");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("INFO  os-release").contains("release 5.3")
                .contains("WARN  hvm passthrough HVM passthrough needs RHEL 5.4 or newer (this root is 5.3)")
                .contains("module pciback is available under /lib/modules/" + RHEL5_RELEASE);
    }

    @Test
    void checkOnARhel54RootPasses() {
        FakeHost h = HostTrees.rhel5Root(tmp);
        Fs.write(h.configRoot().resolve("etc/redhat-release"), "Red Hat Enterprise Linux Server release 5.4 (Tikanga)\n");
        Map<String, JsonNode> c = checks(on(h, "check", "--json"));
        assertThat(c.get("os-release").get("status").asText()).isIn("PASS", "INFO");
        assertThat(c.get("os-release").get("detail").asText()).contains("release 5.4").doesNotContain("needs");
    }

    /** {@code xl info} as a Xen 4.x dom0 prints it; null: xl is not installed. */
    record FakeXl(String virtCaps) implements CommandRunner {
        @Override
        public Result run(List<String> argv) {
            assertThat(argv).containsExactly("xl", "info");
            return new Result(0, "host                   : dom0\nrelease                : 4.19.0+1\n"
                    + "xen_major              : 4\nxen_minor              : 17\nvirt_caps              : " + virtCaps
                    + "\ntotal_memory           : 65413\n", "");
        }

        @Override
        public boolean available(String program) {
            return virtCaps != null && program.equals("xl");
        }
    }
}
