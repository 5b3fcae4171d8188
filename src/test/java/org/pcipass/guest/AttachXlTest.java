package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.FakeXl;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/** attach and detach through xl in a Xen dom0: the default backend there, with the fake xl over the kernel simulator. */
class AttachXlTest {
    @TempDir
    Path tmp;

    record Host(FakeHost fake, KernelSim sim, FakeXl xl, Path state) {
        Cli.Result run(String... args) {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("--sysfs", fake.sysfs().toString(), "--config-root", fake.configRoot().toString(),
                    "--state-dir", state.toString()));
            return new Cli().kernel(sim).runner(xl).run(a.toArray(String[]::new));
        }

        Cli.Result ok(String... args) {
            Cli.Result r = run(args);
            assertThat(r.exitCode()).as(String.join(" ", args) + "\nstdout: " + r.out() + "\nstderr: " + r.err())
                    .isZero();
            return r;
        }
    }

    private Host dom0() {
        FakeHost h = HostTrees.xenDom0(tmp.resolve("h"));
        KernelSim sim = new KernelSim(h.sysfs(), h.configRoot());
        FakeXl xl = FakeXl.at(tmp.resolve("xl")).over(sim).sysfs(h.sysfs());
        return new Host(h, sim, xl, tmp.resolve("state"));
    }

    @Test
    void inADom0XlIsTheDefaultAndAttachHidesOnPcibackThenAttaches() {
        Host h = dom0();
        h.xl().domain("pv1").pv().passthrough("enabled").create();
        Cli.Result r = h.ok("attach", "pv1", XEN_BNX2, "--json");
        JsonNode steps = r.json().get("steps");
        JsonNode attach = steps.get(steps.size() - 1);
        assertThat(attach.get("backend").asText()).isEqualTo("xl");
        assertThat(attach.get("connect").isNull()).isTrue();
        assertThat(attach.get("mode").asText()).isEqualTo("live");
        assertThat(h.sim().driverOf(XEN_BNX2)).isEqualTo("pciback");
        assertThat(h.xl().pciList("pv1")).containsExactly(XEN_BNX2);
        assertThat(h.xl().calls()).noneMatch(c -> c.contains("pci-assignable-add"));
        JsonNode as = h.ok("assignments", "--json").json();
        assertThat(as.get(0).get("backend").asText()).isEqualTo("xl");
        assertThat(as.get(0).get("state").asText()).isEqualTo("attached");

        h.ok("detach", "pv1", XEN_BNX2, "--return");
        assertThat(h.xl().pciList("pv1")).isEmpty();
        assertThat(h.sim().driverOf(XEN_BNX2)).isEqualTo("bnx2");
    }

    @Test
    void configWithXlPointsToTheConfigCommand() {
        Host h = dom0();
        h.xl().domain("pv1").pv().passthrough("enabled").create();
        Cli.Result r = h.run("attach", "pv1", XEN_BNX2, "--config");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("pcipass config " + XEN_BNX2 + " --format xl");
        assertThat(h.xl().calls()).noneMatch(c -> c.contains("pci-attach"));
    }

    @Test
    void aDeviceXlCannotNameIsBadInputBeforeAnything() {
        Host h = dom0();
        h.xl().domain("pv1").pv().passthrough("enabled").create();
        Cli.Result r = h.run("attach", "pv1", "10000:e1:00.0");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("pcipass: 10000:e1:00.0 cannot be given to a guest through xl: ")
                .endsWith("(xl addresses PCI domains up to ffff); use --via libvirt\n");
        assertThat(h.xl().calls()).noneMatch(c -> c.contains("pci-attach"));
    }

    @Test
    void aGuestCreatedWithoutPassthroughIsRefusedBeforeXenSaysOperationNotSupported() {
        Host h = dom0();
        h.xl().domain("plain").pv().create();
        Cli.Result r = h.run("attach", "plain", XEN_BNX2);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("guest plain cannot take a hot-plugged PCI device");
        assertThat(h.sim().driverOf(XEN_BNX2)).isEqualTo("bnx2");
        h.xl().domain("withpci").pv().pci(XEN_PCIBACK).create();
        assertThat(h.run("attach", "withpci", XEN_BNX2).exitCode()).as("created with PCI devices: hot-plug works")
                .isZero();
    }

    @Test
    void aPvGuestWithoutXensIommuGetsTheDmaWarning() {
        Host h = dom0();
        // Xen 4.17's libxl refuses passthrough at creation without an IOMMU: the fake's IOMMU goes off afterwards
        h.xl().domain("pv1").pv().passthrough("enabled").create().iommu(false);
        Cli.Result r = h.run("attach", "pv1", XEN_BNX2);
        assertThat(r.out()).contains("warning: Xen's IOMMU is not active: PV guest pv1 can reach dom0's memory by DMA");
        // and Xen 4.17 itself then refuses the assignment: rolled back
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("xc_assign_device failed: Operation not supported").contains("back on bnx2");
        assertThat(h.sim().driverOf(XEN_BNX2)).isEqualTo("bnx2");
    }

    @Test
    void aDetachAPvGuestNeverAnswersStaysPending() {
        Host h = dom0();
        h.xl().domain("pv1").pv().passthrough("enabled").neverReleases().create();
        h.ok("attach", "pv1", XEN_BNX2);
        Cli.Result r = h.run("detach", "pv1", XEN_BNX2, "--return", "--timeout", "1");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(h.sim().driverOf(XEN_BNX2)).isEqualTo("pciback");
        assertThat(h.ok("assignments", "--json").json().get(0).get("state").asText()).isEqualTo("detach-pending");
        assertThat(h.run("unhide", XEN_BNX2).exitCode()).isEqualTo(3);
    }

    @Test
    void devicesOtherToolsAssignedThroughXlAreExternal() {
        Host h = dom0();
        h.xl().domain("other").pv().pci(XEN_PCIBACK).create();
        h.xl().domain("pv1").pv().passthrough("enabled").create();
        JsonNode as = h.ok("assignments", "--json").json();
        assertThat(as).hasSize(1);
        assertThat(as.get(0).get("device").asText()).isEqualTo(XEN_PCIBACK);
        assertThat(as.get(0).get("state").asText()).isEqualTo("external");
        Cli.Result r = h.run("attach", "pv1", XEN_PCIBACK);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("assigned to guest other by another tool");
        JsonNode list = h.ok("list", "--json").json();
        for (JsonNode d : list) {
            if (d.get("address").asText().equals(XEN_PCIBACK)) {
                assertThat(d.get("owner").asText()).isEqualTo("other");
                assertThat(d.get("verdict").asText()).isEqualTo("assigned");
            }
        }
    }
}
