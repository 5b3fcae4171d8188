package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.persist.Devices.on;
import static org.pcipass.persist.Devices.seed;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcipass.PcipassException;

/**
 * The conflict check reads what modprobe reads: included files and directories on RHEL 5
 * (module-init-tools), kmod's five directories with their by-name overrides elsewhere.
 */
class ModprobeNeighboursTest {
    private static final String CONF = "alias eth0 e1000e\nalias eth1 bnx2\n";
    private static final PersistedDevice GPU = on(Stub.VFIO_PCI, "0000:01:00.0", "nouveau", "nouveau", "10de:1b80");

    @TempDir
    Path dir;

    private static PersistPlan hide(Roots root, PersistedDevice device) {
        return Devices.plan(root.target(), List.of(), List.of(device), Set.of());
    }

    /** The refusal's line for one conflict, exactly as the admin reads it. */
    private String conflict(String rel, int line, String module, String text) {
        return dir.resolve(rel) + " line " + line + " configures " + module + " outside pcipass's block (\"" + text
                + "\"): delete or comment out that line, then run again; pcipass keeps its own lines between"
                + " \"# BEGIN pcipass\" and \"# END pcipass\"";
    }

    private static void refused(Roots root, PersistedDevice device, String... conflicts) {
        assertThatThrownBy(() -> hide(root, device))
                .isInstanceOf(PcipassException.Refused.class)
                .hasMessage(String.join("\n", conflicts))
                .extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(3);
    }

    // ---- RHEL 5: module-init-tools follows include ----------------------------------------------

    @Test
    void theIssuesRhel5RootAFileIncludedByModprobeConfThatHidesAnotherDeviceIsRefused() {
        String conf = CONF + "include /etc/modprobe.local\n";
        Roots root = Roots.rhel5(dir, conf).write("etc/modprobe.local", "options pciback hide=(0000:0a:00.0)\n");

        refused(root, seed(), conflict("etc/modprobe.local", 1, "pciback", "options pciback hide=(0000:0a:00.0)"));
        assertThat(root.read("etc/modprobe.conf")).isEqualTo(conf);
        assertThat(root.exists("etc/modprobe.conf.pcipass.bak")).isFalse();
    }

    @Test
    void anIncludedDirectoryIsReadWholeSubdirectoriesAndBackupsTooAsModuleInitToolsReadsIt() {
        Roots root = Roots.rhel5(dir, CONF + "include /etc/modprobe.xen\n")
                .write("etc/modprobe.xen/aliases", "alias eth2 bnx2\n")
                .write("etc/modprobe.xen/bnx2~", "# old\ninstall bnx2 /bin/true\n")
                .write("etc/modprobe.xen/sub/pciback", "options pciback permissive=1\n");

        refused(root, seed(), conflict("etc/modprobe.xen/bnx2~", 2, "bnx2", "install bnx2 /bin/true"),
                conflict("etc/modprobe.xen/sub/pciback", 1, "pciback", "options pciback permissive=1"));
    }

    @Test
    void anIncludeLoopIsReadOnceAndAnIncludeOfModprobeConfItselfIsFine() {
        Roots root = Roots.rhel5(dir, CONF + "include /etc/a.conf\n")
                .write("etc/a.conf", "include etc/b.conf\n")
                .write("etc/b.conf", "include /etc/a.conf\ninclude /etc/modprobe.conf\ninstall bnx2 /bin/true\n");

        refused(root, seed(), conflict("etc/b.conf", 3, "bnx2", "install bnx2 /bin/true"));
    }

    @Test
    void aMissingIncludeIsSkippedAndTheNextOneStillRead() {
        Roots root = Roots.rhel5(dir, CONF + "include /etc/modprobe.gone\ninclude /etc/modprobe.local\n")
                .write("etc/modprobe.local", "blacklist bnx2\n");

        refused(root, seed(), conflict("etc/modprobe.local", 1, "bnx2", "blacklist bnx2"));
    }

    @Test
    void anIncludeThatClimbsOutOfTheConfigRootStaysUnderIt() {
        Roots root = Roots.rhel5(dir, CONF + "include ../../../../../etc/modprobe.local\n")
                .write("etc/modprobe.local", "options pciback hide=(0000:0a:00.0)\n");

        refused(root, seed(), conflict("etc/modprobe.local", 1, "pciback", "options pciback hide=(0000:0a:00.0)"));
    }

    @Test
    void filesInModprobeDIncludeToo() {
        Roots root = Roots.rhel5(dir, CONF).write("etc/modprobe.d/local", "include /etc/xen/pciback.conf\n")
                .write("etc/xen/pciback.conf", "options pciback hide=(0000:0a:00.0)\n");

        refused(root, seed(), conflict("etc/xen/pciback.conf", 1, "pciback", "options pciback hide=(0000:0a:00.0)"));
    }

    @Test
    void aFileTooLargeToBeAConfigurationIsAWarningNotACrash() throws IOException {
        Roots root = Roots.rhel5(dir, CONF + "include /var/images\n").write("var/images/disk.img", "");
        try (RandomAccessFile f = new RandomAccessFile(root.path("var/images/disk.img").toFile(), "rw")) {
            f.setLength((16L << 20) + 1); // sparse: costs no disk
        }

        PersistPlan plan = hide(root, seed());

        assertThat(plan.warnings()).containsExactly(dir.resolve("var/images/disk.img") + " could not be read (an I/O"
                + " error, or larger than 16 MiB), so pcipass could not check it for lines that configure the modules"
                + " of its own block; check it by hand");
        assertThat(plan.after()).contains("options pciback hide=(0000:09:00.0)");
    }

    // ---- kmod: five directories, no include ----------------------------------------------------

    @Test
    void kmodsRunAndLibDirectoriesAreCheckedToo() {
        Roots root = Roots.debian12(dir).write("lib/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80\n")
                .write("run/modprobe.d/gpu.conf", "options vfio_pci disable_vga=1\n");

        refused(root, GPU, conflict("lib/modprobe.d/vfio.conf", 1, "vfio-pci", "options vfio-pci ids=10de:1b80"),
                conflict("run/modprobe.d/gpu.conf", 1, "vfio_pci", "options vfio_pci disable_vga=1"));
    }

    @Test
    void aNameInAnEarlierDirectoryHidesTheSameNameInTheLaterOnes() {
        Roots root = Roots.debian12(dir).write("etc/modprobe.d/vfio.conf", "# vfio-pci is pcipass's\n")
                .write("run/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/pcipass.conf", "options vfio-pci ids=10de:1b80\n")
                .write("usr/lib/modprobe.d/nouveau.conf", "blacklist nouveau\n")
                .write("lib/modprobe.d/nouveau.conf", "softdep nouveau pre: i2c-algo-bit\n")
                .write("usr/local/lib/modprobe.d/local.conf", "install nouveau /bin/false\n");

        refused(root, GPU, conflict("usr/lib/modprobe.d/nouveau.conf", 1, "nouveau", "blacklist nouveau"),
                conflict("usr/local/lib/modprobe.d/local.conf", 1, "nouveau", "install nouveau /bin/false"));
    }

    @Test
    void kmodIgnoresIncludeAndNamesItDoesNotRead() {
        Roots root = Roots.debian12(dir).write("etc/modprobe.d/local.conf", "include /etc/modprobe.local\n")
                .write("etc/modprobe.local", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/README", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/.hidden.conf", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/old.conf.dpkg-old", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/sub.conf/x.conf", "options vfio-pci ids=10de:1b80\n")
                .write("lib/modprobe.d/gpu.alias", "blacklist nouveau\n");

        refused(root, GPU, conflict("lib/modprobe.d/gpu.alias", 1, "nouveau", "blacklist nouveau"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"usr/lib", "/usr/lib"})
    void onAMergedUsrRootEachLineIsReportedOnce(String libLink) {
        Roots root = Roots.debian12(dir).write("lib/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80\n")
                .mergedUsr(libLink).link("etc/modprobe.d/gpu.conf", "/lib/modprobe.d/vfio.conf");

        refused(root, GPU, conflict("etc/modprobe.d/gpu.conf", 1, "vfio-pci", "options vfio-pci ids=10de:1b80"));
        assertThat(root.target().neighbours()).containsOnlyKeys(dir.resolve("etc/modprobe.d/gpu.conf").toString());
    }
}
