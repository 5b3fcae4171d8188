package org.pcipass.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.pci.PciAddress;

/** PLACEHOLDER until the SQLite store lands: STATE/owners, what list reads. */
public final class Owners {
    public static final String FILE = "owners";

    public record Owner(String guest, boolean external) {}

    private Owners() {}

    public static Map<PciAddress, Owner> read(Path stateDir) {
        Map<PciAddress, Owner> out = new TreeMap<>();
        String text;
        try {
            // bytes, not Files.readAllLines: list reads this file on every run, and the line reader's
            // classes are not among those a listing otherwise loads; malformed UTF-8 still reads as nothing
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(stateDir.resolve(FILE))))
                    .toString();
        } catch (IOException e) {
            return out;
        }
        for (int start = 0, end; start < text.length(); start = next(text, end)) {
            end = lineEnd(text, start);
            line(text.substring(start, end), out);
        }
        return out;
    }

    private static void line(String l, Map<PciAddress, Owner> out) {
        String[] f = l.strip().split(" ");
        if (f.length == 3 && !l.startsWith("#")) {
            try {
                out.put(address(f[0]), new Owner(f[1], f[2].equals("external")));
            } catch (IllegalArgumentException e) {
                // a garbled line is skipped
            }
        }
    }

    /** Where the line starting at {@code start} ends: at \n, \r or the end, as Files.readAllLines splits. */
    private static int lineEnd(String text, int start) {
        int i = start;
        while (i < text.length() && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    /** The start of the line after the one ending at {@code end} (\r\n is one end). */
    private static int next(String text, int end) {
        if (end < text.length() && text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n') {
            return end + 2;
        }
        return end + 1;
    }

    /**
     * The file's addresses are written canonical ({@code 0000:09:00.0}): read without a regular
     * expression, as the scanner reads sysfs names, and only anything else through the full parser.
     * {@code list} reads this file on every run, and the parser's two patterns cost it milliseconds.
     */
    private static PciAddress address(String text) {
        PciAddress a = PciAddress.ofSysfsName(text);
        return a != null ? a : PciAddress.parse(text);
    }

    static void write(Path stateDir, Map<PciAddress, Owner> owners) {
        Map<PciAddress, Owner> all = new TreeMap<>(read(stateDir));
        all.values().removeIf(o -> !o.external());
        all.putAll(owners);
        StringBuilder b = new StringBuilder("# who owns which device (pcipass's assignments and other tools'), for pcipass list\n");
        all.forEach((a, o) -> b.append(a).append(' ').append(o.guest()).append(o.external() ? " external\n" : " pcipass\n"));
        StateFiles.writeAtomically(stateDir.resolve(FILE), b.toString());
    }

    public static void writeExternal(Path stateDir, Map<PciAddress, String> external) {
        Map<PciAddress, Owner> all = new TreeMap<>(read(stateDir));
        all.values().removeIf(Owner::external);
        external.forEach((a, g) -> all.putIfAbsent(a, new Owner(g, true)));
        StringBuilder b = new StringBuilder("# who owns which device (pcipass's assignments and other tools'), for pcipass list\n");
        all.forEach((a, o) -> b.append(a).append(' ').append(o.guest()).append(o.external() ? " external\n" : " pcipass\n"));
        StateFiles.writeAtomically(stateDir.resolve(FILE), b.toString());
    }
}
