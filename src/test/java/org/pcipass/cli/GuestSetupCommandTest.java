package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.Fs;

/** {@code pcipass guest-setup acpiphp}: the RHEL 5 KVM guest's acpiphp module, on a mounted root or as a script. */
class GuestSetupCommandTest {
    /** The file, written out here on its own: what the command writes must be exactly this. */
    private static final String CONTENT = """
            #!/bin/sh
            # pcipass guest-setup acpiphp: pcipass replaces this file only while this line is in it.
            # Loads ACPI PCI hotplug at boot, so that PCI devices hot-plugged into this KVM guest appear
            # in it (rc.sysinit runs every executable /etc/sysconfig/modules/*.modules).
            /sbin/modprobe acpiphp >/dev/null 2>&1
            """;
    private static final String FILE = "etc/sysconfig/modules/acpiphp.modules";
    private static final String RHEL53 = "Red Hat Enterprise Linux Server release 5.3 (Tikanga)";
    private static final String REFUSAL = " exists and pcipass did not write it (no '# pcipass guest-setup acpiphp'"
            + " line); nothing changed: add '/sbin/modprobe acpiphp >/dev/null 2>&1' to it (and make it executable),"
            + " or move it aside and run again";

    @TempDir
    Path tmp;

    private Path guestRoot(String name, String redhatRelease) {
        Path root = tmp.resolve(name);
        Fs.mkdirs(root.resolve("etc/sysconfig"));
        if (redhatRelease != null) {
            Fs.write(root.resolve("etc/redhat-release"), redhatRelease + "\n");
        }
        return root;
    }

    private static Cli.Result setup(Path root) {
        return Cli.exec("guest-setup", "acpiphp", "--root", root.toString());
    }

    private static String mode(Path f) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesExactlyTheModulesFileWithMode0755AndSaysTheRootIsRhel5() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Cli.Result r = setup(root);
        assertThat(r.exitCode()).as(r.err()).isZero();
        Path file = root.resolve(FILE);
        assertThat(Files.readString(file)).isEqualTo(CONTENT);
        assertThat(mode(file)).isEqualTo("rwxr-xr-x");
        assertThat(names(file.getParent())).containsExactly("acpiphp.modules");
        assertThat(r.out()).isEqualTo("guest root " + root + ": " + RHEL53 + " (RHEL 5: needs acpiphp for PCI hotplug)\n"
                + "wrote " + file + " (mode 0755): the guest loads acpiphp at every boot\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aSecondRunChangesNothingAndSaysSo() throws IOException {
        Path root = guestRoot("g", RHEL53);
        assertThat(setup(root).exitCode()).isZero();
        Path file = root.resolve(FILE);
        Object inode = Files.getAttribute(file, "unix:ino");
        Cli.Result again = setup(root);
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).endsWith("\n" + file + " is in place already (mode 0755): nothing changed\n");
        assertThat(Files.getAttribute(file, "unix:ino")).as("not rewritten").isEqualTo(inode);
        assertThat(Files.readString(file)).isEqualTo(CONTENT);
        assertThat(names(file.getParent())).containsExactly("acpiphp.modules");
    }

    @Test
    void ourFileWithoutItsExecuteBitsGetsMode0755Back() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Path file = root.resolve(FILE);
        Fs.write(file, CONTENT);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result r = setup(root);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).endsWith("\nset " + file + " to mode 0755 (it was 0644: rc.sysinit runs only executable"
                + " .modules files)\n");
        assertThat(mode(file)).isEqualTo("rwxr-xr-x");
    }

    @Test
    void anOlderPcipassFileIsReplacedAndKeptAsBak() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Path file = root.resolve(FILE);
        String older = "#!/bin/sh\n# pcipass guest-setup acpiphp (0.0.9)\nmodprobe acpiphp\n";
        Fs.write(file, older);
        Cli.Result r = setup(root);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).endsWith("\nreplaced " + file + ", written by an older pcipass (mode 0755; the old file is"
                + " kept as acpiphp.modules.pcipass.bak)\n");
        assertThat(Files.readString(file)).isEqualTo(CONTENT);
        assertThat(mode(file)).isEqualTo("rwxr-xr-x");
        assertThat(Files.readString(file.resolveSibling("acpiphp.modules.pcipass.bak"))).isEqualTo(older);
    }

    @Test
    void anAdminsOwnFileIsNeverReplaced() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Path file = root.resolve(FILE);
        Fs.write(file, "#!/bin/sh\n/sbin/modprobe pciehp\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        Cli.Result r = setup(root);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pcipass: " + file + REFUSAL + "\n");
        assertThat(Files.readString(file)).isEqualTo("#!/bin/sh\n/sbin/modprobe pciehp\n");
        assertThat(names(file.getParent())).containsExactly("acpiphp.modules");
    }

    @Test
    void anAdminsExecutableFileThatLoadsAcpiphpIsLeftAlone() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Path file = root.resolve(FILE);
        String own = "#!/bin/sh\nmodprobe -b acpiphp >/dev/null 2>&1\n";
        Fs.write(file, own);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-x---"));
        Cli.Result r = setup(root);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).endsWith("\n" + file + " already loads acpiphp (pcipass did not write it): left as it is\n");
        assertThat(Files.readString(file)).isEqualTo(own);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result notRun = setup(root);
        assertThat(notRun.exitCode()).as("rc.sysinit would not run it").isEqualTo(1);
        assertThat(notRun.err()).isEqualTo("pcipass: " + file + REFUSAL + "\n");
    }

    @Test
    void aRootThatIsNotRhel5GetsAWarningAndTheFileAnyway() throws IOException {
        Path rhel8 = guestRoot("r8", "Red Hat Enterprise Linux release 8.9 (Ootpa)");
        Cli.Result r = setup(rhel8);
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEqualTo("pcipass: warning: " + rhel8 + "/etc/redhat-release says 'Red Hat Enterprise"
                + " Linux release 8.9 (Ootpa)', not RHEL 5: only RHEL 5 guests need this (later ones load acpiphp or"
                + " use PCIe native hotplug themselves)\n");
        assertThat(Files.readString(rhel8.resolve(FILE))).isEqualTo(CONTENT);

        Path none = guestRoot("none", null);
        assertThat(setup(none).err()).isEqualTo("pcipass: warning: " + none + "/etc/redhat-release is missing, not"
                + " RHEL 5: only RHEL 5 guests need this (later ones load acpiphp or use PCIe native hotplug"
                + " themselves)\n");
    }

    @Test
    void badUsageIsExit2AndWritesNothing() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Path file = tmp.resolve("a-file");
        Fs.write(file, "x");
        Path noEtc = Fs.mkdirs(tmp.resolve("no-etc"));
        Map<List<String>, String> cases = Map.of(
                List.of("guest-setup", "acpiphp", "--root", root.toString(), "--print-script"),
                "--root and --print-script exclude each other: give --root DIR to write on a mounted guest root, or"
                        + " --print-script for a script to run inside the guest",
                List.of("guest-setup", "acpiphp"),
                "guest-setup acpiphp needs --root DIR (the guest's mounted root filesystem) or --print-script (a script"
                        + " to run inside the guest)",
                List.of("guest-setup", "pciehp", "--root", root.toString()),
                "guest-setup knows only acpiphp, not 'pciehp': write 'pcipass guest-setup acpiphp --root DIR' (see"
                        + " 'pcipass guest-setup --help')",
                List.of("guest-setup", "acpiphp", "--root", tmp.resolve("missing").toString()),
                "--root '" + tmp.resolve("missing") + "' is not a directory: give the mount point of the guest's root"
                        + " filesystem (e.g. guestmount -a guest.img -i /mnt/guest)",
                List.of("guest-setup", "acpiphp", "--root", file.toString()),
                "--root '" + file + "' is not a directory: give the mount point of the guest's root filesystem (e.g."
                        + " guestmount -a guest.img -i /mnt/guest)",
                List.of("guest-setup", "acpiphp", "--root", noEtc.toString()),
                "--root '" + noEtc + "' has no etc directory, so it is no system's root: give the mount point of the"
                        + " guest's root filesystem",
                List.of("guest-setup", "--print-script"),
                "'pcipass guest-setup' needs exactly one acpiphp (see 'pcipass guest-setup --help')");
        cases.forEach((argv, message) -> {
            Cli.Result r = Cli.exec(argv.toArray(String[]::new));
            assertThat(r.exitCode()).as(argv.toString()).isEqualTo(2);
            assertThat(r.err()).as(argv.toString()).isEqualTo("pcipass: " + message + "\n");
            assertThat(r.out()).isEmpty();
        });
        assertThat(root.resolve("etc/sysconfig/modules")).doesNotExist();
        assertThat(names(noEtc)).isEmpty();
    }

    /** This machine's own /etc must never be written: the refusal comes before anything is created. */
    @Test
    void thisHostsOwnRootIsRefused() throws IOException {
        Path hostFile = Path.of("/", FILE);
        Path created = Files.exists(Path.of("/etc/sysconfig")) ? null : Path.of("/etc/sysconfig");
        boolean existed = Files.exists(hostFile);
        Path link = Files.createSymbolicLink(tmp.resolve("host"), Path.of("/"));
        try {
            for (String root : List.of("/", link.toString())) {
                Cli.Result r = Cli.exec("guest-setup", "acpiphp", "--root", root);
                assertThat(r.exitCode()).isEqualTo(2);
                assertThat(r.err()).isEqualTo("pcipass: --root '" + root + "' is this host's own root, not a guest's:"
                        + " mount the guest's root filesystem elsewhere and give that, or run the script of"
                        + " --print-script inside the guest\n");
            }
        } finally {
            if (!existed) {
                Files.deleteIfExists(hostFile); // only if a regression wrote it
            }
            if (created != null && Files.exists(created)) {
                Files.deleteIfExists(created.resolve("modules"));
                Files.deleteIfExists(created);
            }
        }
        assertThat(Files.exists(hostFile)).isEqualTo(existed);
    }

    @Test
    void aSymbolicLinkInsideTheGuestRootIsNotFollowed() throws IOException {
        Path root = guestRoot("g", RHEL53);
        Path elsewhere = Fs.mkdirs(tmp.resolve("host-etc-sysconfig"));
        Files.delete(root.resolve("etc/sysconfig"));
        Files.createSymbolicLink(root.resolve("etc/sysconfig"), elsewhere);
        Cli.Result r = setup(root);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pcipass: " + root.resolve("etc/sysconfig") + " is a symbolic link (to "
                + elsewhere + "); nothing changed: pcipass follows no link inside a guest's root (an absolute one"
                + " leads into this host's own files); make it a directory or file, or write " + FILE + " by hand\n");
        assertThat(names(elsewhere)).isEmpty();
    }

    // ---- --print-script -------------------------------------------------------------------

    private Path script() {
        Cli.Result r = Cli.exec("guest-setup", "acpiphp", "--print-script");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("#!/bin/sh\n");
        return Fs.write(tmp.resolve("acpiphp-setup.sh"), r.out());
    }

    private record Run(int exitCode, String out, String err) {}

    /** Runs the script with sh under {@code root}, a stub modprobe first on PATH. */
    private Run runScript(Path script, Path root, String modprobeStub) throws Exception {
        Path bin = Fs.mkdirs(tmp.resolve("bin"));
        Path modprobe = Fs.write(bin.resolve("modprobe"), modprobeStub);
        Files.setPosixFilePermissions(modprobe, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).directory(tmp.toFile());
        pb.environment().put("ROOT", root.toString());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("MODPROBE_LOG", tmp.resolve("modprobe.log").toString());
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the script ends").isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Plays the kernel: records its arguments and lists the module in ROOT/proc/modules, as a load does. */
    private static final String LOADING_MODPROBE = """
            #!/bin/sh
            echo "$*" >> "$MODPROBE_LOG"
            if [ "$1" = acpiphp ]; then echo 'acpiphp 29893 0 - Live 0xffffffff88123000' >> "$ROOT/proc/modules"; fi
            """;

    private Path fakeGuest(String name) {
        Path root = guestRoot(name, RHEL53);
        Fs.write(root.resolve("proc/modules"), "virtio_pci 11721 0 - Live 0xffffffff8810c000\n");
        return root;
    }

    @Test
    void thePrintedScriptPassesShN() throws Exception {
        Process p = new ProcessBuilder("sh", "-n", script().toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void thePrintedScriptMakesTheSameFileAndLoadsTheModule() throws Exception {
        Path byCommand = guestRoot("by-command", RHEL53);
        assertThat(setup(byCommand).exitCode()).isZero();
        Path guest = fakeGuest("guest");
        Run run = runScript(script(), guest, LOADING_MODPROBE);
        assertThat(run.exitCode()).as(run.err()).isZero();
        Path file = guest.resolve(FILE);
        assertThat(Files.readAllBytes(file)).isEqualTo(Files.readAllBytes(byCommand.resolve(FILE)));
        assertThat(mode(file)).isEqualTo(mode(byCommand.resolve(FILE))).isEqualTo("rwxr-xr-x");
        assertThat(names(file.getParent())).containsExactly("acpiphp.modules");
        assertThat(Files.readString(tmp.resolve("modprobe.log"))).isEqualTo("acpiphp\n");
        assertThat(run.out()).isEqualTo("pcipass: wrote " + guest + "/" + FILE + " (mode 0755): acpiphp loads at every"
                + " boot\npcipass: acpiphp is loaded\n");
        assertThat(run.err()).isEmpty();

        Run again = runScript(script(), guest, LOADING_MODPROBE);
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).startsWith("pcipass: " + guest + "/" + FILE + " is in place already (mode 0755)\n");
        assertThat(Files.readString(file)).isEqualTo(CONTENT);
    }

    @Test
    void theScriptExitsNonZeroWhenTheModuleDidNotLoad() throws Exception {
        Path guest = fakeGuest("guest");
        Run run = runScript(script(), guest, "#!/bin/sh\necho \"$*\" >> \"$MODPROBE_LOG\"\nexit 1\n");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("pcipass: acpiphp did not load (modprobe acpiphp: exit 1); see dmesg\n");
        assertThat(Files.readString(tmp.resolve("modprobe.log"))).isEqualTo("acpiphp\n");
        assertThat(Files.readString(guest.resolve(FILE))).as("the file for the next boot is there").isEqualTo(CONTENT);
    }

    @Test
    void theScriptRefusesAnAdminsFileAndWarnsOffRhel5() throws Exception {
        Path guest = fakeGuest("guest");
        Fs.write(guest.resolve("etc/redhat-release"), "CentOS Linux release 7.9.2009 (Core)\n");
        Path file = Fs.write(guest.resolve(FILE), "#!/bin/sh\n/sbin/modprobe pciehp\n");
        Run run = runScript(script(), guest, LOADING_MODPROBE);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("pcipass: warning: " + guest + "/etc/redhat-release does not say RHEL 5: only"
                + " RHEL 5 guests need this\npcipass: " + file + " exists and pcipass did not write it; nothing"
                + " changed: add '/sbin/modprobe acpiphp >/dev/null 2>&1' to it (and make it executable), or move it"
                + " aside\n");
        assertThat(Files.readString(file)).isEqualTo("#!/bin/sh\n/sbin/modprobe pciehp\n");
        assertThat(names(file.getParent())).containsExactly("acpiphp.modules");
        assertThat(tmp.resolve("modprobe.log")).doesNotExist();
    }
}
