package org.pcipass.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import org.pcipass.PcipassException;

/**
 * The persist package's only I/O: reads a file's exact bytes, and replaces a file atomically
 * (temporary file in the same directory, fsync, rename, fsync of the directory), keeping the
 * previous content as {@code FILE.pcipass.bak}. A replace is refused when the file no longer
 * holds the bytes the plan was made from.
 *
 * <p>Neither the backup nor the temporary file ends in {@code .conf}: kmod reads only
 * {@code /etc/modprobe.d/*.conf}, so a leftover never becomes configuration.
 */
public final class AtomicFile {
    public static final String BACKUP_SUFFIX = ".pcipass.bak";
    private static final Set<PosixFilePermission> DEFAULT_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private AtomicFile() {}

    /**
     * A file's bytes at one moment; {@code bytes} null when there was no file. Text is UTF-8 when
     * the bytes are valid UTF-8 and ISO-8859-1 otherwise, so that text → bytes is exact either way.
     */
    public record Snapshot(byte[] bytes) {
        public static final Snapshot ABSENT = new Snapshot(null);

        public Snapshot {
            bytes = bytes == null ? null : bytes.clone();
        }

        /** The snapshot of a text written in UTF-8. */
        public static Snapshot ofText(String text) {
            return new Snapshot(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public byte[] bytes() {
            return bytes == null ? null : bytes.clone();
        }

        public boolean exists() {
            return bytes != null;
        }

        /** UTF-8, or ISO-8859-1 when the bytes are not valid UTF-8. */
        public Charset charset() {
            if (bytes == null) {
                return StandardCharsets.UTF_8;
            }
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
                return StandardCharsets.UTF_8;
            } catch (CharacterCodingException e) {
                return StandardCharsets.ISO_8859_1;
            }
        }

        /** The text; empty when there is no file. */
        public String text() {
            return bytes == null ? "" : new String(bytes, charset());
        }

        /** {@code text} in this snapshot's charset. */
        public byte[] encode(String text) {
            return text.getBytes(charset());
        }

        /** Lower-case hex SHA-256 of the bytes, or null when there is no file. */
        public String sha256() {
            return bytes == null ? null : AtomicFile.sha256(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Snapshot s && Arrays.equals(bytes, s.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return bytes == null ? "Snapshot[absent]" : "Snapshot[" + bytes.length + " bytes, sha256 " + sha256() + "]";
        }
    }

    /** The file's bytes now; absent when there is no file. */
    public static Snapshot read(Path file) {
        refuseDirectory(file);
        try {
            return new Snapshot(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Snapshot.ABSENT;
        } catch (IOException e) {
            throw new PcipassException("cannot read " + file + ": " + reason(e), e);
        }
    }

    /**
     * Replaces {@code file} with {@code after} (null: deletes it), provided it still holds the
     * bytes whose SHA-256 is {@code expectedSha256} (null: provided there is still no file).
     * Writing the bytes it already holds does nothing.
     *
     * @throws FileChangedException when the file changed since the plan (exit 1; nothing written)
     * @throws PcipassException when the path is a directory or cannot be replaced (exit 1)
     */
    public static void replace(Path file, String expectedSha256, byte[] after) {
        replace(file, expectedSha256, after, null);
    }

    /**
     * As {@link #replace(Path, String, byte[])}, and the file ends with {@code mode} (e.g. an
     * executable script's {@code rwxr-xr-x}) from the rename on, also when its bytes were already
     * {@code after}; null keeps the file's mode ({@code rw-r--r--} for a new file). The backup keeps the
     * old mode.
     */
    public static void replace(Path file, String expectedSha256, byte[] after, Set<PosixFilePermission> mode) {
        Path target = realTarget(file);
        Snapshot now = read(target);
        if (!Objects.equals(now.sha256(), expectedSha256)) {
            throw new FileChangedException(file + " changed since the plan was made (planned from " + describe(expectedSha256)
                    + ", now " + describe(now.sha256()) + "); nothing was written: run the command again");
        }
        if (after == null && !now.exists()) {
            return;
        }
        try {
            Set<PosixFilePermission> old = now.exists() ? mode(target) : DEFAULT_MODE;
            if (after != null && now.exists() && Arrays.equals(now.bytes, after)) {
                if (mode != null && !mode.equals(old)) {
                    setMode(target, mode);
                }
                return;
            }
            Files.createDirectories(target.getParent());
            if (now.exists()) {
                write(target.resolveSibling(target.getFileName() + BACKUP_SUFFIX), now.bytes, old);
            }
            if (after == null) {
                Files.delete(target);
                syncDirectory(target.getParent());
            } else {
                write(target, after, mode != null ? mode : old);
            }
        } catch (IOException e) {
            throw new PcipassException("cannot replace " + file + ": " + reason(e)
                    + "; the file was left as it was", e);
        }
    }

    /** Same as {@link #replace(Path, String, byte[])} with the snapshot the plan was made from. */
    public static void replace(Path file, Snapshot expected, byte[] after) {
        replace(file, expected.sha256(), after);
    }

    /** Temporary file beside {@code target}, written and fsynced, then renamed over it. */
    private static void write(Path target, byte[] bytes, Set<PosixFilePermission> mode) throws IOException {
        Path dir = target.getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".pcipass-tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            setMode(tmp, mode);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically in " + dir, e);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A link is followed, so that a linked configuration file stays linked. */
    private static Path realTarget(Path file) {
        refuseDirectory(file);
        if (!Files.isSymbolicLink(file)) {
            return file;
        }
        try {
            return file.toRealPath();
        } catch (IOException e) {
            throw new PcipassException("cannot replace " + file + ": it is a link to " + linkTarget(file)
                    + ", which does not exist; fix or remove the link and run again", e);
        }
    }

    private static void refuseDirectory(Path file) {
        if (Files.isDirectory(file)) {
            throw new PcipassException("cannot replace " + file + ": it is a directory, not a file;"
                    + " move it aside and run again");
        }
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    private static Set<PosixFilePermission> mode(Path file) throws IOException {
        try {
            return Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException e) {
            return DEFAULT_MODE;
        }
    }

    private static void setMode(Path file, Set<PosixFilePermission> mode) throws IOException {
        try {
            Files.setPosixFilePermissions(file, mode);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the temporary file's mode stands.
        }
    }

    /** Makes a rename durable; best effort, since some file systems refuse to fsync a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // The rename itself has happened; only its durability across a crash is weaker.
        }
    }

    private static String describe(String sha256) {
        return sha256 == null ? "no file" : "sha256 " + sha256.substring(0, 12);
    }

    private static String reason(IOException e) {
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " exists and is not a directory";
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied on " + a.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + (f.getFile() == null ? "" : " (" + f.getFile() + ")");
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
