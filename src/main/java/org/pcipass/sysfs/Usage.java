package org.pcipass.sysfs;

/**
 * Something on this host that depends on a PCI device.
 *
 * @param kind {@code net}, {@code block}, {@code console} or {@code swap}
 * @param name the interface, block device, framebuffer or card ({@code eth0}, {@code nvme0n1p2})
 * @param detail what it does, in words ({@code default route}, {@code mounted at / (ext4)})
 * @param critical why the host cannot lose it, as a verdict reason, or null when it can
 */
public record Usage(String kind, String name, String detail, String critical) {
    public static final String NET = "net";
    public static final String BLOCK = "block";
    public static final String CONSOLE = "console";
    public static final String SWAP = "swap";

    public boolean isCritical() {
        return critical != null;
    }
}
