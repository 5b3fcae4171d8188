package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.ChildPcipass;

/**
 * sqlite-jdbc extracts its native library to a directory before loading it: java.io.tmpdir unless
 * told otherwise, and pcipass tells it the state dir, so that a /tmp that is missing, read-only or
 * mounted noexec (hardened hosts) does not break the store. Each case runs in a child JVM, since a
 * JVM loads the library once; the controls force the library into the broken directory and show
 * that the case really breaks it.
 */
class NativeLibraryDirTest {
    static final Duration CHILD = Duration.ofSeconds(90);
    static final String GPU = "0000:09:00.0";

    @TempDir
    Path tmp;

    private static ChildPcipass.Outcome put(List<String> launcher, String javaOptions, Path state) {
        Map<String, String> env = javaOptions == null ? Map.of() : Map.of("JAVA_TOOL_OPTIONS", javaOptions);
        try (ChildPcipass p = ChildPcipass.startUnder(launcher, StoreMain.class, env,
                List.of("put", state.toString(), GPU, "win10"))) {
            return p.waitFor(CHILD);
        }
    }

    /** stderr without the JVM's "Picked up JAVA_TOOL_OPTIONS" line. */
    private static String err(ChildPcipass.Outcome o) {
        return o.stderr().replaceFirst("Picked up JAVA_TOOL_OPTIONS: [^\n]*\n", "");
    }

    @Test
    void theStoreOpensWhenJavaIoTmpdirDoesNotExist() throws Exception {
        Path state = tmp.resolve("state");
        ChildPcipass.Outcome o = put(List.of(), "-Djava.io.tmpdir=/nonexistent", state);
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        assertThat(err(o)).isEmpty();
        assertThat(o.stdout()).isEqualTo("assigned " + GPU + " to win10\n");
        try (var files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("pcipass.db", "owners",
                    ".owners.lock", "native");
        }
        assertThat(nativeFiles(state)).containsExactly("libsqlitejdbc-3.54.1.0-" + platform() + ".so");
    }

    /**
     * The library is written once and reused by later processes (same file, not rewritten); a copy
     * that differs from the jar's (a disk error, an edit) is replaced, never loaded.
     */
    @Test
    void theLibraryIsKeptInTheStateDirReusedAndReplacedWhenItDiffers() throws Exception {
        Path state = tmp.resolve("state");
        assertThat(put(List.of(), null, state).exitCode()).isZero();
        Path lib = state.resolve("native/libsqlitejdbc-3.54.1.0-" + platform() + ".so");
        Object inode = Files.getAttribute(lib, "unix:ino");
        byte[] good = Files.readAllBytes(lib);
        assertThat(Files.getPosixFilePermissions(lib)).hasSize(7); // rwxr-xr-x

        assertThat(put(List.of(), null, state).exitCode()).isZero();
        assertThat(Files.getAttribute(lib, "unix:ino")).as("not rewritten").isEqualTo(inode);

        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 1;
        Files.write(lib, bad);
        ChildPcipass.Outcome o = put(List.of(), null, state);
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        assertThat(Files.readAllBytes(lib)).isEqualTo(good);
        assertThat(nativeFiles(state)).hasSize(1);
    }

    private static List<String> nativeFiles(Path state) throws Exception {
        try (var files = Files.list(state.resolve("native"))) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** sqlite-jdbc's folder for this machine, as in its jar: Linux-x86_64, Linux-aarch64 (glibc hosts). */
    private static String platform() {
        return "Linux-" + System.getProperty("os.arch").replace("amd64", "x86_64");
    }

    @Test
    void controlALibraryExtractedToAMissingDirectoryIsOneLineNamingIt() {
        Path state = tmp.resolve("state");
        ChildPcipass.Outcome o = put(List.of(), "-Djava.io.tmpdir=/nonexistent -Dorg.sqlite.tmpdir=/nonexistent", state);
        assertThat(o.exitCode()).isEqualTo(1);
        assertThat(err(o)).isEqualTo("pcipass: cannot open the store " + state.resolve(Store.FILE) + ": SQLite's native"
                + " library did not load (No native library found for os.name=Linux, os.arch="
                + System.getProperty("os.arch").replace("amd64", "x86_64") + "); pcipass extracts it to /nonexistent,"
                + " which must be writable and not mounted noexec (or choose one:"
                + " JAVA_TOOL_OPTIONS=-Dorg.sqlite.tmpdir=DIR)\n");
    }

    /** java.io.tmpdir on a noexec tmpfs, mounted in the child's own mount namespace. */
    @Test
    void theStoreOpensWhenJavaIoTmpdirIsMountedNoexec() throws Exception {
        Path noexec = Files.createDirectories(tmp.resolve("noexec-tmp"));
        List<String> launcher = List.of("unshare", "-m", "sh", "-c", "mount -t tmpfs -o noexec tmpfs '" + noexec
                + "' && exec \"$@\"", "sh");
        ChildPcipass.Outcome o = put(launcher, "-Djava.io.tmpdir=" + noexec, tmp.resolve("state"));
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        assertThat(o.stdout()).isEqualTo("assigned " + GPU + " to win10\n");

        ChildPcipass.Outcome control = put(launcher, "-Djava.io.tmpdir=" + noexec + " -Dorg.sqlite.tmpdir=" + noexec,
                tmp.resolve("control"));
        assertThat(control.exitCode()).isEqualTo(1);
        assertThat(err(control)).startsWith("pcipass: cannot open the store " + tmp.resolve("control/pcipass.db")
                + ": SQLite's native library did not load (No native library found for os.name=Linux, os.arch=")
                .endsWith("; pcipass extracts it to " + noexec + ", which must be writable and not mounted noexec (or"
                        + " choose one: JAVA_TOOL_OPTIONS=-Dorg.sqlite.tmpdir=DIR)\n");
    }
}
