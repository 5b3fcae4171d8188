package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_E1000;
import static org.pcipass.testing.HostTrees.WS_SPARE_NIC;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator across processes: pcipass (SimMain) and KernelSimCli in child JVMs started with
 * this JVM's class path (surefire's forked JVM reports the full test class path there), a kernel state shared
 * through the directories, SIGKILL, and real lspci reading the tree after simulated binds.
 */
class KernelSimChildProcessTest {
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    static String[] cli(FakeHost h, String... rest) {
        String[] a = new String[rest.length + 2];
        a[0] = h.sysfs().toString();
        a[1] = h.configRoot().toString();
        System.arraycopy(rest, 0, a, 2, rest.length);
        return a;
    }

    static ChildPcipass.Outcome cliRun(FakeHost h, String... rest) {
        try (ChildPcipass p = ChildPcipass.startMain(KernelSimCli.class, Map.of(), List.of(cli(h, rest)))) {
            return p.waitFor(TIMEOUT);
        }
    }

    @Test
    void listInAChildProcessAgreesWithRealLspciAfterSimulatedBinds() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path sys = h.sysfs();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        Path dev = sys.resolve("bus/pci/devices").resolve(WS_E1000);
        sim.write(dev.resolve("driver_override"), "vfio-pci");
        sim.write(dev.resolve("driver/unbind"), WS_E1000);
        sim.write(sys.resolve("bus/pci/drivers/vfio-pci/bind"), WS_E1000);
        sim.write(sys.resolve("bus/pci/devices").resolve(WS_SPARE_NIC).resolve("driver/unbind"), WS_SPARE_NIC);

        ChildPcipass.Outcome o = ChildPcipass.run(TIMEOUT, Map.of(), "list", "--json", "--sysfs", sys.toString(),
                "--config-root=" + h.configRoot());
        assertThat(o.exitCode()).as("stderr: %s", o.stderr()).isZero();
        Map<String, String> drivers = new HashMap<>();
        for (JsonNode d : new ObjectMapper().readTree(o.stdout())) {
            drivers.put(d.get("address").asText(), d.get("driver").isNull() ? null : d.get("driver").asText());
        }
        assertThat(drivers).containsEntry(WS_E1000, "vfio-pci").containsEntry(WS_SPARE_NIC, null)
                .containsEntry(HostTrees.WS_RTL8139, "8139cp").hasSize(HostTrees.WS_ALL.size());

        Lspci.require();
        Lspci.Result l = Lspci.run(sys);
        assertThat(l.get(WS_E1000).get("Driver")).isEqualTo("vfio-pci");
        assertThat(l.get(WS_SPARE_NIC).get("Driver")).isNull();
        for (String a : HostTrees.WS_ALL) {
            assertThat(drivers.get(a)).as(a).isEqualTo(l.get(a).get("Driver"));
        }
    }

    @Test
    void anotherProcessSharesTheKernel() throws IOException {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        Path sys = h.sysfs();
        String spare = HostTrees.NI_SPARE;
        Path dev = sys.resolve("bus/pci/devices").resolve(spare);
        ChildPcipass.Outcome load = cliRun(h, "run", "modprobe", "vfio-pci");
        assertThat(load.exitCode()).as(load.stderr()).isZero();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        assertThat(sim.commandsRun()).containsExactly(List.of("modprobe", "vfio-pci"));
        assertThat(sys.resolve("bus/pci/drivers/vfio-pci/bind")).isRegularFile();

        sim.injectBindError("e1000e", spare, "EIO");
        assertThat(cliRun(h, "write", dev.resolve("driver/unbind").toString(), spare).exitCode()).isZero();
        ChildPcipass.Outcome bind = cliRun(h, "write", sys.resolve("bus/pci/drivers/e1000e/bind").toString(), spare);
        assertThat(bind.exitCode()).isEqualTo(1);
        assertThat(bind.stderr()).isEqualTo("KernelSimCli: Input/output error\n");
        assertThat(sim.driverOf(spare)).isNull();
        sim.clearFaults();
        assertThat(cliRun(h, "write", sys.resolve("bus/pci/drivers_probe").toString(), spare).exitCode()).isZero();
        assertThat(sim.driverOf(spare)).isEqualTo("e1000e");
    }

    @Test
    void sigkillWhileAWriteIsPausedAndAHaltingCrash() throws IOException {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        Path sys = h.sysfs();
        String spare = HostTrees.NI_SPARE;
        Path unbind = sys.resolve("bus/pci/drivers/e1000e/unbind");
        KernelSim sim = new KernelSim(sys, h.configRoot()).pauseBeforeWrite("bus/pci/drivers/e1000e/unbind");
        try (ChildPcipass p = ChildPcipass.startMain(KernelSimCli.class, Map.of(),
                List.of(cli(h, "write", unbind.toString(), spare)))) {
            assertThat(sim.awaitPause(TIMEOUT)).isEqualTo("bus/pci/drivers/e1000e/unbind");
            assertThat(p.isAlive()).isTrue();
            ChildPcipass.Outcome killed = p.kill();
            assertThat(killed.exitCode()).as("SIGKILL").isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }
        sim.resume();
        assertThat(sim.driverOf(spare)).as("killed before the write").isEqualTo("e1000e");

        sim.crashAfterWrite("bus/pci/drivers/e1000e/unbind");
        ChildPcipass.Outcome crashed = cliRun(h, "write", unbind.toString(), spare);
        assertThat(crashed.exitCode()).as(crashed.stderr()).isEqualTo(137);
        assertThat(sim.driverOf(spare)).as("the write took effect before the crash").isNull();
    }

    @Test
    void simMainTakesTheTreesFromTheEnvironmentAndRefusesNone() throws IOException {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        ChildPcipass.Outcome o = ChildPcipass.run(TIMEOUT, Map.of("PCIPASS_SYSFS", h.sysfs().toString(),
                "PCIPASS_CONFIG_ROOT", h.configRoot().toString()), "groups", "--json");
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        JsonNode groups = new ObjectMapper().readTree(o.stdout());
        assertThat(groups.isArray()).isTrue();
        assertThat(groups).as("no IOMMU, no groups").isEmpty();
        assertThat(SimMain.option(new String[] {"--sysfs", "/a", "list", "--sysfs=/b", "--", "--sysfs", "/c"},
                "--sysfs", "/env")).isEqualTo("/b");
        assertThat(SimMain.option(new String[] {"list"}, "--config-root", null)).isNull();
        assertThat(SimMain.simulator(new String[] {"list"}, Map.of())).as("never the real /sys").isNull();
    }
}
