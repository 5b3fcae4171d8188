package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.testing.HostTrees.XEN_BNX2;
import static org.pcipass.testing.HostTrees.XEN_E1000_F0;
import static org.pcipass.testing.HostTrees.XEN_PCIBACK;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's pciback (REFERENCE.md "Xen pciback") on the xenDom0 host. */
class KernelSimPcibackTest {
    @TempDir
    Path tmp;
    FakeHost host;
    KernelSim sim;
    Path sys;

    @BeforeEach
    void setUp() {
        host = HostTrees.xenDom0(tmp);
        sys = host.sysfs();
        sim = new KernelSim(sys, host.configRoot());
    }

    Path dev(String a) {
        return sys.resolve("bus/pci/devices").resolve(a);
    }

    Path pciback(String file) {
        return sys.resolve("bus/pci/drivers/pciback").resolve(file);
    }

    @Test
    void hideThroughOverrideAddsToSlotsAndAProbeReseizesUntilRemoveSlot() throws IOException {
        assertThat(sim.pcibackSlots()).containsExactly(XEN_PCIBACK);
        sim.write(dev(XEN_BNX2).resolve("driver_override"), "pciback");
        sim.write(dev(XEN_BNX2).resolve("driver/unbind"), XEN_BNX2);
        sim.write(pciback("bind"), XEN_BNX2);
        assertThat(sim.driverOf(XEN_BNX2)).isEqualTo("pciback");
        assertThat(Fs.read(pciback("slots"))).isEqualTo(XEN_PCIBACK + "\n" + XEN_BNX2 + "\n");

        // return WITHOUT remove_slot: the next probe gives it straight back to pciback
        sim.write(dev(XEN_BNX2).resolve("driver_override"), "\n");
        sim.write(pciback("unbind"), XEN_BNX2);
        sim.write(sys.resolve("bus/pci/drivers_probe"), XEN_BNX2);
        assertThat(sim.driverOf(XEN_BNX2)).as("re-seized from the slot list").isEqualTo("pciback");

        // the documented order: remove_slot first, then the original driver
        sim.write(pciback("unbind"), XEN_BNX2);
        sim.write(pciback("remove_slot"), XEN_BNX2);
        sim.write(sys.resolve("bus/pci/drivers_probe"), XEN_BNX2);
        assertThat(sim.driverOf(XEN_BNX2)).isEqualTo("bnx2");
        assertThat(sim.pcibackSlots()).containsExactly(XEN_PCIBACK);
        assertThatThrownBy(() -> sim.write(pciback("remove_slot"), XEN_BNX2)).hasMessage("No such file or directory");
    }

    @Test
    void pcibackTakesOnlyDevicesInSlotsOrWithItsOverride() throws IOException {
        sim.write(dev(XEN_E1000_F0).resolve("driver/unbind"), XEN_E1000_F0);
        assertThatThrownBy(() -> sim.write(pciback("bind"), XEN_E1000_F0)).hasMessage("No such device");
        sim.write(pciback("new_slot"), "0a:04.0");                     // domain optional
        assertThat(sim.pcibackSlots()).contains(XEN_E1000_F0);
        assertThat(sim.driverOf(XEN_E1000_F0)).as("new_slot does not probe").isNull();
        sim.write(sys.resolve("bus/pci/drivers_probe"), XEN_E1000_F0);
        assertThat(sim.driverOf(XEN_E1000_F0)).as("pciback first claims its slots").isEqualTo("pciback");
        assertThatThrownBy(() -> sim.write(pciback("new_slot"), "junk")).hasMessage("Invalid argument");
        assertThatThrownBy(() -> sim.write(pciback("new_id"), "8086 1010")).as("pciback's table matches any id")
                .hasMessage("File exists");
    }

    @Test
    void anOverrideForAnotherDriverBeatsTheSlotList() throws IOException {
        sim.write(dev(XEN_PCIBACK).resolve("driver_override"), "e1000");
        sim.write(pciback("unbind"), XEN_PCIBACK);
        sim.write(sys.resolve("bus/pci/drivers_probe"), XEN_PCIBACK);
        assertThat(sim.driverOf(XEN_PCIBACK)).isEqualTo("e1000");
        assertThat(sim.pcibackSlots()).as("unbind keeps the slot").containsExactly(XEN_PCIBACK);
    }
}
