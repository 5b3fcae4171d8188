package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.host.CommandRunner.Result;

/** The simulator as CommandRunner: modprobe loading stub drivers that are installed but not loaded. */
class KernelSimModprobeTest {
    @TempDir
    Path tmp;

    @Test
    void modprobeLoadsVfioPciWhenOnlyInstalled() throws IOException {
        FakeHost h = HostTrees.kvmNoIommu(tmp);
        Path sys = h.sysfs();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        assertThat(sys.resolve("bus/pci/drivers/vfio-pci")).doesNotExist();
        assertThat(sim.available("modprobe")).isTrue();
        assertThat(sim.available("/sbin/modprobe")).isTrue();
        assertThat(sim.available("xl")).isFalse();

        Result r = sim.run(List.of("modprobe", "vfio-pci"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Path d = sys.resolve("bus/pci/drivers/vfio-pci");
        for (String f : List.of("bind", "unbind", "new_id", "remove_id")) {
            assertThat(d.resolve(f)).isRegularFile();
        }
        assertThat(d.resolve("module").toRealPath()).isEqualTo(sys.resolve("module/vfio_pci").toRealPath());
        assertThat(Fs.read(sys.resolve("module/vfio_pci/initstate"))).isEqualTo("live\n");
        assertThat(Fs.read(sys.resolve("module/vfio_pci_core/initstate"))).as("dependency").isEqualTo("live\n");
        assertThat(sys.resolve("bus/pci/drivers/vfio_pci_core")).as("not a PCI driver").doesNotExist();
        assertThat(sim.run(List.of("/sbin/modprobe", "-q", "vfio_pci")).exitCode()).as("already loaded").isZero();
        assertThat(sim.probeOrder()).endsWith("vfio-pci");

        // no IOMMU: vfio-pci refuses every device
        String spare = HostTrees.NI_SPARE;
        sim.write(sys.resolve("bus/pci/devices").resolve(spare).resolve("driver_override"), "vfio-pci");
        sim.write(sys.resolve("bus/pci/devices").resolve(spare).resolve("driver/unbind"), spare);
        assertThatThrownBy(() -> sim.write(d.resolve("bind"), spare)).hasMessage("Invalid argument");

        Result missing = sim.run(List.of("modprobe", "nosuch-mod"));
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr())
                .isEqualTo("modprobe: FATAL: Module nosuch-mod not found in directory /lib/modules/6.1.0-26-amd64\n");
        assertThat(sim.run(List.of("modprobe", "-q", "nosuch")).stderr()).as("-q is quiet").isEmpty();
        assertThat(sim.run(List.of("xl", "info")).exitCode()).isEqualTo(127);
        assertThat(new KernelSim(sys, h.configRoot()).commandsRun()).containsExactly(List.of("modprobe", "vfio-pci"),
                List.of("/sbin/modprobe", "-q", "vfio_pci"), List.of("modprobe", "nosuch-mod"),
                List.of("modprobe", "-q", "nosuch"), List.of("xl", "info"));
    }

    @Test
    void modprobePciStubWithIdsOptionTakesTheUnboundDevice() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path sys = h.sysfs();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        String e1000 = HostTrees.WS_E1000;
        sim.write(sys.resolve("bus/pci/drivers/e1000/unbind"), e1000);
        h.rootfs().file("etc/modprobe.d/pcipass.conf", "# by pcipass\noptions pci-stub ids=8086:100e\n");
        assertThat(sys.resolve("bus/pci/drivers/pci-stub")).doesNotExist();
        assertThat(sim.run(List.of("/usr/sbin/modprobe", "pci_stub")).exitCode()).isZero();
        assertThat(sim.driverOf(e1000)).isEqualTo("pci-stub");
        assertThat(sim.idTable("pci-stub")).containsExactly(new KernelSim.PciId(0x8086, 0x100e));
        assertThat(sim.driverOf(HostTrees.WS_RTL8139)).isEqualTo("8139cp");
        // modprobe -r unbinds and unloads; built-in modules cannot be removed
        assertThat(sim.run(List.of("modprobe", "-r", "pci-stub")).exitCode()).isZero();
        assertThat(sim.driverOf(e1000)).isNull();
        assertThat(sys.resolve("bus/pci/drivers/pci-stub")).doesNotExist();
        assertThat(sys.resolve("module/pci_stub")).doesNotExist();
        assertThat(sim.run(List.of("modprobe", "-r", "pcieport")).stderr()).contains("is builtin");
    }

    @Test
    void rhel5InstallLineLoadsPcibackFirstAndHideSeizesTheDevice() throws IOException {
        FakeHost h = HostTrees.rhel5Root(tmp);
        Path sys = h.sysfs();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        String bnx2 = HostTrees.R5_BNX2;
        assertThat(sim.run(List.of("modprobe", "-r", "bnx2")).exitCode()).isZero();
        assertThat(sim.driverOf(bnx2)).isNull();
        h.rootfs().file("etc/modprobe.conf", Fs.read(h.configRoot().resolve("etc/modprobe.conf"))
                + "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2\n"
                + "options pciback hide=(0000:09:00.0)\n");
        Result r = sim.run(List.of("modprobe", "bnx2"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(sim.driverOf(bnx2)).isEqualTo("pciback");
        assertThat(sim.pcibackSlots()).containsExactly(bnx2);
        assertThat(sim.probeOrder()).containsSubsequence("pciback", "bnx2");
        assertThat(Files.readSymbolicLink(sys.resolve("bus/pci/drivers/pciback/module")).getFileName().toString())
                .isEqualTo("pciback");
    }

    @Test
    void kernelCommandLineOptionsApplyToALoadedModule() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path sys = h.sysfs();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        h.rootfs().cmdline("ro quiet intel_iommu=on pci-stub.ids=10ec:8139");
        sim.write(sys.resolve("bus/pci/drivers/8139cp/unbind"), HostTrees.WS_RTL8139);
        assertThat(sim.run(List.of("modprobe", "pci-stub")).exitCode()).isZero();
        assertThat(sim.driverOf(HostTrees.WS_RTL8139)).isEqualTo("pci-stub");
    }

    /**
     * As on a real kernel (kmod appends /proc/cmdline's options after the files' and the kernel keeps
     * a string parameter's last value; RealKernelIT shows it): the command line's ids replace the line's.
     */
    @Test
    void theKernelCommandLinesIdsReplaceThoseOfAnOptionsLine() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path sys = h.sysfs();
        KernelSim sim = new KernelSim(sys, h.configRoot());
        sim.write(sys.resolve("bus/pci/drivers/e1000/unbind"), HostTrees.WS_E1000);
        sim.write(sys.resolve("bus/pci/drivers/8139cp/unbind"), HostTrees.WS_RTL8139);
        h.rootfs().file("etc/modprobe.d/pcipass.conf", "options pci-stub ids=8086:100e\n");
        h.rootfs().cmdline("ro quiet pci-stub.ids=10ec:8139");

        assertThat(sim.run(List.of("modprobe", "pci-stub")).exitCode()).isZero();

        assertThat(sim.idTable("pci-stub")).containsExactly(new KernelSim.PciId(0x10ec, 0x8139));
        assertThat(sim.driverOf(HostTrees.WS_RTL8139)).isEqualTo("pci-stub");
        assertThat(sim.driverOf(HostTrees.WS_E1000)).as("the line's ids were replaced").isNull();
    }
}
