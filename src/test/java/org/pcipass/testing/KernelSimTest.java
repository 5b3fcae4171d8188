package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.testing.HostTrees.WS_E1000;
import static org.pcipass.testing.HostTrees.WS_PCI_BRIDGE;
import static org.pcipass.testing.HostTrees.WS_RTL8139;
import static org.pcipass.testing.HostTrees.WS_SPARE_NIC;
import static org.pcipass.testing.HostTrees.WS_SRIOV_PF;
import static org.pcipass.testing.HostTrees.WS_VF1;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's driver core against REFERENCE.md "Binding" and "IOMMU groups", on kvmWorkstation. */
class KernelSimTest {
    @TempDir
    Path tmp;
    FakeHost host;
    KernelSim sim;
    Path sys;

    @BeforeEach
    void setUp() {
        host = HostTrees.kvmWorkstation(tmp);
        sys = host.sysfs();
    }

    KernelSim sim() {
        if (sim == null) {
            sim = new KernelSim(sys, host.configRoot());
        }
        return sim;
    }

    Path dev(String a) {
        return sys.resolve("bus/pci/devices").resolve(a);
    }

    Path drv(String d) {
        return sys.resolve("bus/pci/drivers").resolve(d);
    }

    void write(Path p, String v) throws IOException {
        sim().write(p, v);
    }

    String read(Path p) {
        return Fs.read(p);
    }

    int refcnt(String module) {
        return Integer.parseInt(read(sys.resolve("module").resolve(module).resolve("refcnt")).strip());
    }

    @Test
    void hideAndReturnE1000ThroughOverrideUnbindBind() throws IOException {
        Path vfio17 = host.configRoot().resolve("dev/vfio/17");
        int vfioRefs = refcnt("vfio_pci");
        write(dev(WS_E1000).resolve("driver_override"), "vfio-pci");
        assertThat(read(dev(WS_E1000).resolve("driver_override"))).isEqualTo("vfio-pci\n");
        assertThat(sim().driverOf(WS_E1000)).as("an override does nothing by itself").isEqualTo("e1000");
        write(dev(WS_E1000).resolve("driver/unbind"), WS_E1000);
        assertThat(Files.exists(dev(WS_E1000).resolve("driver"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(drv("e1000").resolve(WS_E1000), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        write(drv("vfio-pci").resolve("bind"), WS_E1000);
        assertThat(sim().driverOf(WS_E1000)).isEqualTo("vfio-pci");
        Path link = dev(WS_E1000).resolve("driver");
        assertThat(Files.readSymbolicLink(link).isAbsolute()).isFalse();
        assertThat(link.toRealPath()).isEqualTo(drv("vfio-pci").toRealPath());
        assertThat(drv("vfio-pci").resolve(WS_E1000).toRealPath()).isEqualTo(dev(WS_E1000).toRealPath());
        assertThat(Files.readSymbolicLink(drv("vfio-pci").resolve(WS_E1000)).isAbsolute()).isFalse();
        assertThat(vfio17).exists();
        assertThat(refcnt("vfio_pci")).isEqualTo(vfioRefs + 1);
        assertThat(refcnt("e1000")).isZero();

        // return: clear the override, unbind from the stub, bind the recorded original driver
        write(dev(WS_E1000).resolve("driver_override"), "\n");
        assertThat(read(dev(WS_E1000).resolve("driver_override"))).isEqualTo("(null)\n");
        write(drv("vfio-pci").resolve("unbind"), WS_E1000 + "\n");
        assertThat(vfio17).as("no member of group 17 is on vfio-pci any more").doesNotExist();
        write(drv("e1000").resolve("bind"), WS_E1000);
        assertThat(sim().driverOf(WS_E1000)).isEqualTo("e1000");
        assertThat(refcnt("vfio_pci")).isEqualTo(vfioRefs);
    }

    @Test
    void spareNicLeavesVfioAndNothingClaimsItUntilItsDriverLoads() throws IOException {
        write(dev(WS_SPARE_NIC).resolve("driver_override"), "");
        write(dev(WS_SPARE_NIC).resolve("driver/unbind"), WS_SPARE_NIC);
        assertThat(host.configRoot().resolve("dev/vfio/15")).doesNotExist();
        write(sys.resolve("bus/pci/drivers_probe"), WS_SPARE_NIC);
        assertThat(sim().driverOf(WS_SPARE_NIC)).as("vfio-pci has no static ids; nothing else claims 8086:10fb")
                .isNull();
        sim().claims("ixgbe", 0x8086, 0x10fb).registerDriver("ixgbe", "ixgbe");
        assertThat(sim().driverOf(WS_SPARE_NIC)).as("a new driver is offered every unbound device").isEqualTo("ixgbe");
        assertThat(sim().probeOrder()).endsWith("ixgbe");
    }

    @Test
    void unbindErrors() throws IOException {
        assertThatThrownBy(() -> write(drv("vfio-pci").resolve("unbind"), WS_E1000))
                .isExactlyInstanceOf(IOException.class).hasMessage("No such device");
        assertThatThrownBy(() -> write(drv("e1000").resolve("unbind"), "06:00.0")).hasMessage("No such device");
        assertThatThrownBy(() -> write(drv("e1000").resolve("unbind"), "0000:77:00.0")).hasMessage("No such device");
        assertThat(sim().driverOf(WS_E1000)).isEqualTo("e1000");
        write(drv("e1000").resolve("unbind"), WS_E1000);
        assertThatThrownBy(() -> write(dev(WS_E1000).resolve("driver/unbind"), WS_E1000))
                .isInstanceOf(FileNotFoundException.class).hasMessageEndingWith("(No such file or directory)");
        // vfio-pci refuses while userspace holds the device
        sim().holdByUserspace(WS_VF1);
        assertThatThrownBy(() -> write(dev(WS_VF1).resolve("driver/unbind"), WS_VF1))
                .hasMessage("Device or resource busy");
        assertThat(sim().driverOf(WS_VF1)).isEqualTo("vfio-pci");
        sim().releaseByUserspace(WS_VF1);
        write(dev(WS_VF1).resolve("driver/unbind"), WS_VF1);
        assertThat(sim().driverOf(WS_VF1)).isNull();
        sim().injectUnbindError("8139cp", WS_RTL8139, "EPERM");
        assertThatThrownBy(() -> write(drv("8139cp").resolve("unbind"), WS_RTL8139))
                .hasMessage("Operation not permitted");
    }

    @Test
    void bindErrors() throws IOException {
        assertThatThrownBy(() -> write(drv("vfio-pci").resolve("bind"), "0000:77:00.0"))
                .as("no such device").hasMessage("No such device");
        write(drv("e1000").resolve("unbind"), WS_E1000);
        assertThatThrownBy(() -> write(drv("vfio-pci").resolve("bind"), WS_E1000))
                .as("vfio-pci has no id for it and no override names it").hasMessage("No such device");
        write(dev(WS_E1000).resolve("driver_override"), "pci-stub\n");
        assertThatThrownBy(() -> write(drv("e1000").resolve("bind"), WS_E1000))
                .as("an override naming another driver means no match").hasMessage("No such device");
        write(dev(WS_E1000).resolve("driver_override"), "e1000");
        write(drv("e1000").resolve("bind"), WS_E1000);
        write(dev(WS_E1000).resolve("driver_override"), "\n");
        assertThatThrownBy(() -> write(drv("e1000").resolve("bind"), WS_E1000))
                .as("already bound").hasMessage("Device or resource busy");
        assertThatThrownBy(() -> write(drv("no-such-driver").resolve("bind"), WS_E1000))
                .isInstanceOf(FileNotFoundException.class);
    }

    @Test
    void vfioProbeRefusesBridgesAndPfsWithVfs() throws IOException {
        write(dev(WS_PCI_BRIDGE).resolve("driver_override"), "vfio-pci");
        assertThatThrownBy(() -> write(drv("vfio-pci").resolve("bind"), WS_PCI_BRIDGE))
                .hasMessage("Invalid argument");
        assertThat(sim().driverOf(WS_PCI_BRIDGE)).isNull();

        write(dev(WS_SRIOV_PF).resolve("driver_override"), "vfio-pci");
        write(dev(WS_SRIOV_PF).resolve("driver/unbind"), WS_SRIOV_PF);
        assertThatThrownBy(() -> write(drv("vfio-pci").resolve("bind"), WS_SRIOV_PF))
                .as("PF with 2 VFs on").hasMessage("Device or resource busy");
        assertThat(sim().driverOf(WS_SRIOV_PF)).isNull();
        write(dev(WS_SRIOV_PF).resolve("sriov_numvfs"), "0");
        write(drv("vfio-pci").resolve("bind"), WS_SRIOV_PF);
        assertThat(sim().driverOf(WS_SRIOV_PF)).isEqualTo("vfio-pci");
        assertThat(host.configRoot().resolve("dev/vfio/5")).exists();
    }

    @Test
    void injectedBindErrorIsTheBindsAnswerAndDriversProbeSwallowsIt() throws IOException {
        sim().injectBindError("vfio-pci", WS_RTL8139, "EIO");
        write(dev(WS_RTL8139).resolve("driver_override"), "vfio-pci");
        write(dev(WS_RTL8139).resolve("driver/unbind"), WS_RTL8139);
        assertThatThrownBy(() -> write(drv("vfio-pci").resolve("bind"), WS_RTL8139))
                .hasMessage("Input/output error");
        write(sys.resolve("bus/pci/drivers_probe"), WS_RTL8139);
        assertThat(sim().driverOf(WS_RTL8139)).as("drivers_probe succeeded, nothing bound").isNull();
        // with the override cleared, the original driver takes it back through drivers_probe
        write(dev(WS_RTL8139).resolve("driver_override"), "\n");
        write(sys.resolve("bus/pci/drivers_probe"), WS_RTL8139);
        assertThat(sim().driverOf(WS_RTL8139)).isEqualTo("8139cp");
        write(sys.resolve("bus/pci/drivers_probe"), WS_RTL8139);   // bound: a no-op
        assertThat(sim().driverOf(WS_RTL8139)).isEqualTo("8139cp");
        assertThatThrownBy(() -> write(sys.resolve("bus/pci/drivers_probe"), "0000:77:00.0"))
                .hasMessage("No such device");
        sim().clearFaults();
        write(drv("8139cp").resolve("unbind"), WS_RTL8139);
        write(dev(WS_RTL8139).resolve("driver_override"), "vfio-pci");
        write(sys.resolve("bus/pci/drivers_probe"), WS_RTL8139);
        assertThat(sim().driverOf(WS_RTL8139)).isEqualTo("vfio-pci");
    }

    @Test
    void overrideNoneBlocksEveryDriver() throws IOException {
        write(dev(WS_E1000).resolve("driver_override"), "none");
        write(drv("e1000").resolve("unbind"), WS_E1000);
        write(sys.resolve("bus/pci/drivers_probe"), WS_E1000);
        assertThat(sim().driverOf(WS_E1000)).isNull();
        assertThatThrownBy(() -> write(drv("e1000").resolve("bind"), WS_E1000)).hasMessage("No such device");
    }

    @Test
    void twoDriversClaimTheSameIdAndProbeOrderDecides(@TempDir Path other) throws IOException {
        host.driver("8139too", "8139too");
        sim().claims("8139too", 0x10ec, 0x8139);
        assertThat(sim().idTable("8139cp")).contains(new KernelSim.PciId(0x10ec, 0x8139));
        sim().probeOrder(List.of("8139too", "8139cp"));
        write(drv("8139cp").resolve("unbind"), WS_RTL8139);
        write(sys.resolve("bus/pci/drivers_probe"), WS_RTL8139);
        assertThat(sim().driverOf(WS_RTL8139)).as("the first driver in probe order wins").isEqualTo("8139too");
        // which is why a return binds the recorded driver explicitly
        write(drv("8139too").resolve("unbind"), WS_RTL8139);
        write(drv("8139cp").resolve("bind"), WS_RTL8139);
        assertThat(sim().driverOf(WS_RTL8139)).isEqualTo("8139cp");
        sim().probeOrder(List.of("8139cp"));
        assertThat(sim().probeOrder()).containsSubsequence("8139cp", "8139too");
    }

    @Test
    void newIdBindsEveryUnboundDeviceWithThatId(@TempDir Path dir) throws IOException {
        FakeHost h = FakeHost.create(dir).kvm().withIommu();
        h.pci("0000:00:00.0").ids(0x8086, 0x29c0).pciClass(0x060000).iommuGroup(0).build();
        h.pci("0000:01:00.0").ids(0x8086, 0x10c9).pciClass(0x020000).iommuGroup(1).build();
        h.pci("0000:01:00.1").ids(0x8086, 0x10c9).pciClass(0x020000).iommuGroup(1).build();
        h.pci("0000:02:00.0").ids(0x8086, 0x10c9).pciClass(0x020000).iommuGroup(2).driver("igb", "igb").build();
        h.pci("0000:03:00.0").ids(0x8086, 0x10c9).pciClass(0x020000).iommuGroup(3).driverOverride("igb").build();
        h.pci("0000:04:00.0").ids(0x8086, 0x10d3).pciClass(0x020000).iommuGroup(4).build();
        h.driver("vfio-pci", "vfio_pci");
        KernelSim k = new KernelSim(h.sysfs(), h.configRoot());
        Path newId = h.sysfs().resolve("bus/pci/drivers/vfio-pci/new_id");
        k.write(newId, "8086 10c9\n");
        assertThat(k.driverOf("0000:01:00.0")).isEqualTo("vfio-pci");
        assertThat(k.driverOf("0000:01:00.1")).as("identical devices too").isEqualTo("vfio-pci");
        assertThat(k.driverOf("0000:02:00.0")).as("bound devices stay").isEqualTo("igb");
        assertThat(k.driverOf("0000:03:00.0")).as("an override for another driver wins").isNull();
        assertThat(k.driverOf("0000:04:00.0")).isNull();
        assertThat(h.configRoot().resolve("dev/vfio/1")).exists();
        assertThatThrownBy(() -> k.write(newId, "8086 10c9")).hasMessage("File exists");
        assertThatThrownBy(() -> k.write(newId, "8086")).hasMessage("Invalid argument");
        Path removeId = h.sysfs().resolve("bus/pci/drivers/vfio-pci/remove_id");
        k.write(removeId, "8086 10c9");
        assertThatThrownBy(() -> k.write(removeId, "8086 10c9")).hasMessage("No such device");
        assertThat(k.driverOf("0000:01:00.0")).as("remove_id does not unbind").isEqualTo("vfio-pci");
    }

    @Test
    void overrideWritesAndPlainFiles() throws IOException {
        Path o = dev(WS_E1000).resolve("driver_override");
        write(o, "vfio-pci\n");
        assertThat(read(o)).isEqualTo("vfio-pci\n");
        assertThat(sim().driverOverride(WS_E1000)).isEqualTo("vfio-pci");
        write(o, "");
        assertThat(read(o)).isEqualTo("(null)\n");
        assertThat(sim().driverOverride(WS_E1000)).isNull();
        // through the real directory too
        write(dev(WS_E1000).toRealPath().resolve("driver_override"), "pci-stub");
        assertThat(read(o)).isEqualTo("pci-stub\n");
        // other attributes store the value
        write(dev(WS_E1000).resolve("d3cold_allowed"), "0");
        assertThat(read(dev(WS_E1000).resolve("d3cold_allowed"))).isEqualTo("0");
        assertThatThrownBy(() -> write(dev(WS_E1000).resolve("no_such_attribute"), "1"))
                .isInstanceOf(FileNotFoundException.class).hasMessageEndingWith("(No such file or directory)");
        assertThatThrownBy(() -> write(dev(WS_E1000).resolve("power"), "1")).isInstanceOf(FileNotFoundException.class)
                .hasMessageEndingWith("(Is a directory)");
        assertThatThrownBy(() -> write(Path.of("/sys/bus/pci/drivers_probe"), WS_E1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the simulated sysfs");
        assertThatThrownBy(() -> new KernelSim(Path.of("/sys"), Path.of("/")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
