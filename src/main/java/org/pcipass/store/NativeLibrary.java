package org.pcipass.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * SQLite's native library, extracted once into {@code STATE/native/} and loaded from there.
 *
 * <p>Left to itself, sqlite-jdbc writes its 1.1 MB library to a new file in its temporary
 * directory on every start, reads it back byte by byte, and deletes it at exit: about 100 ms of each
 * command that opens the store, and a file left behind by every process that is killed. Here the
 * library is written once (temporary file, fsync, rename) under a name that carries its version and
 * platform, checked against the jar's CRC on every start (a millisecond), and handed to sqlite-jdbc
 * through {@code org.sqlite.lib.path}/{@code org.sqlite.lib.name}. Any failure leaves sqlite-jdbc's
 * own extraction to do the work.
 */
final class NativeLibrary {
    static final String DIR = "native";
    private static final String NAME = "libsqlitejdbc.so";

    private NativeLibrary() {}

    /** The library's copy under {@code stateDir}, written when missing or different; null when that cannot be done. */
    static Path cached(Path stateDir) {
        try {
            String folder = OSInfo.getNativeLibFolderPathForCurrentOS(); // e.g. Linux/x86_64, Linux-Musl/aarch64
            URL url = SQLiteJDBCLoader.class.getResource("/org/sqlite/native/" + folder + "/" + NAME);
            if (url == null) {
                return null;
            }
            Path file = stateDir.resolve(DIR).resolve("libsqlitejdbc-" + SQLiteJDBCLoader.getVersion() + "-"
                    + folder.replace('/', '-') + ".so");
            long[] expected = sizeAndCrc(url);
            if (!matches(file, expected)) {
                write(url, file);
                if (!matches(file, expected)) {
                    return null;
                }
            }
            return file;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The jar entry's size and CRC from the jar's directory (no reading), or computed from the resource. */
    private static long[] sizeAndCrc(URL url) throws IOException {
        URLConnection conn = url.openConnection();
        if (conn instanceof JarURLConnection jar) {
            conn.setUseCaches(false);
            JarEntry e = jar.getJarEntry();
            if (e.getSize() >= 0 && e.getCrc() >= 0) {
                return new long[] {e.getSize(), e.getCrc()};
            }
        }
        try (InputStream in = url.openStream()) {
            byte[] bytes = in.readAllBytes();
            return new long[] {bytes.length, crc(bytes)};
        }
    }

    private static boolean matches(Path file, long[] sizeAndCrc) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) != sizeAndCrc[0]) {
            return false;
        }
        return crc(Files.readAllBytes(file)) == sizeAndCrc[1];
    }

    private static long crc(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return c.getValue();
    }

    /** Writes the library to {@code file} atomically: a crash leaves the old copy or none, never half of one. */
    private static void write(URL url, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        sweep(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try (InputStream in = url.openStream();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(in.readAllBytes());
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        StateFiles.syncDirectory(file.getParent());
    }

    /**
     * Removes temporary copies a killed process left (1.1 MB each). One still being written by
     * another process may go too: that process then falls back to sqlite-jdbc's own extraction.
     */
    private static void sweep(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(".libsqlitejdbc-") && n.endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
