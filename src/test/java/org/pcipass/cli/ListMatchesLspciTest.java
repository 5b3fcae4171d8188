package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.Lspci;
import org.pcipass.testing.LspciAgreement;

/**
 * {@code pcipass list --json} agrees with the real lspci, reading the same tree and the same
 * pci.ids, on every field the two share: address, ids, subsystem ids, class and prog-if,
 * revision, driver, IOMMU group, NUMA node, and the vendor, device and class names.
 */
class ListMatchesLspciTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needLspci() {
        Lspci.require();
    }

    @Test
    void onAKvmWorkstationWithAnIommuSwitchBridgeSriovGpuNvmeSataAndVirtio() throws Exception {
        agree(HostTrees.kvmWorkstation(tmp));
    }

    @Test
    void onAKvmHostWithoutAnIommu() throws Exception {
        agree(HostTrees.kvmNoIommu(tmp));
    }

    @Test
    void onAXenDom0() throws Exception {
        agree(HostTrees.xenDom0(tmp));
    }

    @Test
    void onARhel5Dom0() throws Exception {
        agree(HostTrees.rhel5Root(tmp));
    }

    @Test
    void onThisMachinesOwnSys() throws Exception {
        Path sys = Path.of("/sys");
        Assumptions.assumeTrue(Files.isDirectory(sys.resolve("bus/pci/devices")) || Cli.CI, "no PCI bus here");
        compare(sys, Path.of("/"));
    }

    private static void agree(FakeHost host) throws Exception {
        compare(host.sysfs(), host.configRoot());
    }

    static void compare(Path sysfs, Path configRoot) throws Exception {
        Lspci.Result oracle = Lspci.run(sysfs);
        Cli.Result r = Cli.exec("list", "--json", "--sysfs", sysfs.toString(), "--config-root", configRoot.toString(),
                "--pci-ids", Lspci.PCI_IDS.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        LspciAgreement.assertAgrees(r.json(), oracle);
    }
}
