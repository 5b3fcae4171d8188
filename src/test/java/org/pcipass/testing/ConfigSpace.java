package org.pcipass.testing;

import java.util.Arrays;

/**
 * A 256-byte PCI configuration space image, as {@code /sys/bus/pci/devices/A/config} gives it to
 * root. Little-endian fields; only what pcipass and lspci look at is filled in.
 */
public final class ConfigSpace {
    /** PCI Express capability device/port types (PCIe cap register bits 7:4). */
    public static final int PCIE_ENDPOINT = 0x0;
    public static final int PCIE_LEGACY_ENDPOINT = 0x1;
    public static final int PCIE_ROOT_PORT = 0x4;
    public static final int PCIE_SWITCH_UPSTREAM = 0x5;
    public static final int PCIE_SWITCH_DOWNSTREAM = 0x6;
    public static final int PCIE_TO_PCI_BRIDGE = 0x7;
    public static final int PCIE_ROOT_COMPLEX_INTEGRATED = 0x9;

    private final byte[] b = new byte[256];

    public ConfigSpace u8(int off, int v) {
        b[off] = (byte) v;
        return this;
    }

    public ConfigSpace u16(int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        return this;
    }

    public ConfigSpace u32(int off, int v) {
        u16(off, v & 0xffff);
        return u16(off + 2, v >>> 16);
    }

    public int u8(int off) {
        return b[off] & 0xff;
    }

    public int u16(int off) {
        return u8(off) | u8(off + 1) << 8;
    }

    /** Vendor at 0x00, device at 0x02. */
    public ConfigSpace ids(int vendor, int device) {
        return u16(0x00, vendor).u16(0x02, device);
    }

    /** Command at 0x04, status at 0x06. */
    public ConfigSpace commandStatus(int command, int status) {
        return u16(0x04, command).u16(0x06, status);
    }

    /** Revision at 0x08, then prog-if 0x09, subclass 0x0a, class 0x0b from a 24-bit class code. */
    public ConfigSpace classRev(int classCode, int revision) {
        return u8(0x08, revision).u8(0x09, classCode).u8(0x0a, classCode >>> 8).u8(0x0b, classCode >>> 16);
    }

    /** Header type at 0x0e: low bits 0 endpoint, 1 PCI bridge, 2 CardBus; bit 7 multi-function. */
    public ConfigSpace headerType(int type, boolean multiFunction) {
        return u8(0x0e, type | (multiFunction ? 0x80 : 0));
    }

    /** Type 0 only: subsystem vendor at 0x2c, subsystem device at 0x2e. */
    public ConfigSpace subsystem(int vendor, int device) {
        return u16(0x2c, vendor).u16(0x2e, device);
    }

    /** Type 1 only: primary, secondary, subordinate bus numbers at 0x18..0x1a. */
    public ConfigSpace busNumbers(int primary, int secondary, int subordinate) {
        return u8(0x18, primary).u8(0x19, secondary).u8(0x1a, subordinate);
    }

    /** Interrupt line 0x3c and pin 0x3d (1 = INTA). */
    public ConfigSpace interrupt(int line, int pin) {
        return u8(0x3c, line).u8(0x3d, pin);
    }

    /**
     * Adds a capability list: power management at 0x40, then PCI Express at 0x50 with the given
     * port type and link capability/status (speed code 1=2.5 2=5 3=8 4=16 5=32 GT/s). Sets the
     * capabilities-list bit (status bit 4) and the pointer at 0x34.
     */
    public ConfigSpace pciExpress(int portType, int maxSpeedCode, int maxWidth, int speedCode, int width) {
        u8(0x34, 0x40);
        u16(0x06, u16(0x06) | 0x0010);
        u8(0x40, 0x01).u8(0x41, 0x50).u16(0x42, 0x0003);
        u8(0x50, 0x10).u8(0x51, 0x00).u16(0x52, 0x0002 | (portType << 4));
        u32(0x5c, maxSpeedCode | (maxWidth << 4));      // Link Capabilities
        u16(0x62, speedCode | (width << 4));             // Link Status
        return this;
    }

    /** Sets FLReset+ (Device Capabilities bit 28) in the PCI Express capability added by {@link #pciExpress}. */
    public ConfigSpace flr() {
        int devCap = u16(0x54) | u16(0x56) << 16;
        return u32(0x54, devCap | 1 << 28);
    }

    /** Adds only a power-management capability (conventional PCI devices). */
    public ConfigSpace powerManagementOnly() {
        u8(0x34, 0x40);
        u16(0x06, u16(0x06) | 0x0010);
        return u8(0x40, 0x01).u8(0x41, 0x00).u16(0x42, 0x0002);
    }

    public byte[] bytes() {
        return Arrays.copyOf(b, b.length);
    }

    /** Speed code for the PCIe link registers from a sysfs speed text such as {@code 8.0 GT/s PCIe}. */
    static int speedCode(String speed) {
        if (speed == null) {
            return 0;
        }
        if (speed.startsWith("2.5")) {
            return 1;
        }
        if (speed.startsWith("5.0")) {
            return 2;
        }
        if (speed.startsWith("8.0")) {
            return 3;
        }
        if (speed.startsWith("16.0")) {
            return 4;
        }
        if (speed.startsWith("32.0")) {
            return 5;
        }
        return 0;
    }
}
