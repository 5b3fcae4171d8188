package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.testing.HostTrees.NI_SPARE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator's state lives on disk: a new instance sees what another did; faults that shape
 * time (vfio node delay, pause, crash) and the logs of writes and commands. Uses a small KVM host
 * with an IOMMU whose spare NIC can go to vfio-pci.
 */
class KernelSimStateTest {
    static final String NIC = "0000:01:00.0";

    @TempDir
    Path tmp;
    FakeHost host;
    Path sys;

    @BeforeEach
    void setUp() {
        host = FakeHost.create(tmp).kvm().withIommu();
        PciDev rp = host.pci("0000:00:1c.0").ids(0x8086, 0xa33c).pciClass(0x060400).headerType(1).buses(1, 1)
                .builtinDriver("pcieport", "pcieport").iommuGroup(3).build();
        host.pci(NIC).parent(rp).ids(0x8086, 0x10d3).pciClass(0x020000).driver("e1000e", "e1000e").iommuGroup(4)
                .build();
        host.driver("vfio-pci", "vfio_pci");
        sys = host.sysfs();
    }

    KernelSim sim() {
        return new KernelSim(sys, host.configRoot());
    }

    Path nic(String file) {
        return sys.resolve("bus/pci/devices").resolve(NIC).resolve(file);
    }

    void hide(KernelSim k) throws IOException {
        k.write(nic("driver_override"), "vfio-pci");
        k.write(nic("driver/unbind"), NIC);
        k.write(sys.resolve("bus/pci/drivers/vfio-pci/bind"), NIC);
    }

    @Test
    void aSecondInstanceSeesTheFirstsKernel() throws IOException {
        KernelSim first = sim();
        first.claims("igb", 0x8086, 0x10d3).probeOrder(List.of("vfio-pci")).injectBindError("e1000e", NIC, "EIO");
        hide(first);
        first.run(List.of("modprobe", "-q", "vfio-pci"));

        KernelSim second = sim();
        assertThat(second.driverOf(NIC)).isEqualTo("vfio-pci");
        assertThat(second.driverOverride(NIC)).isEqualTo("vfio-pci");
        assertThat(second.idTable("igb")).containsExactly(new KernelSim.PciId(0x8086, 0x10d3));
        assertThat(second.idTable("e1000e")).as("computed once from the tree").contains(new KernelSim.PciId(0x8086, 0x10d3));
        assertThat(second.probeOrder().get(0)).isEqualTo("vfio-pci");
        assertThat(second.commandsRun()).containsExactly(List.of("modprobe", "-q", "vfio-pci"));
        second.write(nic("driver_override"), "\n");
        second.write(nic("driver/unbind"), NIC);
        assertThatThrownBy(() -> second.write(sys.resolve("bus/pci/drivers/e1000e/bind"), NIC))
                .as("the fault injected through the first").hasMessage("Input/output error");
        assertThat(first.writes()).extracting(KernelSim.Write::path).containsExactly(
                "bus/pci/devices/" + NIC + "/driver_override", "bus/pci/devices/" + NIC + "/driver/unbind",
                "bus/pci/drivers/vfio-pci/bind", "bus/pci/devices/" + NIC + "/driver_override",
                "bus/pci/devices/" + NIC + "/driver/unbind", "bus/pci/drivers/e1000e/bind");
        assertThat(first.writes().get(5)).isEqualTo(new KernelSim.Write("bus/pci/drivers/e1000e/bind", NIC, "EIO"));
        assertThat(first.writes().get(3).value()).isEqualTo("\n");
        assertThat(KernelSim.simDir(sys)).isEqualTo(tmp.resolve("sim")).isDirectory();
    }

    @Test
    void vfioNodeAppearsAfterAnInjectedDelayOrNever() throws Exception {
        KernelSim k = sim().delayVfioNode(NIC, Duration.ofMillis(400));
        Path node = host.configRoot().resolve("dev/vfio/4");
        hide(k);
        assertThat(node).as("not yet").doesNotExist();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(node) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(node).exists();

        k.clearFaults().delayVfioNode("*", null);
        k.write(sys.resolve("bus/pci/drivers/vfio-pci/unbind"), NIC);
        assertThat(node).doesNotExist();
        k.write(sys.resolve("bus/pci/drivers/vfio-pci/bind"), NIC);
        Thread.sleep(300);
        assertThat(node).as("never").doesNotExist();
    }

    @Test
    void crashAfterWriteLeavesTheWriteDoneAndFiresOnce() throws IOException {
        KernelSim k = sim().crashAfterWrite("bus/pci/drivers/e1000e/unbind");
        k.write(nic("driver_override"), "vfio-pci");
        assertThatThrownBy(() -> k.write(nic("driver/unbind"), NIC))
                .as("matches the resolved path too").isInstanceOf(KernelSim.SimulatedCrash.class);
        assertThat(k.driverOf(NIC)).isNull();
        k.write(sys.resolve("bus/pci/drivers/vfio-pci/bind"), NIC);
        k.write(sys.resolve("bus/pci/drivers/vfio-pci/unbind"), NIC);
        k.write(nic("driver_override"), "\n");
        k.write(sys.resolve("bus/pci/drivers/e1000e/bind"), NIC);
        k.write(sys.resolve("bus/pci/drivers/e1000e/unbind"), NIC);   // consumed: no second crash
    }

    @Test
    void pauseBeforeWriteHoldsTheWriterUntilResumed() throws Exception {
        KernelSim k = sim().pauseBeforeWrite("bus/pci/drivers/vfio-pci/bind");
        k.write(nic("driver_override"), "vfio-pci");
        k.write(nic("driver/unbind"), NIC);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                sim().write(sys.resolve("bus/pci/drivers/vfio-pci/bind"), NIC);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(k.awaitPause(Duration.ofSeconds(10))).isEqualTo("bus/pci/drivers/vfio-pci/bind");
        Thread.sleep(100);
        assertThat(writer).isNotDone();
        assertThat(k.driverOf(NIC)).as("the kernel is not locked while paused").isNull();
        k.resume();
        writer.get(10, TimeUnit.SECONDS);
        assertThat(k.driverOf(NIC)).isEqualTo("vfio-pci");
    }

    @Test
    void injectedWriteErrorOnAnyPath() throws IOException {
        KernelSim k = sim().injectWriteError("bus/pci/devices/" + NIC + "/driver_override", "EPERM");
        assertThatThrownBy(() -> k.write(nic("driver_override"), "vfio-pci")).hasMessage("Operation not permitted");
        assertThat(k.driverOverride(NIC)).isNull();
        assertThat(KernelSimErrno.named("-enospc").strerror()).isEqualTo("No space left on device");
        assertThat(KernelSimErrno.ofMessage("Device or resource busy")).isEqualTo(KernelSimErrno.EBUSY);
    }

    @Test
    void noIommuHostRefusesVfio(@TempDir Path dir) throws IOException {
        FakeHost h = HostTrees.kvmNoIommu(dir);
        KernelSim k = new KernelSim(h.sysfs(), h.configRoot());
        k.registerDriver("vfio-pci", "vfio_pci");
        Path d = h.sysfs().resolve("bus/pci/devices").resolve(NI_SPARE);
        k.write(d.resolve("driver_override"), "vfio-pci");
        k.write(d.resolve("driver/unbind"), NI_SPARE);
        assertThatThrownBy(() -> k.write(h.sysfs().resolve("bus/pci/drivers/vfio-pci/bind"), NI_SPARE))
                .hasMessage("Invalid argument");
    }
}
