package org.pcipass.sysfs;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * How pcipass's writes reach the kernel: every sysfs write of a plan goes through one of these.
 * The real one writes the file; tests plug in a kernel simulator that behaves as the kernel does.
 */
public interface KernelWriter {
    /**
     * Writes {@code value} to the attribute {@code file} in one write(2), as {@code echo -n} would.
     *
     * @throws IOException the kernel's refusal; its message is the C library's text for the errno
     *     ({@code "No such device"}, {@code "Device or resource busy"}), as the JDK reports it
     */
    void write(Path file, String value) throws IOException;

    /** Writes the real file. */
    KernelWriter REAL = (file, value) -> {
        try (FileOutputStream out = new FileOutputStream(file.toFile())) {
            out.write(value.getBytes(StandardCharsets.UTF_8));
        }
    };
}
