package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PersistTargetTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
            "Red Hat Enterprise Linux Server release 5.3 (Tikanga)",
            "Red Hat Enterprise Linux Server release 5 (Tikanga)",
            "CentOS release 5.11 (Final)",
            "Red Hat Enterprise Linux AS release 4 (Nahant Update 9)",
            "Scientific Linux SL release 5.5 (Boron)"})
    void rhel5AndOlderReadModprobeConf(String release) {
        assertThat(PersistTarget.isRhel5OrOlder(release)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Red Hat Enterprise Linux Server release 6.10 (Santiago)",
            "Red Hat Enterprise Linux release 8.9 (Ootpa)",
            "Rocky Linux release 9.3 (Blue Onyx)",
            "CentOS Stream release 9",
            "Fedora release 39 (Thirty Nine)",
            "Red Hat Enterprise Linux release 50",
            ""})
    void newerReleasesReadModprobeD(String release) {
        assertThat(PersistTarget.isRhel5OrOlder(release)).isFalse();
    }

    @Test
    void aRhel5RootWritesModprobeConfWithPciback() {
        PersistTarget t = Roots.rhel5(dir, "alias eth0 bnx2\n").target();

        assertThat(t.file()).isEqualTo("etc/modprobe.conf");
        assertThat(t.systemPath()).isEqualTo("/etc/modprobe.conf");
        assertThat(t.ownsWholeFile()).isFalse();
        assertThat(t.pcibackModule()).isEqualTo("pciback");
        assertThat(t.current().text()).isEqualTo("alias eth0 bnx2\n");
    }

    @Test
    void aCurrentRootWritesModprobeDAndReadsItsOtherConfFiles() {
        PersistTarget t = Roots.debian12(dir).write("etc/modprobe.d/nvidia.conf", "blacklist nouveau\n")
                .write("etc/modprobe.d/README", "not read\n")
                .write("etc/modprobe.d/pcipass.conf.pcipass.bak", "not read\n").target();

        assertThat(t.file()).isEqualTo("etc/modprobe.d/pcipass.conf");
        assertThat(t.ownsWholeFile()).isTrue();
        assertThat(t.current().exists()).isFalse();
        assertThat(t.neighbours()).containsOnlyKeys(dir.resolve("etc/modprobe.d/nvidia.conf").toString());
        assertThat(t.initramfs()).isNull();
    }

    @Test
    void aRhel5RootChecksEveryEntryOfModprobeDAsModuleInitTools33Pre3ReadsIt() {
        // modprobe.c read_config: every entry but "." and "..", subdirectories too; backups were
        // filtered out only from 3.6 on (config_filter.c), RHEL 5 ships 3.3-pre3
        PersistTarget t = Roots.rhel5(dir, "").write("etc/modprobe.d/xen", "options pciback permissive=1\n")
                .write("etc/modprobe.d/xen~", "").write("etc/modprobe.d/xen.rpmsave", "")
                .write("etc/modprobe.d/local/nic", "").target();

        assertThat(t.neighbours()).containsOnlyKeys(dir.resolve("etc/modprobe.d/local/nic").toString(),
                dir.resolve("etc/modprobe.d/xen").toString(), dir.resolve("etc/modprobe.d/xen.rpmsave").toString(),
                dir.resolve("etc/modprobe.d/xen~").toString());
    }

    @Test
    void xenPcibackIsFoundInModulesDepOrModulesBuiltin() {
        Roots root = Roots.debian12(dir);
        assertThat(root.target().pcibackModule()).isEqualTo("pciback");

        root.write("lib/modules/" + Roots.DEBIAN_KERNEL + "/modules.dep",
                "kernel/drivers/xen/xen-pciback/xen-pciback.ko: kernel/drivers/xen/xen-evtchn.ko\n");
        assertThat(root.target().pcibackModule()).isEqualTo("xen-pciback");
        assertThat(root.target().builtInStubs()).isEmpty();

        root.write("lib/modules/" + Roots.DEBIAN_KERNEL + "/modules.dep", "");
        root.write("lib/modules/" + Roots.DEBIAN_KERNEL + "/modules.builtin",
                "kernel/drivers/xen/xen-pciback/xen-pciback.ko\nkernel/drivers/vfio/pci/vfio-pci.ko\n");
        assertThat(root.target().pcibackModule()).isEqualTo("xen-pciback");
        assertThat(root.target().builtInStubs()).isEqualTo(Set.of(Stub.PCIBACK, Stub.VFIO_PCI));
    }

    @Test
    void theInitramfsToolFollowsTheDistribution() {
        String[] dracut = {"vmlinuz-5.14.0", "initramfs-5.14.0-362.el9.x86_64.img"};
        String[] debian = {"initrd.img-6.1.0-18-amd64"};

        assertThat(PersistTarget.initramfs(null, null, new String[] {"vmlinuz"}, null)).isNull();
        assertThat(PersistTarget.initramfs("Red Hat Enterprise Linux release 9.3 (Plow)", null, dracut, null).command())
                .isEqualTo("dracut -f");
        assertThat(PersistTarget.initramfs(null, "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", dracut, null)
                .command()).isEqualTo("dracut -f");
        assertThat(PersistTarget.initramfs(null, "ID=ubuntu\nID_LIKE=debian\n", debian, null).command())
                .isEqualTo("update-initramfs -u");
        assertThat(PersistTarget.initramfs("CentOS release 5.11 (Final)", null, new String[] {"initrd-2.6.18-398.el5.img"},
                "2.6.18-398.el5").command()).isEqualTo("mkinitrd -f /boot/initrd-2.6.18-398.el5.img 2.6.18-398.el5");
        assertThat(PersistTarget.initramfs(null, "ID=gentoo\n", debian, null).command()).isNull();
    }

    @Test
    void theInitramfsNoteNamesTheModulesTheToolAndTheFile() {
        assertThat(new PersistTarget.Initramfs("dracut -f").note(java.util.List.of("bnx2", "e1000", "tg3"),
                "/etc/modprobe.d/pcipass.conf")).isEqualTo("if bnx2, e1000 or tg3 is loaded from your initramfs,"
                        + " rebuild it with \"dracut -f\": the initramfs keeps its own copy of /etc/modprobe.d/pcipass.conf");
        assertThat(new PersistTarget.Initramfs(null).note(java.util.List.of("bnx2"), "/etc/modprobe.d/pcipass.conf"))
                .isEqualTo("if bnx2 is loaded from your initramfs, rebuild it with your distribution's initramfs tool:"
                        + " the initramfs keeps its own copy of /etc/modprobe.d/pcipass.conf");
    }

    @Test
    void theKernelCommandLineIsReadFromProcUnderTheConfigRootAndAMissingOneIsEmpty() {
        Roots root = Roots.debian12(dir);
        assertThat(root.target().cmdline()).isEmpty();
        assertThat(KernelCmdline.of(root.target()).ids(Stub.VFIO_PCI)).isEmpty();

        root.cmdline("BOOT_IMAGE=/vmlinuz ro quiet vfio-pci.ids=10DE:1B80,1b36:0005");

        assertThat(root.target().cmdline()).isEqualTo("BOOT_IMAGE=/vmlinuz ro quiet vfio-pci.ids=10DE:1B80,1b36:0005\n");
        KernelCmdline cmdline = KernelCmdline.of(root.target());
        assertThat(cmdline.ids(Stub.VFIO_PCI)).containsExactly("10de:1b80", "1b36:0005");
        assertThat(cmdline.readByModprobe()).as("kmod reads /proc/cmdline").isTrue();
    }

    @Test
    void rhel5sModprobeDoesNotReadTheKernelCommandLine() {
        PersistTarget t = Roots.rhel5(dir, "").cmdline("ro root=/dev/sda1 pciback.hide=(09:00.0)").target();

        KernelCmdline cmdline = KernelCmdline.of(t);
        assertThat(cmdline.readByModprobe()).as("module-init-tools 3.3").isFalse();
        assertThat(cmdline.hide("pciback")).containsExactly("0000:09:00.0");
    }
}
