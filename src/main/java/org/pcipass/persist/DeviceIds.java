package org.pcipass.persist;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A vendor:device id pair as {@code options vfio-pci ids=} takes it: {@code 14e4:1639}. */
public record DeviceIds(int vendor, int device) implements Comparable<DeviceIds> {
    private static final Pattern FORM = Pattern.compile("([0-9a-fA-F]{4}):([0-9a-fA-F]{4})");

    public DeviceIds {
        if (vendor < 0 || vendor > 0xffff) {
            throw new IllegalArgumentException("vendor id out of range (0000-ffff): " + vendor);
        }
        if (device < 0 || device > 0xffff) {
            throw new IllegalArgumentException("device id out of range (0000-ffff): " + device);
        }
    }

    /** Parses {@code VVVV:DDDD} (4 hex digits each, any case). */
    public static DeviceIds parse(String text) {
        Matcher m = text == null ? null : FORM.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("invalid vendor:device ids '" + text + "': write them as 14e4:1639");
        }
        return new DeviceIds(Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16));
    }

    @Override
    public String toString() {
        return String.format("%04x:%04x", vendor, device);
    }

    @Override
    public int compareTo(DeviceIds o) {
        int c = Integer.compare(vendor, o.vendor);
        return c != 0 ? c : Integer.compare(device, o.device);
    }
}
