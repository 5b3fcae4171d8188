package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.persist.Devices.on;
import static org.pcipass.persist.Devices.pciback;
import static org.pcipass.persist.Devices.seed;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;

class PersistPlannerTest {
    private static final String SEED_BLOCK = """
            # BEGIN pcipass
            install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2
            options pciback hide=(0000:09:00.0)
            # END pcipass
            """;
    private static final String RHEL5_CONF = """
            alias eth0 bnx2
            alias eth1 e1000
            alias scsi_hostadapter megaraid_sas
            """;

    @TempDir
    Path dir;

    private static PersistPlan hide(Roots root, PersistedDevice... devices) {
        return Devices.plan(root.target(), List.of(), List.of(devices), Set.of());
    }

    @Test
    void theSeedsExampleOnARhel5RootGoesIntoModprobeConf() {
        Roots root = Roots.rhel5(dir, RHEL5_CONF);

        PersistPlan plan = hide(root, seed());
        plan.apply();

        assertThat(plan.file()).isEqualTo(dir.resolve("etc/modprobe.conf"));
        assertThat(root.read("etc/modprobe.conf")).isEqualTo(RHEL5_CONF + SEED_BLOCK);
        assertThat(root.read("etc/modprobe.conf.pcipass.bak")).isEqualTo(RHEL5_CONF);
        assertThat(root.exists("etc/modprobe.d/pcipass.conf")).isFalse();
        assertThat(plan.warnings()).isEmpty();
        assertThat(plan.advice()).isEmpty();
        assertThat(plan.notes()).containsExactly("if bnx2 is loaded from your initramfs, rebuild it with"
                + " \"mkinitrd -f /boot/initrd-2.6.18-128.el5xen.img 2.6.18-128.el5xen\": the initramfs keeps its own"
                + " copy of /etc/modprobe.conf");
    }

    @Test
    void theSeedsExampleOnACurrentRootGoesIntoModprobeD() {
        Roots root = Roots.debian12(dir);

        PersistPlan plan = hide(root, seed());
        plan.apply();

        assertThat(plan.before()).isNull();
        assertThat(root.read("etc/modprobe.d/pcipass.conf")).isEqualTo(SEED_BLOCK);
        assertThat(root.exists("etc/modprobe.d/pcipass.conf.pcipass.bak")).isFalse();
        assertThat(root.exists("etc/modprobe.conf")).isFalse();
        assertThat(plan.notes()).isEmpty();
    }

    @Test
    void hideThenUnhideOnRhel5RestoresModprobeConfByteForByte() {
        String original = "alias eth0 bnx2\r\n# café\noptions e1000 InterruptThrottleRate=3000";
        Roots root = Roots.rhel5(dir, original);

        hide(root, seed(), pciback("0a:04.1", "e1000", "e1000")).apply();
        assertThat(root.read("etc/modprobe.conf")).contains("options pciback hide=(0000:09:00.0)(0000:0a:04.1)");
        Devices.plan(root.target(), List.of(seed(), pciback("0a:04.1", "e1000", "e1000")), List.of(), Set.of())
                .apply();

        assertThat(root.read("etc/modprobe.conf")).isEqualTo(original);
    }

    @Test
    void unhidingTheLastDeviceOnACurrentRootRemovesPcipassConf() {
        Roots root = Roots.debian12(dir);
        hide(root, seed()).apply();

        PersistPlan plan = Devices.plan(root.target(), List.of(seed()), List.of(), Set.of());
        plan.apply();

        assertThat(plan.after()).isNull();
        assertThat(root.exists("etc/modprobe.d/pcipass.conf")).isFalse();
        assertThat(root.read("etc/modprobe.d/pcipass.conf.pcipass.bak")).isEqualTo(SEED_BLOCK);
    }

    @Test
    void unhidingOneOfTwoKeepsTheOther() {
        Roots root = Roots.debian12(dir);
        hide(root, seed(), pciback("0a:04.1", "e1000", "e1000")).apply();

        Devices.plan(root.target(), List.of(seed(), pciback("0a:04.1", "e1000", "e1000")), List.of(seed()),
                Set.of()).apply();

        assertThat(root.read("etc/modprobe.d/pcipass.conf")).isEqualTo(SEED_BLOCK);
    }

    @Test
    void hidingTheSameDevicesAgainChangesNothing() {
        Roots root = Roots.debian12(dir);
        hide(root, seed()).apply();

        PersistPlan again = Devices.plan(root.target(), List.of(seed()), List.of(seed()), Set.of());

        assertThat(again.changesFile()).isFalse();
        again.apply();
        assertThat(root.exists("etc/modprobe.d/pcipass.conf.pcipass.bak")).isFalse();
    }

    @Test
    void aKernelWithXenPcibackNamesItInBothLines() {
        Roots root = Roots.debian12(dir).write("lib/modules/" + Roots.DEBIAN_KERNEL + "/modules.dep",
                "kernel/drivers/xen/xen-pciback/xen-pciback.ko.xz:\n");

        PersistPlan plan = hide(root, seed());

        assertThat(plan.after()).isEqualTo("""
                # BEGIN pcipass
                install bnx2 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install bnx2
                options xen-pciback hide=(0000:09:00.0)
                # END pcipass
                """);
    }

    @Test
    void aBuiltInDriverGetsTheCommandLineFormAndNoInstallLine() {
        Roots root = Roots.debian12(dir).write("lib/modules/" + Roots.DEBIAN_KERNEL + "/modules.dep",
                "kernel/drivers/xen/xen-pciback/xen-pciback.ko:\n");

        PersistPlan plan = hide(root, pciback("0000:09:00.0", "bnx2", null));

        assertThat(plan.after()).isEqualTo("# BEGIN pcipass\noptions xen-pciback hide=(0000:09:00.0)\n# END pcipass\n");
        assertThat(plan.advice()).extracting(CmdlineAdvice::parameter).containsExactly("xen-pciback.hide=(0000:09:00.0)");
        assertThat(plan.bootReapply()).extracting(PersistedDevice::driver).containsExactly("bnx2");
    }

    @Test
    void aBuiltInPcibackLeavesTheFileAloneAndAdvisesTheCommandLine() {
        Roots root = Roots.debian12(dir).write("lib/modules/" + Roots.DEBIAN_KERNEL + "/modules.builtin",
                "kernel/drivers/xen/xen-pciback/xen-pciback.ko\n");

        PersistPlan plan = hide(root, seed());

        assertThat(plan.changesFile()).isFalse();
        assertThat(plan.after()).isNull();
        assertThat(plan.advice()).extracting(CmdlineAdvice::message).containsExactly("add xen-pciback.hide=(0000:09:00.0)"
                + " to the kernel command line: xen-pciback is built into the kernel, so it ignores modprobe options");
    }

    @Test
    void withdrawingAdvisedParametersIsSaid() {
        Roots root = Roots.debian12(dir);

        PersistPlan plan = Devices.plan(root.target(), List.of(pciback("0000:09:00.0", "bnx2", null)),
                List.of(), Set.of());

        assertThat(plan.notes()).containsExactly("remove pciback.hide=(0000:09:00.0) from the kernel command line if"
                + " you added it: no device persisted by pcipass needs pciback.hide any more");
    }

    @Test
    void vfioIdsAndSoftdepOnACurrentRootWithAnInitramfs() {
        Roots root = Roots.debian12(dir).write("boot/initrd.img-" + Roots.DEBIAN_KERNEL, "");

        PersistPlan plan = hide(root, on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80"),
                on(Stub.VFIO_PCI, "0000:01:00.1", "snd_hda_intel", "snd_hda_intel", "10de:10f0"));

        assertThat(plan.after()).isEqualTo("""
                # BEGIN pcipass
                options vfio-pci ids=10de:10f0,10de:1b80
                softdep nouveau pre: vfio-pci
                softdep snd_hda_intel pre: vfio-pci
                # END pcipass
                """);
        assertThat(plan.notes()).containsExactly("if nouveau or snd_hda_intel is loaded from your initramfs, rebuild it"
                + " with \"update-initramfs -u\": the initramfs keeps its own copy of /etc/modprobe.d/pcipass.conf");
    }

    @Test
    void aConflictingLineOutsideTheBlockIsRefusedWithTheFixAndNothingChanges() {
        String conf = RHEL5_CONF + "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2\n"
                + "options pciback hide=(0000:09:00.0)\n";
        Roots root = Roots.rhel5(dir, conf);

        assertThatThrownBy(() -> hide(root, seed()))
                .isInstanceOf(PcipassException.Refused.class)
                .hasMessage("""
                        %1$s line 4 configures bnx2 outside pcipass's block ("install bnx2 /sbin/modprobe pciback;\
                         /sbin/modprobe --first-time --ignore-install bnx2"): delete or comment out that line, then run\
                         again; pcipass keeps its own lines between "# BEGIN pcipass" and "# END pcipass"
                        %1$s line 5 configures pciback outside pcipass's block ("options pciback hide=(0000:09:00.0)"):\
                         delete or comment out that line, then run again; pcipass keeps its own lines between\
                         "# BEGIN pcipass" and "# END pcipass\"""".formatted(dir.resolve("etc/modprobe.conf")))
                .extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(3);
        assertThat(root.read("etc/modprobe.conf")).isEqualTo(conf);
    }

    @Test
    void aConflictInAnotherModprobeDFileIsRefusedToo() {
        Roots root = Roots.debian12(dir).write("etc/modprobe.d/xen.conf", "# by hand\noptions xen-pciback hide=(0000:0a:00.0)\n")
                .write("etc/modprobe.d/old.conf.dpkg-old", "options pciback hide=(0000:0a:00.0)\n");

        assertThatThrownBy(() -> hide(root, seed()))
                .isInstanceOf(PcipassException.Refused.class)
                .hasMessageStartingWith(dir.resolve("etc/modprobe.d/xen.conf") + " line 2 configures xen-pciback outside"
                        + " pcipass's block (\"options xen-pciback hide=(0000:0a:00.0)\")")
                .hasMessageNotContaining("dpkg-old");
    }

    @Test
    void unhidingIsRefusedWhileALineOutsideTheBlockStillHidesTheDevice() {
        Roots root = Roots.rhel5(dir, RHEL5_CONF + "options pciback hide=(0000:09:00.0)\n");

        assertThatThrownBy(() -> Devices.plan(root.target(), List.of(seed()), List.of(), Set.of()))
                .isInstanceOf(PcipassException.Refused.class)
                .hasMessageContaining("line 4 configures pciback outside pcipass's block");
    }

    @Test
    void malformedLinesAreWarnedAboutAndKeptByteForByte() {
        String conf = "alias eth0 bnx2\noptions\nfrobnicate x\n";
        Roots root = Roots.rhel5(dir, conf);

        PersistPlan plan = hide(root, seed());

        assertThat(plan.warnings()).containsExactly(
                dir.resolve("etc/modprobe.conf") + " line 2: \"options\" without a module name; left as it is",
                dir.resolve("etc/modprobe.conf") + " line 3: unknown directive \"frobnicate\"; left as it is");
        assertThat(plan.after()).isEqualTo(conf + SEED_BLOCK);
    }

    @Test
    void aFileChangedBetweenPlanAndApplyIsRefusedWithExit1() {
        Roots root = Roots.rhel5(dir, RHEL5_CONF);
        PersistPlan plan = hide(root, seed());
        root.write("etc/modprobe.conf", RHEL5_CONF + "alias eth2 tg3\n");

        assertThatThrownBy(plan::apply)
                .isInstanceOf(FileChangedException.class)
                .hasMessageMatching("\\Q" + dir.resolve("etc/modprobe.conf") + " changed since the plan was made"
                        + " (planned from sha256 \\E[0-9a-f]{12}\\Q, now sha256 \\E[0-9a-f]{12}\\Q); nothing was written:"
                        + " run the command again\\E")
                .extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(1);
        assertThat(root.read("etc/modprobe.conf")).isEqualTo(RHEL5_CONF + "alias eth2 tg3\n");
        assertThat(root.exists("etc/modprobe.conf.pcipass.bak")).isFalse();
    }

    @Test
    void aFileCreatedBetweenPlanAndApplyIsRefused() {
        Roots root = Roots.debian12(dir);
        PersistPlan plan = hide(root, seed());
        root.write("etc/modprobe.d/pcipass.conf", "# mine\n");

        assertThatThrownBy(plan::apply)
                .isInstanceOf(FileChangedException.class)
                .hasMessageContaining("(planned from no file, now sha256 ");
    }

    @Test
    void aBrokenBlockIsBadInput() {
        Roots root = Roots.debian12(dir).write("etc/modprobe.d/pcipass.conf", "# BEGIN pcipass\n");

        assertThatThrownBy(() -> hide(root, seed()))
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessageStartingWith(dir.resolve("etc/modprobe.d/pcipass.conf") + " line 1 has \"# BEGIN pcipass\" but"
                        + " no \"# END pcipass\" after it;");
    }

    @Test
    void bytesThatAreNotUtf8AreKeptThroughHideAndUnhide() {
        byte[] original = {'#', ' ', 'c', 'a', 'f', (byte) 0xe9, '\n', 'a', 'l', 'i', 'a', 's', ' ', 'x', ' ', 'y'};
        Roots root = Roots.rhel5(dir, null).write("etc/modprobe.conf", original);

        hide(root, seed()).apply();
        Devices.plan(root.target(), List.of(seed()), List.of(), Set.of()).apply();

        assertThat(AtomicFile.read(root.path("etc/modprobe.conf")).bytes()).isEqualTo(original);
    }

    @Test
    void undoPutsTheFileBackAsItWas() {
        Roots rhel5 = Roots.rhel5(dir.resolve("a"), RHEL5_CONF);
        PersistPlan plan = hide(rhel5, seed());
        plan.apply();
        plan.undo();
        assertThat(rhel5.read("etc/modprobe.conf")).isEqualTo(RHEL5_CONF);

        Roots debian = Roots.debian12(dir.resolve("b"));
        PersistPlan created = hide(debian, seed());
        created.apply();
        created.undo();
        assertThat(debian.exists("etc/modprobe.d/pcipass.conf")).isFalse();
    }

    private static final PersistedDevice GPU = on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80");
    private static final PersistedDevice AUDIO =
            on(Stub.VFIO_PCI, "0000:01:00.1", "snd_hda_intel", "snd_hda_intel", "10de:10f0");

    /** A Debian 12 root booted with {@code vfio-pci.ids=1b36:0005} on its command line. */
    private Roots bootedWithVfioIds() {
        return Roots.debian12(dir).cmdline("BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro quiet"
                + " vfio-pci.ids=1b36:0005");
    }

    @Test
    void aHideOnARootBootedWithVfioPciIdsMergesThemAndAdvisesTheCommandLine() {
        Roots root = bootedWithVfioIds();

        PersistPlan plan = hide(root, GPU);

        assertThat(plan.after()).isEqualTo("""
                # BEGIN pcipass
                options vfio-pci ids=10de:1b80,1b36:0005
                softdep nouveau pre: vfio-pci
                # END pcipass
                """);
        assertThat(plan.advice()).extracting(CmdlineAdvice::message).singleElement().asString()
                .startsWith("replace vfio-pci.ids=1b36:0005 with vfio-pci.ids=10de:1b80,1b36:0005 on the kernel"
                        + " command line: when modprobe loads vfio-pci, it gives the command line's ids= after the"
                        + " options line's and the last one wins");
        assertThat(plan.bootReapply()).containsExactly(GPU);
        assertThat(plan.notes()).containsExactly(
                "0000:01:00.0: the kernel command line's vfio-pci.ids=1b36:0005 replaces the ids= of pcipass's line"
                        + " when vfio-pci loads, and does not name 10de:1b80; pcipass apply-boot hides this one by"
                        + " address early in boot",
                "the kernel command line (/proc/cmdline) has vfio-pci.ids=1b36:0005: pcipass's line carries its ids"
                        + " too (options vfio-pci ids=10de:1b80,1b36:0005), so that they stay hidden if the parameter"
                        + " leaves the command line");
    }

    @Test
    void unhidingOneOfTwoKeepsTheCommandLinesIdsInTheLine() {
        Roots root = bootedWithVfioIds();
        hide(root, GPU, AUDIO).apply();
        assertThat(root.read("etc/modprobe.d/pcipass.conf")).contains("options vfio-pci ids=10de:10f0,10de:1b80,1b36:0005\n");

        Devices.plan(root.target(), List.of(GPU, AUDIO), List.of(GPU), Set.of()).apply();

        assertThat(root.read("etc/modprobe.d/pcipass.conf")).isEqualTo("""
                # BEGIN pcipass
                options vfio-pci ids=10de:1b80,1b36:0005
                softdep nouveau pre: vfio-pci
                # END pcipass
                """);
    }

    @Test
    void unhidingTheLastOneLeavesTheCommandLineAloneAndSaysHowToUndoTheAdvice() {
        Roots root = bootedWithVfioIds();
        hide(root, GPU).apply();

        PersistPlan plan = Devices.plan(root.target(), List.of(GPU), List.of(), Set.of());

        assertThat(plan.after()).as("no line: the command line alone is fine").isNull();
        assertThat(plan.notes()).containsExactly("change vfio-pci.ids=10de:1b80,1b36:0005 back to vfio-pci.ids=1b36:0005"
                + " on the kernel command line if you changed it: no device persisted by pcipass needs vfio-pci.ids"
                + " any more");
    }

    @Test
    void aDeviceTheCommandLineStillNamesIsSaidWhenItIsNoLongerPersisted() {
        Roots root = Roots.debian12(dir).cmdline("ro quiet vfio-pci.ids=10de:1b80,1b36:0005");
        hide(root, GPU, AUDIO).apply();

        PersistPlan plan = Devices.plan(root.target(), List.of(GPU, AUDIO), List.of(AUDIO), Set.of());

        assertThat(plan.after()).contains("options vfio-pci ids=10de:10f0,10de:1b80,1b36:0005\n");
        assertThat(plan.notes()).contains("0000:01:00.0 stays named by the kernel command line's"
                + " vfio-pci.ids=10de:1b80,1b36:0005, so vfio-pci takes it again at the next boot: remove 10de:1b80"
                + " from that parameter to keep it on the host");
    }

    @Test
    void onRhel5TheCommandLinesHideIsMergedIntoModprobeConfAndDecidesNothingElse() {
        Roots root = Roots.rhel5(dir, RHEL5_CONF).cmdline("ro root=/dev/VolGroup00/LogVol00 pciback.hide=(0a:04.1)");

        PersistPlan plan = hide(root, seed());

        assertThat(plan.after()).isEqualTo(RHEL5_CONF + """
                # BEGIN pcipass
                install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2
                options pciback hide=(0000:09:00.0)(0000:0a:04.1)
                # END pcipass
                """);
        assertThat(plan.advice()).isEmpty();
        assertThat(plan.bootReapply()).isEmpty();
        assertThat(plan.notes()).first().asString().startsWith("the kernel command line (/proc/cmdline) has"
                + " pciback.hide=(0a:04.1), which this system's modprobe never passes to pciback");
    }
}
