package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/** {@code pcipass config}: the seed's lines and the command-line form, printed, nothing written. */
class ConfigCommandTest {
    @TempDir
    Path tmp;

    @Test
    void theSeedsExampleOnARhel5Root() throws Exception {
        FakeHost h = HostTrees.rhel5Root(tmp);
        String before = org.pcipass.plan.HideRefusalTest.bindings(h);
        Cli.Result r = ShowGroupsCheckTest.on(h, "config", "0000:09:00.0", "--format", "modprobe");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("# for /etc/modprobe.conf\n"
                + "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2\n"
                + "options pciback hide=(0000:09:00.0)\n");
        Cli.Result c = ShowGroupsCheckTest.on(h, "config", "09:00.0", "--format", "cmdline");
        assertThat(c.out()).isEqualTo("pciback.hide=(0000:09:00.0)\n");
        assertThat(org.pcipass.plan.HideRefusalTest.bindings(h)).isEqualTo(before);
    }

    @Test
    void xenPcibackAndVfioIdsForms() {
        Cli.Result x = ShowGroupsCheckTest.on(HostTrees.xenDom0(tmp.resolve("x")), "config", "09:00.0", "0a:04.0",
                "--format", "cmdline");
        assertThat(x.out()).as("merged with the dom0's own xen-pciback.hide=(0000:0a:04.1)")
                .isEqualTo("xen-pciback.hide=(0000:09:00.0)(0000:0a:04.0)(0000:0a:04.1)\n");
        Cli.Result v = ShowGroupsCheckTest.on(HostTrees.kvmWorkstation(tmp.resolve("w")), "config", "0a:00.0",
                "0a:00.1", "--format", "modprobe");
        assertThat(v.out()).isEqualTo("# for /etc/modprobe.d/pcipass.conf\noptions vfio-pci ids=10de:10f0,10de:1b80\n"
                + "softdep nouveau pre: vfio-pci\nsoftdep snd_hda_intel pre: vfio-pci\n");
    }

    @Test
    void aFormatIsRequired() {
        Cli.Result r = ShowGroupsCheckTest.on(HostTrees.xenDom0(tmp), "config", "09:00.0", "--format", "xml");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("pcipass: --format 'xml' is not a format: give one of modprobe,"
                + " cmdline, libvirt, nodedev, virsh, virt-install, xl, xl-attach");
    }

    @Test
    void theModprobeFormMergesTheKernelCommandLinesIdsAndSaysWhy() {
        FakeHost w = HostTrees.kvmWorkstation(tmp.resolve("w"));
        w.rootfs().cmdline("ro quiet intel_iommu=on vfio-pci.ids=1b36:0005");

        Cli.Result v = ShowGroupsCheckTest.on(w, "config", "0a:00.0", "0a:00.1", "--format", "modprobe");

        assertThat(v.out()).startsWith("# for /etc/modprobe.d/pcipass.conf\noptions vfio-pci ids=10de:10f0,10de:1b80,1b36:0005\n"
                + "softdep nouveau pre: vfio-pci\nsoftdep snd_hda_intel pre: vfio-pci\n"
                + "# replace vfio-pci.ids=1b36:0005 with vfio-pci.ids=10de:10f0,10de:1b80,1b36:0005 on the kernel"
                + " command line: ");
        assertThat(ShowGroupsCheckTest.on(w, "config", "0a:00.0", "--format", "cmdline").out())
                .isEqualTo("vfio-pci.ids=10de:1b80,1b36:0005\n");
    }
}
