package org.pcipass.sysfs;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;

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
        return text(buf, readInto(rel, buf));
    }

    /** Reads a whole file of any size as text, or null when it cannot be read as a file. */
    public String readAll(String rel) {
        try {
            return Files.readString(Paths.get(path(rel)), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
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

    /**
     * The directory {@code rel}, held open so that its attribute files are opened relative to it
     * ({@code openat}): the kernel walks the path to the directory once instead of once per file.
     * Reads through it behave exactly as {@link #read}: null for what cannot be read as a file.
     * Close it after use.
     */
    public Dir dir(String rel) {
        String base = rel.endsWith("/") ? rel : rel + "/";
        Path dir;
        try {
            dir = Paths.get(path(base));
        } catch (RuntimeException e) {
            return new Dir(base, null, null); // not a path: every read answers null
        }
        try {
            java.nio.file.DirectoryStream<Path> stream = Files.newDirectoryStream(dir);
            if (stream instanceof SecureDirectoryStream<Path> sds) {
                return new Dir(base, dir, sds);
            }
            stream.close(); // a platform without openat: path-based reads
        } catch (IOException | RuntimeException e) {
            // not a directory, or gone: every read then answers null, as path-based reads would
        }
        return new Dir(base, dir, null);
    }

    /**
     * Attribute names as paths, parsed once: a listing opens tens of thousands of files by a dozen
     * names, and parsing and encoding a name again for each open costs more than the lookup.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, Path> NAMES =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static Path name(String name) {
        Path p = NAMES.get(name);
        if (p == null) {
            p = Paths.get(name);
            if (NAMES.size() < 64) { // the scanner's fixed names; anything else is parsed each time
                NAMES.putIfAbsent(name, p);
            }
        }
        return p;
    }

    /** An open directory of attribute files; see {@link Sysfs#dir}. */
    public final class Dir implements AutoCloseable {
        private static final java.util.Set<StandardOpenOption> READ = java.util.EnumSet.of(StandardOpenOption.READ);
        private static final ThreadLocal<ByteBuffer> DIRECT = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(4096));

        private final String base;
        private final Path dir;
        private final SecureDirectoryStream<Path> handle;

        private Dir(String base, Path dir, SecureDirectoryStream<Path> handle) {
            this.base = base;
            this.dir = dir;
            this.handle = handle;
        }

        /**
         * The last path component of the link {@code name}'s target, or null, as {@link Sysfs#linkName}:
         * read by path (Java has no readlinkat), the path built from this directory's without
         * parsing it again.
         */
        public String linkName(String name) {
            if (dir == null) {
                return null;
            }
            try {
                return lastComponent(Files.readSymbolicLink(dir.resolve(name(name))).toString());
            } catch (IOException | UnsupportedOperationException e) {
                return null;
            }
        }

        /** The file's text without its trailing newline, or null. */
        public String read(String name) {
            byte[] buf = BUFFER.get();
            return text(buf, readInto(name, buf));
        }

        /** A hexadecimal attribute ({@code 0x8086}), or null. */
        public Integer readHex(String name) {
            return number(name, 16);
        }

        /** A decimal attribute, or null. */
        public Integer readInt(String name) {
            return number(name, 10);
        }

        /** Parsed from the read bytes without a String when they are what the kernel writes. */
        private Integer number(String name, int base) {
            byte[] buf = BUFFER.get();
            int n = readInto(name, buf);
            if (n < 0) {
                return null;
            }
            long v = parseNumber(buf, n, base);
            if (v != NOT_PLAIN) {
                return (int) v;
            }
            String text = text(buf, n);
            return base == 16 ? hex(text) : decimal(text);
        }

        /**
         * The byte at {@code offset}, or -1 when the file is unreadable or shorter. One positioned
         * read ({@code pread}) of one byte: on a real kernel every byte of {@code config} read is an
         * access to the device's configuration space (a dword at a time), so the header type costs
         * one access instead of the sixteen of a 64-byte read.
         */
        public int readByteAt(String name, int offset) {
            if (handle == null) {
                byte[] b = new byte[offset + 1];
                return readInto(name, b) <= offset ? -1 : b[offset] & 0xff;
            }
            ByteBuffer bb = DIRECT.get();
            bb.clear().limit(1);
            try (SeekableByteChannel ch = handle.newByteChannel(name(name), READ)) {
                int n = ch instanceof java.nio.channels.FileChannel fc ? fc.read(bb, offset) : ch.position(offset).read(bb);
                return n == 1 ? bb.get(0) & 0xff : -1;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        private int readInto(String name, byte[] buf) {
            if (handle == null) {
                return Sysfs.this.readInto(base + name, buf);
            }
            ByteBuffer bb = DIRECT.get();
            bb.clear().limit(Math.min(buf.length, bb.capacity()));
            // one read, as in Sysfs.readInto
            try (SeekableByteChannel ch = handle.newByteChannel(name(name), READ)) {
                int n = Math.max(ch.read(bb), 0);
                bb.flip().get(buf, 0, n);
                return n;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        @Override
        public void close() {
            if (handle != null) {
                try {
                    handle.close();
                } catch (IOException e) {
                    // a read-only directory handle: nothing was written that could be lost
                }
            }
        }
    }

    private static final long NOT_PLAIN = Long.MIN_VALUE;

    /**
     * The number in the first {@code n} bytes when they hold exactly what the kernel writes — for
     * base 16 an optional {@code 0x} and 1 to 8 hex digits, for base 10 an optional {@code -} and 1
     * to 9 digits — followed only by newlines or NULs; else {@link #NOT_PLAIN}, and the caller
     * parses the text as before (same result, same nulls).
     */
    static long parseNumber(byte[] b, int length, int base) {
        int n = trimmed(b, length);
        int i = 0;
        boolean negative = false;
        if (base == 16 && n >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')) {
            i = 2;
        } else if (base == 10 && n >= 1 && b[0] == '-') {
            negative = true;
            i = 1;
        }
        int digits = n - i;
        if (digits < 1 || digits > (base == 16 ? 8 : 9)) {
            return NOT_PLAIN;
        }
        long v = 0;
        for (; i < n; i++) {
            int d = Character.digit(b[i], base);
            if (d < 0) {
                return NOT_PLAIN;
            }
            v = v * base + d;
        }
        return negative ? -v : v;
    }

    /** The first {@code n} bytes as text without trailing newlines or NULs; null for a failed read ({@code n < 0}). */
    private static String text(byte[] buf, int n) {
        if (n < 0) {
            return null;
        }
        return new String(buf, 0, trimmed(buf, n), StandardCharsets.UTF_8);
    }

    /** The length of the first {@code n} bytes without the newlines and NULs that end them. */
    private static int trimmed(byte[] b, int n) {
        while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == 0)) {
            n--;
        }
        return n;
    }

    private static Integer hex(String s) {
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

    private static Integer decimal(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A hexadecimal attribute such as {@code 0x8086}, or null when unreadable or not hex. */
    public Integer readHex(String rel) {
        return hex(read(rel));
    }

    /** A decimal attribute, or null when unreadable or not a number. */
    public Integer readInt(String rel) {
        return decimal(read(rel));
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
        return lastComponent(readlink(rel));
    }

    private static String lastComponent(String target) {
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
