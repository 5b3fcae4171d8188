package org.pcipass.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;

/** Every refusal of hide: exit 3, the exact reason in one line, and nothing changed. */
public class HideRefusalTest {
    @TempDir
    Path tmp;

    private Cli.Result hide(FakeHost h, String... args) {
        List<String> a = new ArrayList<>(List.of("hide"));
        a.addAll(List.of(args));
        a.addAll(List.of("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(), "--state-dir",
                tmp.resolve("state").toString()));
        return Cli.exec(a.toArray(String[]::new));
    }

    /** Asserts exit 3, a one-line message, and that no device changed driver or override. */
    private void refused(FakeHost h, String message, String... args) throws Exception {
        String before = bindings(h);
        List<String> audit = new java.util.ArrayList<>(org.pcipass.store.Db.auditRows(tmp.resolve("state")));
        Cli.Result r = hide(h, args);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err().strip()).isEqualTo("pcipass: " + message);
        assertThat(bindings(h)).isEqualTo(before);
        assertThat(tmp.resolve("state/journal")).doesNotExist();
        if (!List.of(args).contains("--dry-run")) {
            audit.add("hide refused 3"); // a real run's refusal is audited; a dry run changes nothing, not even the log
        }
        org.pcipass.store.Db.onlyAudited(tmp.resolve("state"), audit.toArray(String[]::new));
    }

    /** Every device's driver and driver_override, as text. */
    public static String bindings(FakeHost h) throws Exception {
        StringBuilder b = new StringBuilder();
        try (var s = Files.list(h.sysfs().resolve("bus/pci/devices"))) {
            for (Path d : s.sorted().toList()) {
                Path drv = d.resolve("driver");
                b.append(d.getFileName()).append(' ')
                        .append(Files.isSymbolicLink(drv) ? Files.readSymbolicLink(drv).getFileName() : "-").append(' ')
                        .append(Files.exists(d.resolve("driver_override")) ? Fs.read(d.resolve("driver_override")).strip()
                                : "?").append('\n');
            }
        }
        return b.toString();
    }

    @Test
    void theDeviceHoldingRootIsNeverHiddenNotEvenWithForce() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        String msg = "0000:3d:00.0 is host-critical: carries the root filesystem (/); pcipass never hides the"
                + " device that holds /, not even with --force";
        refused(h, msg, WS_NVME);
        refused(h, msg, WS_NVME, "--force");
    }

    @Test
    void hostCriticalDevicesNeedForce() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        refused(h, "0000:09:00.0 is host-critical: carries the default route (interface enp9s0, through br0);"
                + " hiding it takes that from the host (pass --force if you really mean it)", WS_DEFAULT_NIC);
        refused(h, "0000:00:02.0 is host-critical: is the boot VGA console (boot_vga=1), drives the console"
                + " framebuffer (fb0); hiding it takes that from the host (pass --force if you really mean it)", WS_IGPU);
        Cli.Result dry = hide(h, WS_DEFAULT_NIC, "--force", "--dry-run");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("drivers/vfio-pci/bind <- 0000:09:00.0");
    }

    @Test
    void bridgesAreNotEndpoints() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        refused(h, "0000:05:00.0 is not an endpoint: PCI-to-PCI bridge (header type 1): stays with the host",
                WS_PCI_BRIDGE);
        refused(h, "0000:00:1f.0 is not an endpoint: ISA/LPC bridge (class 0601): never handed to a guest", WS_LPC);
        refused(h, "0000:00:00.0 is not an endpoint: host bridge (class 0600): never handed to a guest",
                WS_HOST_BRIDGE);
    }

    @Test
    void groupBlockedDevicesAreRefused() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        refused(h, "0000:00:1f.4 is group-blocked: IOMMU group 22 also holds ISA/LPC bridge 0000:00:1f.0 bound to"
                + " driver lpc_ich; that group can never be given to a guest", WS_SMBUS);
        refused(h, "0000:00:08.0 is group-blocked: IOMMU group 9 also holds host-critical 0000:00:02.0 (is the boot"
                + " VGA console (boot_vga=1)); that group can never be given to a guest", WS_GMM, "--with-group");
    }

    @Test
    void groupSiblingsOnHostDriversNeedWithGroup() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        refused(h, "0000:06:00.0 shares IOMMU group 17 with 0000:06:01.0 (driver 8139cp), which stays on a host"
                + " driver; pass --with-group to hide them together", WS_E1000);
        refused(h, "0000:0a:00.1 shares IOMMU group 13 with 0000:0a:00.0 (driver nouveau), which stays on a host"
                + " driver; pass --with-group to hide them together", WS_GPU_AUDIO, "--driver", "pci-stub");
        Cli.Result both = hide(h, WS_GPU, WS_GPU_AUDIO, "--dry-run");
        assertThat(both.exitCode()).as("naming every sibling is enough: " + both.err()).isZero();
    }

    @Test
    void withGroupMovesTheSiblingsButNotTheBridge() {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        Cli.Result r = hide(h, WS_E1000, "--with-group", "--dry-run", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String steps = r.json().get("steps").toString();
        assertThat(steps).contains("drivers/vfio-pci/bind\",\"value\":\"0000:06:00.0\"")
                .contains("drivers/vfio-pci/bind\",\"value\":\"0000:06:01.0\"").doesNotContain(WS_PCI_BRIDGE)
                .contains("dev/vfio/17");
        assertThat(r.json().get("notes").toString()).contains("hiding 0000:06:01.0 too");
    }

    @Test
    void anSriovPfWithVfsEnabledIsRefusedForEveryStubNotEvenWithForce() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        String msg = "0000:03:00.0 is host-critical: 2 SR-IOV VFs depend on it (disable them first: echo 0 >"
                + " /sys/bus/pci/devices/0000:03:00.0/sriov_numvfs); pcipass never unbinds a PF under its VFs, not"
                + " even with --force";
        refused(h, msg, WS_SRIOV_PF);
        refused(h, msg, WS_SRIOV_PF, "--driver", "pci-stub");
        refused(h, msg, WS_SRIOV_PF, "--driver", "pci-stub", "--force");
        refused(h, msg, WS_SRIOV_PF, "--force", "--dry-run");
    }

    @Test
    void inAXenDom0PcibackIsRefusedAnSriovPfWithVfsEnabled() throws Exception {
        FakeHost h = HostTrees.xenDom0(tmp.resolve("h"));
        var pf = h.pci("0000:0b:00.0").ids(0x8086, 0x1521).pciClass(0x020000).sriov(7).driver("igb", "igb").build();
        h.pci("0000:0b:10.0").physfn(pf).ids(0x8086, 0x1520).pciClass(0x020000).driver("igbvf", "igbvf").build();
        refused(h, "0000:0b:00.0 is host-critical: 1 SR-IOV VF depends on it (disable it first: echo 0 >"
                + " /sys/bus/pci/devices/0000:0b:00.0/sriov_numvfs); pcipass never unbinds a PF under its VFs, not"
                + " even with --force", "0000:0b:00.0", "--force");
        Cli.Result vf = hide(h, "0000:0b:10.0", "--dry-run");
        assertThat(vf.exitCode()).as("the VF itself can go: " + vf.err()).isZero();
    }

    @Test
    void aGroupSiblingOfAnSriovPfWithVfsIsGroupBlocked() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        h.pci("0000:03:00.1").parent(h.device(WS_SRIOV_PF).parent()).ids(0x8086, 0x1521).pciClass(0x020000)
                .driver("igb", "igb").iommuGroup(5).build();
        refused(h, "0000:03:00.1 is group-blocked: IOMMU group 5 also holds host-critical 0000:03:00.0 (2 SR-IOV VFs"
                + " depend on it (disable them first: echo 0 > /sys/bus/pci/devices/0000:03:00.0/sriov_numvfs)); that"
                + " group can never be given to a guest", "0000:03:00.1", "--with-group", "--force");
    }

    @Test
    void aStubThatIsNeitherLoadedNorInstalledIsRefusedWithTheModprobeLine() throws Exception {
        FakeHost h = HostTrees.xenDom0(tmp.resolve("h"));
        refused(h, "vfio-pci is neither loaded nor available as a module under /lib/modules/4.19.0+1; install this"
                + " kernel's modules package (it ships vfio-pci.ko), then run: modprobe vfio-pci", XEN_BNX2,
                "--driver", "vfio-pci");
    }

    @Test
    void withoutAnIommuVfioPciIsRefusedButPciStubIsNot() throws Exception {
        FakeHost h = HostTrees.kvmNoIommu(tmp.resolve("h"));
        refused(h, "0000:00:04.0: no active IOMMU: vfio-pci refuses every device; enable VT-d/AMD-Vi in the firmware"
                + " and boot with intel_iommu=on (Intel; AMD's IOMMU is on unless amd_iommu=off) (see 'pcipass"
                + " check'; --driver pci-stub hides it without an IOMMU)", NI_SPARE);
    }

    @Test
    void pcibackOutsideAXenDom0IsRefused() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        refused(h, "pciback loads only in a Xen dom0 and this host is KVM; use --driver vfio-pci or --driver pci-stub",
                WS_UNKNOWN, "--driver", "pciback");
    }

    @Test
    void badInputIsExit2() {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        Cli.Result r = hide(h, WS_UNKNOWN, "--driver", "nvidia");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("pcipass: --driver 'nvidia' is not a stub driver; give pciback,"
                + " vfio-pci or pci-stub");
        assertThat(hide(h, "0000:7f:00.0").exitCode()).isEqualTo(2);
        assertThat(hide(h, "09:00").exitCode()).isEqualTo(2);
        assertThat(hide(h).exitCode()).isEqualTo(2);
    }
}
