package org.pcipass.apply;

import java.util.Map;

/** Names the errno behind the C library's message, as the JDK reports a failed write. */
final class Errno {
    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry("No such device", "ENODEV"),
            Map.entry("Device or resource busy", "EBUSY"),
            Map.entry("Invalid argument", "EINVAL"),
            Map.entry("File exists", "EEXIST"),
            Map.entry("No such file or directory", "ENOENT"),
            Map.entry("Input/output error", "EIO"),
            Map.entry("Operation not permitted", "EPERM"),
            Map.entry("Permission denied", "EACCES"),
            Map.entry("No space left on device", "ENOSPC"),
            Map.entry("Operation not supported", "EOPNOTSUPP"),
            Map.entry("No such device or address", "ENXIO"),
            Map.entry("Read-only file system", "EROFS"),
            Map.entry("Resource temporarily unavailable", "EAGAIN"));

    private Errno() {}

    /** {@code "No such device"} → {@code "No such device (ENODEV)"}; unknown texts as they are. */
    static String describe(String message) {
        if (message == null) {
            return "unknown error";
        }
        // FileNotFoundException says "PATH (No such file or directory)"
        String m = message;
        int open = m.lastIndexOf(" (");
        if (open >= 0 && m.endsWith(")")) {
            m = m.substring(open + 2, m.length() - 1);
        }
        String name = NAMES.get(m);
        return name == null ? m : m + " (" + name + ")";
    }
}
