package org.pcipass.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;

/**
 * {@code STATE/owners}: which guest holds each device, as a small text file, so that {@code list}
 * answers without loading the JDBC driver or opening SQLite. One line per device, in address order:
 *
 * <pre>
 * # pcipass owners: ...
 * 0000:09:00.0 win10 pcipass
 * 0000:0a:00.0 my%20vm external
 * </pre>
 *
 * <p>pcipass's lines are rewritten from the store with every {@link Store#commit} (while the store's
 * transaction is still open, so a file that cannot be written leaves the store unchanged); the
 * external lines (devices other tools assigned) come from {@link #writeExternal}. A guest name is
 * written with every byte outside {@code A-Z a-z 0-9 _ . + -} as {@code %XX} (UTF-8): pcipass's own
 * names never need it, other tools' may hold spaces. This class must not touch {@code java.sql}.
 */
public final class Owners {
    public static final String FILE = "owners";
    /** Serializes the writers of the owners file across processes (an fcntl lock). */
    static final String LOCK = ".owners.lock";
    static final String PCIPASS = "pcipass";
    static final String EXTERNAL = "external";
    private static final String HEADER = "# pcipass owners: ADDRESS GUEST pcipass|external, one line per device"
            + " a guest holds; rewritten by pcipass with every change to " + Store.FILE + ", read by 'pcipass list'."
            + " Do not edit.\n";
    /** Threads of one JVM: a second fcntl lock on the same file from this process would throw. */
    private static final Object JVM_LOCK = new Object();

    /** @param external assigned by another tool (libvirt's managed hostdevs, xl), not by pcipass */
    public record Owner(String guest, boolean external) {
        public Owner {
            Objects.requireNonNull(guest, "guest");
        }
    }

    private Owners() {}

    /**
     * The owners by device; empty when the file (or the state dir) is absent or cannot be read: it is
     * a listing's aid, never its failure. Creates nothing. A line that cannot be read is skipped; a
     * device on two lines keeps pcipass's line, else the first.
     */
    public static Map<PciAddress, Owner> read(Path stateDir) {
        Map<PciAddress, Owner> out = new TreeMap<>();
        String text;
        try {
            // bytes that are not UTF-8 become U+FFFD, which no line may hold: only their lines are skipped
            text = new String(Files.readAllBytes(stateDir.resolve(FILE)), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return out; // absent, a state dir that is a file, unreadable
        }
        text.lines().forEach(line -> parse(line, out));
        return out;
    }

    /**
     * Replaces the external lines with {@code external} (device to the other tool's guest name),
     * keeping pcipass's lines; a device pcipass owns is not listed as external. Does nothing when the
     * state dir does not exist (read-only commands never create it) or the file already says this.
     */
    public static void writeExternal(Path stateDir, Map<PciAddress, String> external) {
        external.forEach((d, g) -> checkGuest(d, g));
        if (!Files.isDirectory(stateDir)) {
            return;
        }
        locked(stateDir, () -> {
            Map<PciAddress, String> mine = new TreeMap<>();
            read(stateDir).forEach((d, o) -> {
                if (!o.external()) {
                    mine.put(d, o.guest());
                }
            });
            write(stateDir, mine, external);
            return null;
        });
    }

    /** Rewrites pcipass's lines as {@code pcipass} says, keeping the external lines; call it under {@link #locked}. */
    static void writePcipass(Path stateDir, Map<PciAddress, String> pcipass) {
        Map<PciAddress, String> external = new TreeMap<>();
        read(stateDir).forEach((d, o) -> {
            if (o.external()) {
                external.put(d, o.guest());
            }
        });
        write(stateDir, pcipass, external);
    }

    /** Whether the file's pcipass lines are exactly {@code pcipass} (an absent file holds none). */
    static boolean saysPcipass(Path stateDir, Map<PciAddress, String> pcipass) {
        Map<PciAddress, String> mine = new TreeMap<>();
        read(stateDir).forEach((d, o) -> {
            if (!o.external()) {
                mine.put(d, o.guest());
            }
        });
        return mine.equals(new TreeMap<>(pcipass));
    }

    /** Runs {@code work} holding the owners lock ({@code STATE/.owners.lock}), which serializes the file's writers. */
    static <T> T locked(Path stateDir, Supplier<T> work) {
        Path lockFile = stateDir.resolve(LOCK);
        synchronized (JVM_LOCK) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock l = ch.lock()) {
                return work.get();
            } catch (IOException e) {
                throw new PcipassException("cannot lock " + lockFile + ": " + e.getMessage()
                        + "; check that the state dir is writable by this user");
            }
        }
    }

    private static void write(Path stateDir, Map<PciAddress, String> pcipass, Map<PciAddress, String> external) {
        StringBuilder b = new StringBuilder(HEADER);
        Map<PciAddress, String> lines = new TreeMap<>();
        external.forEach((d, g) -> lines.put(d, encode(g) + " " + EXTERNAL));
        pcipass.forEach((d, g) -> lines.put(d, encode(g) + " " + PCIPASS)); // pcipass's own record wins
        lines.forEach((d, rest) -> b.append(d).append(' ').append(rest).append('\n'));
        Path file = stateDir.resolve(FILE);
        String text = b.toString();
        if (!text.equals(current(file))) {
            StateFiles.writeAtomically(file, text);
        }
    }

    private static String current(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void parse(String line, Map<PciAddress, Owner> out) {
        if (line.isBlank() || line.startsWith("#")) {
            return;
        }
        String[] f = line.strip().split(" ");
        if (f.length != 3 || !(f[2].equals(PCIPASS) || f[2].equals(EXTERNAL))) {
            return;
        }
        PciAddress device;
        String guest;
        try {
            device = PciAddress.parse(f[0]);
            guest = decode(f[1]);
        } catch (IllegalArgumentException e) {
            return;
        }
        Owner o = new Owner(guest, f[2].equals(EXTERNAL));
        Owner before = out.get(device);
        if (before == null || before.external() && !o.external()) {
            out.put(device, o);
        }
    }

    private static void checkGuest(PciAddress device, String guest) {
        Objects.requireNonNull(device, "device");
        if (guest == null || guest.isEmpty()) {
            throw new IllegalArgumentException("guest: the external owner of " + device + " has no name");
        }
    }

    /** {@code name} with every byte outside {@code A-Z a-z 0-9 _ . + -} as %XX of its UTF-8. */
    static String encode(String name) {
        StringBuilder b = new StringBuilder();
        for (byte x : name.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "_.+-".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return b.toString();
    }

    /** @throws IllegalArgumentException when {@code text} is empty, holds a raw byte {@link #encode} escapes, or a bad %XX */
    static String decode(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty guest");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("a raw character outside printable ASCII in '" + text + "'");
            }
            if (c != '%') {
                out.write(c);
                continue;
            }
            if (i + 2 >= text.length()) {
                throw new IllegalArgumentException("cut %XX in '" + text + "'");
            }
            int hi = Character.digit(text.charAt(i + 1), 16);
            int lo = Character.digit(text.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad %XX in '" + text + "'");
            }
            out.write(hi << 4 | lo);
            i += 2;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
