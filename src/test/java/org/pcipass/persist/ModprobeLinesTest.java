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

    private static final PersistedDevice GPU = on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80");

    private static ModprobeLines.Rendering render(KernelCmdline cmdline, Set<Stub> builtInStubs,
            PersistedDevice... devices) {
        return ModprobeLines.render(List.of(devices), "xen-pciback", builtInStubs, Set.of(), cmdline);
    }

    private static KernelCmdline kmod(String line) {
        return new KernelCmdline(line, true);
    }

    /**
     * kmod gives vfio-pci "ids=LINE ids=CMDLINE" and the kernel keeps the last (RealKernelIT shows it
     * with pci-stub): the line carries the command line's ids too, and the device the command line
     * does not name is advised onto it and re-applied at boot.
     */
    @Test
    void theCommandLinesIdsAreMergedIntoTheLineAndWhatTheyLeaveOutIsAdvisedAndReapplied() {
        ModprobeLines.Rendering r = render(kmod("ro quiet vfio-pci.ids=1b36:0005"), Set.of(), GPU);

        assertThat(r.lines()).containsExactly("options vfio-pci ids=10de:1b80,1b36:0005", "softdep nouveau pre: vfio-pci");
        assertThat(r.advice()).extracting(CmdlineAdvice::message).containsExactly("replace vfio-pci.ids=1b36:0005 with"
                + " vfio-pci.ids=10de:1b80,1b36:0005 on the kernel command line: when modprobe loads vfio-pci, it gives"
                + " the command line's ids= after the options line's and the last one wins, so vfio-pci would not take"
                + " 0000:01:00.0 (10de:1b80) at boot; until the command line names it, pcipass apply-boot hides it"
                + " early in boot");
        assertThat(r.bootReapply()).containsExactly(GPU);
        assertThat(r.notes()).containsExactly(
                "0000:01:00.0: the kernel command line's vfio-pci.ids=1b36:0005 replaces the ids= of pcipass's line"
                        + " when vfio-pci loads, and does not name 10de:1b80; pcipass apply-boot hides this one by"
                        + " address early in boot",
                "the kernel command line (/proc/cmdline) has vfio-pci.ids=1b36:0005: pcipass's line carries its ids"
                        + " too (options vfio-pci ids=10de:1b80,1b36:0005), so that they stay hidden if the parameter"
                        + " leaves the command line");
    }

    @Test
    void aCommandLineThatNamesEveryDeviceAlreadyNeedsNoAdviceAndNoReapply() {
        PersistedDevice audio = on(Stub.VFIO_PCI, "0000:01:00.1", "snd_hda_intel", "snd_hda_intel", "10de:10f0");

        ModprobeLines.Rendering r = render(kmod("vfio_pci.ids=10DE:1B80,10de:10f0"), Set.of(), GPU, audio);

        assertThat(r.lines()).first().isEqualTo("options vfio-pci ids=10de:10f0,10de:1b80");
        assertThat(r.advice()).isEmpty();
        assertThat(r.bootReapply()).isEmpty();
        assertThat(r.notes()).as("the command line adds nothing to the line").isEmpty();
    }

    @Test
    void whereModprobeDoesNotReadTheCommandLineTheMergedLineDecidesAlone() {
        ModprobeLines.Rendering r = ModprobeLines.render(List.of(seed()), "pciback", Set.of(), Set.of(),
                new KernelCmdline("ro root=/dev/sda1 pciback.hide=(0a:04.1)", false));

        assertThat(r.lines()).containsExactly(
                "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2",
                "options pciback hide=(0000:09:00.0)(0000:0a:04.1)");
        assertThat(r.advice()).isEmpty();
        assertThat(r.bootReapply()).isEmpty();
        assertThat(r.notes()).containsExactly("the kernel command line (/proc/cmdline) has pciback.hide=(0a:04.1),"
                + " which this system's modprobe never passes to pciback (module-init-tools before 3.5 does not read"
                + " /proc/cmdline): pcipass's line carries its devices too (options pciback"
                + " hide=(0000:09:00.0)(0000:0a:04.1)), so that they are hidden at boot");
    }

    @Test
    void pcibacksHideIsMergedInAddressOrderUnderEitherSpellingOfTheModule() {
        ModprobeLines.Rendering r = render(kmod("xen_pciback.hide=(0000:0b:00.0)(03:00.0)"), Set.of(),
                pciback("0000:0a:04.1", "e1000", "e1000"), seed());

        assertThat(r.lines()).contains("options xen-pciback hide=(0000:03:00.0)(0000:09:00.0)(0000:0a:04.1)(0000:0b:00.0)");
        assertThat(r.advice()).extracting(CmdlineAdvice::parameter)
                .containsExactly("xen-pciback.hide=(0000:03:00.0)(0000:09:00.0)(0000:0a:04.1)(0000:0b:00.0)");
        assertThat(r.advice()).extracting(CmdlineAdvice::replaces).as("as the command line writes it")
                .containsExactly("xen_pciback.hide=(0000:0b:00.0)(03:00.0)");
        assertThat(r.bootReapply()).extracting(d -> d.address().toString()).containsExactly("0000:09:00.0", "0000:0a:04.1");
    }

    @Test
    void theOtherPcibackNameReachesNoModuleAndIsNotMerged() {
        ModprobeLines.Rendering r = render(kmod("pciback.hide=(0000:0b:00.0)"), Set.of(), seed());

        assertThat(r.lines()).contains("options xen-pciback hide=(0000:09:00.0)");
        assertThat(r.advice()).isEmpty();
        assertThat(r.notes()).containsExactly("the kernel command line's pciback.hide=(0000:0b:00.0) does nothing on this"
                + " system: its pciback module is xen-pciback, which reads xen-pciback.hide=");
    }

    @Test
    void aBuiltInStubsAdviceReplacesTheCommandLinesParameterWithTheMergedOne() {
        ModprobeLines.Rendering r = render(kmod("vfio-pci.ids=1b36:0005"), Set.of(Stub.VFIO_PCI), GPU);

        assertThat(r.lines()).isEmpty();
        assertThat(r.advice()).extracting(CmdlineAdvice::message).containsExactly("replace vfio-pci.ids=1b36:0005 with"
                + " vfio-pci.ids=10de:1b80,1b36:0005 on the kernel command line: vfio-pci is built into the kernel,"
                + " so it ignores modprobe options");
        assertThat(render(kmod("vfio-pci.ids=10de:1b80"), Set.of(Stub.VFIO_PCI), GPU).advice())
                .as("the command line names it already").isEmpty();
    }

    @Test
    void aBuiltInOriginalDriverGetsOneAdviceWithTheMergedParameter() {
        PersistedDevice builtIn = on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", null, "10de:1b80");

        ModprobeLines.Rendering r = render(kmod("vfio-pci.ids=1b36:0005"), Set.of(), builtIn);

        assertThat(r.advice()).extracting(CmdlineAdvice::message).containsExactly("replace vfio-pci.ids=1b36:0005 with"
                + " vfio-pci.ids=10de:1b80,1b36:0005 on the kernel command line: nouveau (0000:01:00.0) is built into"
                + " the kernel, and no modprobe line can load vfio-pci before a built-in driver binds; the command"
                + " line wins only where vfio-pci is built in too, so pcipass also re-applies the hide at boot");
        assertThat(r.notes()).first().asString().startsWith("0000:01:00.0: nouveau is built into the kernel");
    }

    @Test
    void aStubWithNothingPersistedGetsNoLineWhateverTheCommandLineSays() {
        ModprobeLines.Rendering r = render(kmod("pci-stub.ids=8086:10c9 xen-pciback.hide=(0000:0b:00.0)"), Set.of(), GPU);

        assertThat(r.lines()).containsExactly("options vfio-pci ids=10de:1b80", "softdep nouveau pre: vfio-pci");
        assertThat(r.advice()).isEmpty();
        assertThat(r.notes()).isEmpty();
    }

    @Test
    void theCommandLineFormMergesTheCommandLinesValues() {
        List<PersistedDevice> devices = List.of(seed(), GPU, on(Stub.PCI_STUB, "0000:05:00.0", "igb", "igb", "8086:10c9"));

        assertThat(ModprobeLines.cmdline(devices, "xen-pciback",
                kmod("BOOT_IMAGE=/vmlinuz xen-pciback.hide=(0000:03:00.0) vfio-pci.ids=1b36:0005")))
                .isEqualTo("xen-pciback.hide=(0000:03:00.0)(0000:09:00.0) vfio-pci.ids=10de:1b80,1b36:0005"
                        + " pci-stub.ids=8086:10c9");
    }

    @Test
    void theConfigFormatCarriesTheReplacementAndTheMergeAsComments() {
        ModprobeLines.Rendering r = ModprobeLines.render(List.of(on(Stub.PCI_STUB, "0000:04:00.0", "nvme", "nvme",
                "1b36:0010")), "pciback", Set.of(), Set.of(), kmod("quiet pci-stub.ids=1b36:0005"));

        assertThat(r.configText()).startsWith("options pci-stub ids=1b36:0005,1b36:0010\n"
                + "softdep nvme pre: pci-stub\n"
                + "# replace pci-stub.ids=1b36:0005 with pci-stub.ids=1b36:0005,1b36:0010 on the kernel command line:"
                + " when modprobe loads pci-stub,").contains("\n# 0000:04:00.0: the kernel command line's")
                .endsWith("so that they stay hidden if the parameter leaves the command line\n");
    }
}
