package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_SRIOV_PF;
import static org.pcipass.testing.HostTrees.WS_VF0;
import static org.pcipass.testing.HostTrees.WS_VF1;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/**
 * A listing learns a PF's VFs from the VFs' physfn links instead of reading each virtfnN link; it
 * must give what the PF's own links say, and fall back to them when the two kinds disagree.
 */
class DeviceScannerVfTest {
    private static final PciAddress PF = PciAddress.parse(WS_SRIOV_PF);
    private static final List<PciAddress> BOTH = List.of(PciAddress.parse(WS_VF0), PciAddress.parse(WS_VF1));

    @TempDir
    Path tmp;

    @Test
    void aListingNamesTheVfsTheVirtfnLinksName() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        DeviceScanner scanner = new DeviceScanner(new Sysfs(h.sysfs()));
        assertThat(scanner.scanDevices(false).get(PF).virtfns()).isEqualTo(BOTH);
        assertThat(scanner.scanDevice(PF).virtfns()).as("show reads the PF's links").isEqualTo(BOTH);
        Map<PciAddress, PciDevice> all = scanner.scanDevices(true);
        assertThat(all.get(PF).virtfns()).isEqualTo(BOTH);
        assertThat(all.get(BOTH.get(1)).physfn()).isEqualTo(PF);
    }

    @Test
    void vfsWithoutPhysfnLinksAreFoundThroughThePfsLinks() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        for (PciAddress vf : BOTH) {
            Files.delete(vfDir(h, vf).resolve("physfn"));
        }
        Map<PciAddress, PciDevice> all = new DeviceScanner(new Sysfs(h.sysfs())).scanDevices(false);
        assertThat(all.get(PF).virtfns()).isEqualTo(BOTH);
        assertThat(all.get(BOTH.get(0)).physfn()).isNull();
    }

    @Test
    void aCountThatDisagreesWithSriovNumvfsMeansThePfsLinksAreRead() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Files.delete(vfDir(h, BOTH.get(0)).resolve("physfn"));
        Map<PciAddress, PciDevice> all = new DeviceScanner(new Sysfs(h.sysfs())).scanDevices(false);
        assertThat(all.get(PF).virtfns()).isEqualTo(BOTH);
    }

    @Test
    void aPfWithoutVirtfnLinksStillListsTheVfsThatNameIt() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        removeVirtfnLinks(vfDir(h, PF));
        Map<PciAddress, PciDevice> all = new DeviceScanner(new Sysfs(h.sysfs())).scanDevices(false);
        assertThat(all.get(PF).virtfns()).isEqualTo(BOTH);
    }

    @Test
    void listAndShowGiveTheVfsInAddressOrderWhateverTheLinksIndexSays() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path pfDir = vfDir(h, PF);
        List<Path> targets = removeVirtfnLinks(pfDir);
        Files.createSymbolicLink(pfDir.resolve("virtfn0"), targets.get(1));
        Files.createSymbolicLink(pfDir.resolve("virtfn1"), targets.get(0));
        DeviceScanner scanner = new DeviceScanner(new Sysfs(h.sysfs()));
        assertThat(scanner.scanDevices(false).get(PF).virtfns()).isEqualTo(BOTH);
        assertThat(scanner.scanDevice(PF).virtfns()).isEqualTo(BOTH);
    }

    @org.junit.jupiter.api.Timeout(60) // a guard against a hang, not a speed target: the old loop ran for hours
    @Test
    void aGarbledSriovNumvfsEndsAtTheFirstMissingLink() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Files.writeString(vfDir(h, PF).resolve("sriov_numvfs"), "999999999\n");
        DeviceScanner scanner = new DeviceScanner(new Sysfs(h.sysfs()));
        PciDevice pf = scanner.scanDevices(false).get(PF);
        assertThat(pf.sriov().numVfs()).isEqualTo(999999999);
        assertThat(pf.virtfns()).isEqualTo(BOTH);
        assertThat(scanner.scanDevice(PF).virtfns()).isEqualTo(BOTH);
    }

    @Test
    void aVfWhoseConfigSaysNoKnownHeaderTypeKeepsItsPhysfn() throws IOException {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Path config = vfDir(h, BOTH.get(0)).resolve("config");
        byte[] bytes = Files.readAllBytes(config);
        bytes[0x0e] = (byte) 0xff; // what a config read of a device that stopped answering gives
        Files.write(config, bytes);
        assertThat(new DeviceScanner(new Sysfs(h.sysfs())).scanDevices(false).get(BOTH.get(0)).physfn()).isEqualTo(PF);
    }

    /** Removes the PF's virtfn0 and virtfn1 links; returns their targets. */
    private static List<Path> removeVirtfnLinks(Path pfDir) throws IOException {
        List<Path> targets = new java.util.ArrayList<>();
        for (String link : List.of("virtfn0", "virtfn1")) {
            targets.add(Files.readSymbolicLink(pfDir.resolve(link)));
            Files.delete(pfDir.resolve(link));
        }
        return targets;
    }

    private static Path vfDir(FakeHost h, PciAddress a) throws IOException {
        return h.sysfs().resolve("bus/pci/devices").resolve(a.toString()).toRealPath();
    }
}
