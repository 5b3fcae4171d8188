package org.pcipass.sysfs;

import java.util.ArrayList;
import java.util.List;

/** One line of {@code /proc/self/mountinfo}; {@code superOptions} is "" when the line has none. */
record Mount(int major, int minor, String mountPoint, String fsType, String source, String superOptions) {

    /** Parses mountinfo text; lines that do not follow the format are skipped. */
    static List<Mount> parseAll(String text) {
        List<Mount> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            Mount m = parse(line);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    // 26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
    static Mount parse(String line) {
        String[] f = line.trim().split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 7 || dash < 0 || dash + 2 >= f.length) {
            return null;
        }
        String[] mm = f[2].split(":");
        try {
            return new Mount(Integer.parseInt(mm[0]), Integer.parseInt(mm[1]), unescape(f[4]), f[dash + 1],
                    unescape(f[dash + 2]), dash + 3 < f.length ? f[dash + 3] : "");
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
    }

    /**
     * The value of super option {@code key} ({@code addr} in {@code rw,vers=4.2,addr=10.1.2.3}), or
     * null: whole options only, so {@code addr} never matches {@code mountaddr=} or {@code clientaddr=}.
     */
    String option(String key) {
        String prefix = key + "=";
        for (String o : superOptions.split(",")) {
            if (o.startsWith(prefix)) {
                return unescape(o.substring(prefix.length()));
            }
        }
        return null;
    }

    /** The last-mounted mount holding {@code path} (longest mount point prefix). */
    static Mount holding(List<Mount> mounts, String path) {
        Mount best = null;
        for (Mount m : mounts) {
            String mp = m.mountPoint();
            boolean under = path.equals(mp) || mp.equals("/") || path.startsWith(mp + "/");
            if (under && (best == null || mp.length() >= best.mountPoint().length())) {
                best = m;
            }
        }
        return best;
    }

    /** Undoes the kernel's octal escapes ({@code \040} for a space). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
