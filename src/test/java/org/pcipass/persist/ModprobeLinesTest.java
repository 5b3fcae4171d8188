package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.persist.Devices.on;
import static org.pcipass.persist.Devices.pciback;
import static org.pcipass.persist.Devices.seed;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModprobeLinesTest {
    private static ModprobeLines.Rendering render(List<PersistedDevice> devices) {
        return ModprobeLines.render(devices, "pciback", Set.of(), Set.of());
    }

    @Test
    void theSeedsExampleIsExactlyTheSeedsTwoLines() {
        ModprobeLines.Rendering r = render(List.of(seed()));

        assertThat(r.lines()).containsExactly(
                "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2",
                "options pciback hide=(0000:09:00.0)");
        assertThat(r.advice()).isEmpty();
        assertThat(r.bootReapply()).isEmpty();
    }

    @Test
    void twoDevicesAreHiddenInAddressOrderWithFullAddresses() {
        ModprobeLines.Rendering r = render(List.of(pciback("0a:04.1", "e1000", "e1000"), seed()));

        assertThat(r.lines()).containsExactly(
                "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2",
                "install e1000 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install e1000",
                "options pciback hide=(0000:09:00.0)(0000:0a:04.1)");
    }

    @Test
    void oneInstallLinePerModuleOrderedByItsFirstDevice() {
        ModprobeLines.Rendering r = render(List.of(
                pciback("0000:0b:00.0", "bnx2", "bnx2"),
                pciback("0000:03:00.0", "xhci_hcd", "xhci_pci"),
                seed()));

        assertThat(r.lines()).containsExactly(
                "install xhci_pci /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install xhci_pci",
                "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2",
                "options pciback hide=(0000:03:00.0)(0000:09:00.0)(0000:0b:00.0)");
    }

    @Test
    void xenPcibackReplacesPcibackInBothLines() {
        ModprobeLines.Rendering r = ModprobeLines.render(List.of(seed()), "xen-pciback", Set.of(), Set.of());

        assertThat(r.lines()).containsExactly(
                "install bnx2 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install bnx2",
                "options xen-pciback hide=(0000:09:00.0)");
    }

    @Test
    void aDeviceWithoutADriverNeedsNoInstallLine() {
        assertThat(render(List.of(pciback("0000:09:00.0", null, null))).lines())
                .containsExactly("options pciback hide=(0000:09:00.0)");
    }

    @Test
    void aBuiltInDriverGetsCommandLineAdviceInsteadOfAnInstallLine() {
        ModprobeLines.Rendering r = ModprobeLines.render(List.of(pciback("0000:09:00.0", "bnx2", null)),
                "xen-pciback", Set.of(), Set.of());

        assertThat(r.lines()).containsExactly("options xen-pciback hide=(0000:09:00.0)");
        assertThat(r.advice()).extracting(CmdlineAdvice::message).containsExactly(
                "add xen-pciback.hide=(0000:09:00.0) to the kernel command line: bnx2 (0000:09:00.0) is built into"
                        + " the kernel, and no modprobe line can load xen-pciback before a built-in driver binds;"
                        + " the command line wins only where xen-pciback is built in too, so pcipass also"
                        + " re-applies the hide at boot");
        assertThat(r.bootReapply()).extracting(d -> d.address().toString()).containsExactly("0000:09:00.0");
    }

    @Test
    void aBuiltInPcibackTakesNoModprobeLinesOnlyTheCommandLine() {
        ModprobeLines.Rendering r = ModprobeLines.render(
                List.of(seed(), pciback("0000:0a:04.1", "e1000", "e1000")), "xen-pciback", Set.of(Stub.PCIBACK), Set.of());

        assertThat(r.lines()).isEmpty();
        assertThat(r.advice()).extracting(CmdlineAdvice::message).containsExactly(
                "add xen-pciback.hide=(0000:09:00.0)(0000:0a:04.1) to the kernel command line: xen-pciback is built"
                        + " into the kernel, so it ignores modprobe options");
        assertThat(r.bootReapply()).isEmpty();
    }

    @Test
    void vfioPciTakesSortedUniqueIdsAndASoftdepPerModule() {
        ModprobeLines.Rendering r = render(List.of(
                on(Stub.VFIO_PCI, "0000:01:00.1", "snd_hda_intel", "snd_hda_intel", "10de:10f0"),
                on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80"),
                on(Stub.VFIO_PCI, "0000:02:00.0", "nouveau", "nouveau", "10DE:1B80")));

        assertThat(r.lines()).containsExactly(
                "options vfio-pci ids=10de:10f0,10de:1b80",
                "softdep nouveau pre: vfio-pci",
                "softdep snd_hda_intel pre: vfio-pci");
        assertThat(r.advice()).isEmpty();
    }

    @Test
    void pciStubUsesItsOwnNameAndAllStubsShareOneBlock() {
        ModprobeLines.Rendering r = render(List.of(
                on(Stub.PCI_STUB, "0000:05:00.0", "igb", "igb", "8086:10c9"),
                on(Stub.VFIO_PCI, "0000:04:00.0", "igb", "igb", "8086:1533"),
                seed()));

        assertThat(r.lines()).containsExactly(
                "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2",
                "options pciback hide=(0000:09:00.0)",
                "options vfio-pci ids=8086:1533",
                "options pci-stub ids=8086:10c9",
                "softdep igb pre: vfio-pci pci-stub");
    }

    @Test
    void idsSharedWithADeviceThatStaysNeedABootReapplyInsteadOfAnIdsLine() {
        PersistedDevice nic = on(Stub.VFIO_PCI, "0000:03:00.0", "igb", "igb", "8086:1533");
        ModprobeLines.Rendering r = ModprobeLines.render(List.of(nic,
                on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80")),
                "pciback", Set.of(), Set.of(DeviceIds.parse("8086:1533")));

        assertThat(r.lines()).containsExactly("options vfio-pci ids=10de:1b80", "softdep nouveau pre: vfio-pci");
        assertThat(r.bootReapply()).containsExactly(nic);
        assertThat(ModprobeLines.bootReapplyReason(nic)).isEqualTo("0000:03:00.0: other devices that stay on the"
                + " host also have ids 8086:1533, which vfio-pci.ids would take too; pcipass apply-boot hides this"
                + " one by address early in boot");
    }

    @Test
    void theSameIdsOnTwoIdStubsCannotBothBeIdsLines() {
        ModprobeLines.Rendering r = render(List.of(
                on(Stub.VFIO_PCI, "0000:03:00.0", "igb", "igb", "8086:1533"),
                on(Stub.PCI_STUB, "0000:04:00.0", "igb", "igb", "8086:1533")));

        assertThat(r.lines()).isEmpty();
        assertThat(r.bootReapply()).hasSize(2);
    }

    @Test
    void aBuiltInVfioPciTakesTheCommandLineForm() {
        ModprobeLines.Rendering r = ModprobeLines.render(
                List.of(on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80")),
                "pciback", Set.of(Stub.VFIO_PCI), Set.of());

        assertThat(r.lines()).isEmpty();
        assertThat(r.advice()).extracting(CmdlineAdvice::message).containsExactly(
                "add vfio-pci.ids=10de:1b80 to the kernel command line: vfio-pci is built into the kernel,"
                        + " so it ignores modprobe options");
    }

    @Test
    void renderingTwiceGivesTheSameLines() {
        List<PersistedDevice> devices = List.of(pciback("0a:04.1", "e1000", "e1000"), seed(),
                on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80"));

        List<PersistedDevice> reversed = new ArrayList<>(devices);
        Collections.reverse(reversed);

        assertThat(render(devices)).isEqualTo(render(reversed));
    }

    @Test
    void theCommandLineFormNamesEveryDevice() {
        List<PersistedDevice> devices = List.of(pciback("0a:04.1", "e1000", null), seed(),
                on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80"),
                on(Stub.PCI_STUB, "0000:05:00.0", "igb", "igb", "8086:10c9"));

        assertThat(ModprobeLines.cmdline(devices, "xen-pciback")).isEqualTo(
                "xen-pciback.hide=(0000:09:00.0)(0000:0a:04.1) vfio-pci.ids=10de:1b80 pci-stub.ids=8086:10c9");
        assertThat(ModprobeLines.cmdline(List.of(seed()), "pciback")).isEqualTo("pciback.hide=(0000:09:00.0)");
    }

    @Test
    void theConfigFormatCarriesAdviceAsComments() {
        ModprobeLines.Rendering r = ModprobeLines.render(List.of(pciback("0000:09:00.0", "bnx2", null)),
                "pciback", Set.of(), Set.of());

        assertThat(r.configText()).isEqualTo("""
                options pciback hide=(0000:09:00.0)
                # add pciback.hide=(0000:09:00.0) to the kernel command line: bnx2 (0000:09:00.0) is built into the\
                 kernel, and no modprobe line can load pciback before a built-in driver binds; the command line wins\
                 only where pciback is built in too, so pcipass also re-applies the hide at boot
                # 0000:09:00.0: bnx2 is built into the kernel and binds it before any module loads; pcipass\
                 apply-boot moves it to pciback early in boot
                """);
    }

    @Test
    void aDeviceListedTwiceWithDifferentStubsIsRejected() {
        assertThatThrownBy(() -> render(List.of(seed(), on(Stub.VFIO_PCI, "0000:09:00.0", "bnx2", "bnx2", "14e4:1639"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("0000:09:00.0 is persisted twice, with different details");
    }

    @Test
    void moduleNamesThatAShellWouldInterpretAreRejected() {
        assertThatThrownBy(() -> pciback("0000:09:00.0", "bnx2", "bnx2;reboot"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid module name 'bnx2;reboot' for 0000:09:00.0: letters, digits, - and _ only");
    }
}
