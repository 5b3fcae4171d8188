package org.pcipass.pci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The pci.ids database: vendor, device and class names, exactly as the file spells them.
 *
 * <p>The file is validated line by line against its grammar (see REFERENCE.md), so a file cut
 * mid-record or holding binary junk is rejected with the line that is wrong, instead of giving
 * wrong names quietly.
 *
 * <p>Every command loads it, so the check runs on the file's bytes in one pass that does little per
 * byte: a line of printable ASCII (all but a handful of the file's 36,000) is checked with byte
 * comparisons; only a line holding anything else (UTF-8, a control character) is decoded to be
 * checked. Names are decoded when asked for.
 */
public final class PciIds {
    /** Where the names came from, for messages: a path or "bundled copy". */
    private final String source;
    /** Vendor id → offsets in {@link #bytes}: where its line starts and where its block ends. */
    private final Map<Integer, int[]> vendors = new HashMap<>(4096);
    private final Map<Integer, String> classes = new HashMap<>(1024);
    private final Map<Integer, Map<Integer, String>> devicesOf = new java.util.concurrent.ConcurrentHashMap<>();
    private byte[] bytes = new byte[0];

    private PciIds(String source) {
        this.source = source;
    }

    /** A database that knows no names (used when no pci.ids can be found). */
    public static PciIds empty() {
        return new PciIds("none");
    }

    /** Loads and validates a pci.ids file; {@link Garbled} names the file and the line. */
    public static PciIds load(Path file) throws IOException {
        return parse(file.toString(), Files.readAllBytes(file));
    }

    /** The copy bundled in the jar (gzip-compressed), or {@code null} when the jar has none. */
    public static PciIds bundled() throws IOException {
        try (InputStream in = PciIds.class.getResourceAsStream("/org/pcipass/pci.ids.gz")) {
            if (in == null) {
                return null;
            }
            return parse("bundled copy of pci.ids", new GZIPInputStream(in).readAllBytes());
        }
    }

    public static PciIds parse(String source, byte[] bytes) {
        PciIds ids = new PciIds(source);
        ids.read(bytes);
        return ids;
    }

    private void read(byte[] b) {
        int len = b.length;
        if (len == 0) {
            throw new Garbled(source, "is empty");
        }
        if (b[len - 1] != '\n') {
            if (!utf8(b, 0, len)) {
                throw notUtf8();
            }
            throw new Garbled(source, "ends mid-record (no newline after the last line)");
        }
        this.bytes = b;
        int[] open = null;
        int vendor = -1;
        int device = -1;
        int cls = -1;
        int subclass = -1;
        int lineNo = 0;
        int start = 0;
        while (start < len) {
            lineNo++;
            int lineStart = start;
            int end = lineStart;
            while (b[end] == '\t') {
                end++;
            }
            // printable ASCII after the leading tabs: checked with byte comparisons alone
            boolean plain = true;
            byte c;
            while ((c = b[end]) != '\n') {
                if (c < 0x20 || c == 0x7f) {
                    plain = false;
                }
                end++;
            }
            start = end + 1;
            if (!plain && !utf8(b, lineStart, end)) {
                throw notUtf8();
            }
            if (end == lineStart || b[lineStart] == '#' || isBlank(b, lineStart, end, plain)) {
                continue;
            }
            byte c0 = b[lineStart];
            if (c0 != '\t' && open != null) {
                open[1] = lineStart;
                open = null;
            }
            if (c0 != '\t' && c0 != 'C') {
                vendor = field(b, lineStart, end, 0, 4, lineNo);
                nameAt(b, lineStart, end, 4, lineNo, plain);
                open = new int[] {lineStart, len};
                vendors.put(vendor, open);
                device = -1;
                cls = -1;
                subclass = -1;
                continue;
            }
            if (c0 == 'C') {
                if (end - lineStart < 2 || b[lineStart + 1] != ' ') {
                    throw bad(lineNo, "a class line needs 'C cc  name'");
                }
                cls = field(b, lineStart, end, 2, 2, lineNo);
                classes.put(baseClassKey(cls), name(b, lineStart, end, 4, lineNo));
                subclass = -1;
                vendor = -1;
            } else if (end - lineStart > 1 && b[lineStart + 1] == '\t') {
                if (vendor >= 0 && device >= 0) {
                    field(b, lineStart, end, 2, 4, lineNo);
                    if (end - lineStart < 8 || b[lineStart + 6] != ' ') {
                        throw bad(lineNo, "a subsystem line needs 'ssss dddd  name'");
                    }
                    field(b, lineStart, end, 7, 4, lineNo);
                    nameAt(b, lineStart, end, 11, lineNo, plain);
                } else if (cls >= 0 && subclass >= 0) {
                    int progIf = field(b, lineStart, end, 2, 2, lineNo);
                    classes.put(cls << 16 | subclass << 8 | progIf, name(b, lineStart, end, 4, lineNo));
                } else {
                    throw bad(lineNo, "a subsystem or prog-if line outside a device or subclass");
                }
            } else {
                if (vendor >= 0) {
                    device = field(b, lineStart, end, 1, 4, lineNo);
                    nameAt(b, lineStart, end, 5, lineNo, plain);
                } else if (cls >= 0) {
                    subclass = field(b, lineStart, end, 1, 2, lineNo);
                    classes.put(subclassKey(cls, subclass), name(b, lineStart, end, 3, lineNo));
                } else {
                    throw bad(lineNo, "a device line before any vendor line");
                }
            }
        }
        if (vendors.isEmpty()) {
            throw new Garbled(source, "holds no vendor records");
        }
    }

    /** Whether bytes [from, to) are well-formed UTF-8 (a line holding more than ASCII: a rare one). */
    private static boolean utf8(byte[] b, int from, int to) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, from, to - from));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private Garbled notUtf8() {
        return new Garbled(source, "is not UTF-8 text (binary junk?)");
    }

    // Three key spaces in one map: prog-if keys are below 1 << 24.
    private static int baseClassKey(int cls) {
        return 2 << 24 | cls;
    }

    private static int subclassKey(int cls, int subclass) {
        return 1 << 24 | cls << 8 | subclass;
    }

    /** {@code digits} lower-case hex digits at column {@code at} of the line. */
    private int field(byte[] b, int lineStart, int end, int at, int digits, int lineNo) {
        if (end - lineStart < at + digits) {
            throw bad(lineNo, "line too short");
        }
        int v = 0;
        for (int i = lineStart + at; i < lineStart + at + digits; i++) {
            byte c = b[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                throw bad(lineNo, "expected " + digits + " lower-case hex digits at column " + (at + 1));
            }
            v = v << 4 | d;
        }
        return v;
    }

    /** Checks two spaces and a non-empty name of printable text; returns where the name starts. */
    private int nameAt(byte[] b, int lineStart, int end, int at, int lineNo, boolean plain) {
        int i = lineStart + at;
        if (end - i <= 2 || b[i] != ' ' || b[i + 1] != ' ') {
            throw bad(lineNo, "expected two spaces and a name after the id");
        }
        if (!plain) {
            for (int k = i + 2; k < end; k++) {
                int c = b[k] & 0xff;
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw bad(lineNo, "control character in a name (binary junk?)");
                }
            }
        }
        return i + 2;
    }

    /** The name after the id and its two spaces (a class line's). */
    private String name(byte[] b, int lineStart, int end, int at, int lineNo) {
        int i = lineStart + at;
        if (end - i <= 2 || b[i] != ' ' || b[i + 1] != ' ') {
            throw bad(lineNo, "expected two spaces and a name after the id");
        }
        return text(b, i + 2, end);
    }

    /** A line of nothing but white space (as {@link Character#isWhitespace} counts it). */
    private static boolean isBlank(byte[] b, int from, int to, boolean plain) {
        if (!plain) {
            return text(b, from, to).chars().allMatch(Character::isWhitespace);
        }
        for (int i = from; i < to; i++) {
            if (b[i] != ' ' && b[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.UTF_8);
    }

    private Garbled bad(int lineNo, String why) {
        return new Garbled(source, "line " + lineNo + ": " + why);
    }

    public String source() {
        return source;
    }

    public String vendorName(int vendor) {
        int[] range = vendors.get(vendor);
        if (range == null) {
            return null;
        }
        return text(bytes, range[0] + 6, lineEnd(range[0]));
    }

    /** Device names are indexed per vendor on first use: a host has few vendors, pci.ids thousands. */
    public String deviceName(int vendor, int device) {
        Map<Integer, String> names = devicesOf.get(vendor);
        if (names == null) {
            int[] range = vendors.get(vendor);
            if (range == null) {
                return null;
            }
            names = indexDevices(range[0], range[1]);
            Map<Integer, String> raced = devicesOf.putIfAbsent(vendor, names);
            names = raced != null ? raced : names;
        }
        return names.get(device);
    }

    private int lineEnd(int from) {
        int i = from;
        while (bytes[i] != '\n') {
            i++;
        }
        return i;
    }

    private Map<Integer, String> indexDevices(int from, int end) {
        Map<Integer, String> names = new HashMap<>();
        int line = lineEnd(from) + 1;
        while (line < end) {
            int next = lineEnd(line);
            if (next - line > 7 && bytes[line] == '\t' && bytes[line + 1] != '\t') {
                int id = 0;
                for (int i = line + 1; i < line + 5; i++) {
                    id = id << 4 | Character.digit(bytes[i], 16);
                }
                names.put(id, text(bytes, line + 7, next));
            }
            line = next + 1;
        }
        return names;
    }

    /** lspci's class name: the subclass name, else the base class name, else null. */
    public String className(int classCode) {
        int cls = classCode >>> 16 & 0xff;
        int sub = classCode >>> 8 & 0xff;
        String name = classes.get(subclassKey(cls, sub));
        return name != null ? name : classes.get(baseClassKey(cls));
    }

    /** The programming interface's name, or null. */
    public String progIfName(int classCode) {
        return classes.get(classCode & 0xffffff);
    }

    /** A pci.ids file that does not follow the format. */
    public static final class Garbled extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String file;

        Garbled(String file, String why) {
            super("pci.ids " + file + " " + why);
            this.file = file;
        }

        public String file() {
            return file;
        }
    }
}
