package org.pcipass.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * File-system helpers for the fake trees: every write creates its parent directories, every
 * symlink is relative (as the kernel's sysfs links are), and I/O errors become unchecked.
 */
public final class Fs {
    private Fs() {
    }

    /** Writes {@code content} (UTF-8) to {@code file}, creating parent directories; replaces. */
    public static Path write(Path file, String content) {
        return write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes raw bytes to {@code file}, creating parent directories; replaces. */
    public static Path write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends a UTF-8 text to {@code file}, creating it (and its parents) when missing. */
    public static Path append(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates an empty file unless it exists. */
    public static Path touch(Path file) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return file;
        }
        return write(file, new byte[0]);
    }

    /** Creates a directory and its parents. */
    public static Path mkdirs(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Creates (or replaces) the symlink {@code link} pointing at {@code target} by a RELATIVE path
     * computed from the link's directory, e.g. {@code ../../../devices/pci0000:00/0000:00:02.0}.
     * Both paths must be absolute and normalized (FakeHost makes sure of it).
     */
    public static Path link(Path link, Path target) {
        try {
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Path rel = link.getParent().relativize(target);
            return Files.createSymbolicLink(link, rel);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a whole text file (UTF-8). */
    public static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
