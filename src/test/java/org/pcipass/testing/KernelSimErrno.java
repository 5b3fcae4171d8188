package org.pcipass.testing;

import java.io.IOException;
import java.util.Locale;

/**
 * The errno values the {@link KernelSim kernel simulator} answers with, each with the C library's
 * {@code strerror} text (glibc's wording), which is what the JDK puts in the message of an
 * {@link IOException} when a {@code write(2)} fails.
 */
public enum KernelSimErrno {
    EPERM("Operation not permitted"),
    ENOENT("No such file or directory"),
    EIO("Input/output error"),
    ENXIO("No such device or address"),
    EAGAIN("Resource temporarily unavailable"),
    ENOMEM("Cannot allocate memory"),
    EACCES("Permission denied"),
    EBUSY("Device or resource busy"),
    EEXIST("File exists"),
    ENODEV("No such device"),
    EISDIR("Is a directory"),
    EINVAL("Invalid argument"),
    ENOSPC("No space left on device"),
    ETIMEDOUT("Connection timed out");

    private final String text;

    KernelSimErrno(String text) {
        this.text = text;
    }

    /** glibc's text, e.g. {@code "No such device"} for ENODEV. */
    public String strerror() {
        return text;
    }

    /** A failed write as the JDK reports it: an IOException whose message is {@link #strerror()}. */
    public IOException exception() {
        return new IOException(text);
    }

    /** Parses {@code "EBUSY"}, {@code "ebusy"} or {@code "-EBUSY"}. */
    public static KernelSimErrno named(String name) {
        String n = name.strip().toUpperCase(Locale.ROOT);
        return valueOf(n.startsWith("-") ? n.substring(1) : n);
    }

    /** The errno whose strerror text is {@code message}, or null (e.g. for a FileNotFoundException's "path (...)"). */
    public static KernelSimErrno ofMessage(String message) {
        for (KernelSimErrno e : values()) {
            if (e.text.equals(message) || (message != null && message.endsWith(" (" + e.text + ")"))) {
                return e;
            }
        }
        return null;
    }
}
