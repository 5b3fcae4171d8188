package org.pcipass.sysfs;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Reads (and, for later plans, writes) files under one root directory: the sysfs tree, or the
 * config root that stands for {@code /}. Paths are relative strings such as
 * {@code bus/pci/devices/0000:09:00.0/vendor}.
 *
 * <p>Reads never throw for a missing or unreadable attribute: a file that is absent, a directory,
 * or a dangling link reads as {@code null}, so one odd device never fails a whole listing. Reads
 * use plain {@link FileInputStream}s and a per-thread buffer: the scanner makes a dozen of them per
 * device, and at thousands of devices the per-call cost is what counts.
 */
public final class Sysfs {
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[4096]);

    private final Path root;
    private final String prefix;

    private volatile Path realRoot;

    public Sysfs(Path root) {
        this.root = root.toAbsolutePath().normalize();
        String r = this.root.toString();
        this.prefix = r.endsWith("/") ? r : r + "/";
    }

    public Path root() {
        return root;
    }

    /** The absolute path of {@code rel} under the root, as a string. */
    public String path(String rel) {
        return prefix + rel;
    }

    /** The file's text without its trailing newline, or null when it cannot be read as a file. */
    public String read(String rel) {
        byte[] buf = BUFFER.get();
        int n = readInto(rel, buf);
        if (n < 0) {
            return null;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0)) {
            n--;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    /** Reads a whole file of any size as text, or null when it cannot be read as a file. */
    public String readAll(String rel) {
        try {
            return Files.readString(Paths.get(path(rel)), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The first {@code max} bytes of a file (fewer if it is shorter), or null when unreadable. */
    public byte[] readBytes(String rel, int max) {
        byte[] buf = new byte[max];
        int n = readInto(rel, buf);
        if (n < 0) {
            return null;
        }
        return n == max ? buf : java.util.Arrays.copyOf(buf, n);
    }

    private int readInto(String rel, byte[] buf) {
        // One read: a sysfs attribute comes whole from its first read, and a short read means the
        // end of a regular file too; a second read only to see EOF would double the system calls.
        try (FileInputStream in = new FileInputStream(path(rel))) {
            int n = in.read(buf, 0, buf.length);
            return Math.max(n, 0);
        } catch (IOException e) {
            return -1;
        }
    }

    /** A hexadecimal attribute such as {@code 0x8086}, or null when unreadable or not hex. */
    public Integer readHex(String rel) {
        String s = read(rel);
        if (s == null) {
            return null;
        }
        s = s.strip();
        if (s.startsWith("0x") || s.startsWith("0X")) {
            s = s.substring(2);
        }
        try {
            return s.isEmpty() || s.length() > 8 ? null : (int) Long.parseLong(s, 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A decimal attribute, or null when unreadable or not a number. */
    public Integer readInt(String rel) {
        String s = read(rel);
        if (s == null) {
            return null;
        }
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The target of a symbolic link, or null when {@code rel} is not a link. */
    public String readlink(String rel) {
        try {
            return Files.readSymbolicLink(Paths.get(path(rel))).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** The last path component of a link's target ({@code driver} → {@code e1000e}), or null. */
    public String linkName(String rel) {
        String target = readlink(rel);
        if (target == null) {
            return null;
        }
        int slash = target.lastIndexOf('/');
        return slash < 0 ? target : target.substring(slash + 1);
    }

    /** The names in a directory, or an empty array when it is absent or not a directory. */
    public String[] list(String rel) {
        String[] names = new File(path(rel)).list();
        return names == null ? new String[0] : names;
    }

    private Path realRoot() throws IOException {
        Path r = realRoot;
        if (r == null) {
            r = root.toRealPath();
            realRoot = r;
        }
        return r;
    }

    public boolean exists(String rel) {
        return new File(path(rel)).exists();
    }

    public boolean isDirectory(String rel) {
        return new File(path(rel)).isDirectory();
    }

    /** The canonical path of {@code rel} relative to the root (links resolved), or null. */
    public String resolve(String rel) {
        try {
            Path real = Paths.get(path(rel)).toRealPath();
            Path base = realRoot();
            return real.startsWith(base) ? base.relativize(real).toString() : real.toString();
        } catch (IOException e) {
            return null;
        }
    }
}
