package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.cli.Main;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/**
 * How libvirt-java, JNA and libvirt's C library are loaded, each in a fresh JVM: only when a libvirt
 * backend is opened (never for other commands, never for a URI that is bad input), quietly, and
 * with one line naming the fix when a native part is missing.
 */
class LibvirtLoadingTest {
    private static final String MISSING_LIBVIRT = "libvirt's C library (libvirt.so.0) is not installed: apt install"
            + " libvirt0 (Debian, Ubuntu) or dnf install libvirt-libs (RHEL, Fedora)";

    @TempDir
    Path tmp;

    record Run(int exitCode, String stdout, String stderr) {
        List<String> loadedClasses() {
            List<String> out = new ArrayList<>();
            for (String line : stdout.split("\n")) {
                int at = line.indexOf("[class,load] ");
                if (at >= 0) {
                    out.add(line.substring(at + "[class,load] ".length()).split(" ")[0]);
                }
            }
            return out;
        }

        List<String> nativeBindingClasses() {
            return loadedClasses().stream().filter(c -> c.startsWith("com.sun.jna.") || c.startsWith("org.libvirt.")
                    || c.startsWith("org.pcipass.guest.LibvirtBackend")).toList();
        }
    }

    private Run java(List<String> jvmFlags, Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("out-" + System.nanoTime());
        Path err = tmp.resolve("err-" + System.nanoTime());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("child JVM did not finish in 60 s: " + cmd);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** Opens test:///default in a fresh JVM, skipping (outside CI) only when libvirt0 is not installed. */
    private Run openTestDriver(List<String> jvmFlags) throws Exception {
        Run r = java(jvmFlags, LibvirtOpenMain.class, "test:///default");
        if (r.stderr().contains("is not installed") && !Cli.CI) {
            assumeTrue(false, r.stderr());
        }
        return r;
    }

    @Test
    void openingTheTestDriverInAFreshJvmIsQuietAndTimed() throws Exception {
        Run r = openTestDriver(List.of());
        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdout()).containsPattern("open-ms \\d+\n").contains("nope: null\n");
        assertThat(r.stderr()).as("libvirt prints its errors (here: Domain not found) unless told not to").isEmpty();
        System.out.println("LibvirtLoadingTest: JNA + libvirt0 + test:///default opened in a fresh JVM: "
                + r.stdout().lines().filter(l -> l.startsWith("open-ms")).findFirst().orElseThrow());
    }

    @Test
    void openingLoadsJnaAndLibvirtJava() throws Exception {
        Run r = openTestDriver(List.of("-verbose:class"));
        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.loadedClasses()).contains("com.sun.jna.Native", "org.libvirt.Connect", "org.libvirt.Library",
                "org.pcipass.guest.LibvirtBackend");
    }

    @Test
    void aBadUriIsRefusedBeforeAnythingIsLoaded() throws Exception {
        Run r = java(List.of("-verbose:class"), LibvirtOpenMain.class, "qemu:///system\nrm -rf /");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("libvirt connection URI 'qemu:///system\\x0arm -rf /' holds the control"
                + " character U+000A; a libvirt connection URI is one line of at most 1024 characters, e.g. --connect"
                + " qemu:///system or --connect xen:///system\n");
        assertThat(r.loadedClasses()).contains("org.pcipass.guest.RealGuestBackends", "org.pcipass.guest.LibvirtUri");
        assertThat(r.nativeBindingClasses()).isEmpty();
    }

    @Test
    void otherCommandsNeverLoadLibvirt() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("host"));
        Run list = java(List.of("-verbose:class"), Main.class, "list", "--json", "--sysfs", h.sysfs().toString(),
                "--config-root", h.configRoot().toString(), "--state-dir", tmp.resolve("state").toString());
        assertThat(list.exitCode()).as("stderr: %s", list.stderr()).isZero();
        assertThat(list.loadedClasses()).as("the run was logged").contains("org.pcipass.cli.Main");
        assertThat(list.nativeBindingClasses()).isEmpty();
        Run help = java(List.of("-verbose:class"), Main.class, "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.nativeBindingClasses()).isEmpty();
    }

    /** JNA searches its system paths, then asks dlopen for "libvirt.so": a libvirt-dev install would answer that. */
    @Test
    void aMissingLibvirtLibraryIsOneLineWithTheFix() throws Exception {
        for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64", "/lib")) {
            assumeTrue(!Files.exists(Path.of(dir, "libvirt.so")), dir + "/libvirt.so (libvirt-dev) would be found");
        }
        Run r = java(List.of("-Djna.platform.library.path=/nonexistent", "-Djna.library.path=/nonexistent"),
                LibvirtOpenMain.class, "test:///default");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo(MISSING_LIBVIRT + "\n");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aJnaThatCannotLoadItsNativePartIsOneLineWithTheFix() throws Exception {
        Run r = java(List.of("-Djna.nounpack=true", "-Djna.nosys=true"), LibvirtOpenMain.class, "test:///default");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("JNA could not load its native part (").endsWith(
                "); JNA unpacks it into ~/.cache/JNA/temp, which must be writable and not mounted noexec: name another"
                        + " directory with JAVA_TOOL_OPTIONS=-Djna.tmpdir=DIR\n");
        assertThat(r.stderr().lines()).hasSize(1);
    }
}
