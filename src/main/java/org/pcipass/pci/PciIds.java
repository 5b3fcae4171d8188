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
 */
public final class PciIds {
    /** Where the names came from, for messages: a path or "bundled copy". */
    private final String source;
    /** Vendor id → offsets in {@link #text}: where its name starts and where its block ends. */
    private final Map<Integer, long[]> vendors = new HashMap<>(4096);
    private final Map<Integer, String> classes = new HashMap<>(1024);
    private final Map<Integer, Map<Integer, String>> devicesOf = new java.util.concurrent.ConcurrentHashMap<>();
    private String text = "";

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
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Garbled(source, "is not UTF-8 text (binary junk?)");
        }
        PciIds ids = new PciIds(source);
        ids.read(text);
        return ids;
    }

    private void read(String text) {
        if (text.isEmpty()) {
            throw new Garbled(source, "is empty");
        }
        if (text.charAt(text.length() - 1) != '\n') {
            throw new Garbled(source, "ends mid-record (no newline after the last line)");
        }
        this.text = text;
        long[] open = null;
        int vendor = -1;
        int device = -1;
        int cls = -1;
        int subclass = -1;
        int lineNo = 0;
        int start = 0;
        int len = text.length();
        while (start < len) {
            int end = text.indexOf('\n', start);
            lineNo++;
            int lineStart = start;
            start = end + 1;
            if (end == lineStart || text.charAt(lineStart) == '#' || isBlank(text, lineStart, end)) {
                continue;
            }
            char c0 = text.charAt(lineStart);
            if (c0 != '\t' && open != null) {
                open[1] = lineStart;
                open = null;
            }
            if (c0 != '\t' && c0 != 'C') {
                vendor = field(text, lineStart, end, 0, 4, lineNo);
                nameAt(text, lineStart, end, 4, lineNo);
                open = new long[] {lineStart, text.length()};
                vendors.put(vendor, open);
                device = -1;
                cls = -1;
                subclass = -1;
                continue;
            }
            String line = c0 == 'C' || cls >= 0 ? text.substring(lineStart, end) : null;
            if (c0 == 'C') {
                if (!line.startsWith("C ")) {
                    throw bad(lineNo, "a class line needs 'C cc  name'");
                }
                cls = field(line, 2, 2, lineNo);
                classes.put(baseClassKey(cls), name(line, 4, lineNo));
                subclass = -1;
                vendor = -1;
            } else if (end - lineStart > 1 && text.charAt(lineStart + 1) == '\t') {
                if (vendor >= 0 && device >= 0) {
                    field(text, lineStart, end, 2, 4, lineNo);
                    if (end - lineStart < 8 || text.charAt(lineStart + 6) != ' ') {
                        throw bad(lineNo, "a subsystem line needs 'ssss dddd  name'");
                    }
                    field(text, lineStart, end, 7, 4, lineNo);
                    nameAt(text, lineStart, end, 11, lineNo);
                } else if (cls >= 0 && subclass >= 0) {
                    int progIf = field(line, 2, 2, lineNo);
                    classes.put(cls << 16 | subclass << 8 | progIf, name(line, 4, lineNo));
                } else {
                    throw bad(lineNo, "a subsystem or prog-if line outside a device or subclass");
                }
            } else {
                if (vendor >= 0) {
                    device = field(text, lineStart, end, 1, 4, lineNo);
                    nameAt(text, lineStart, end, 5, lineNo);
                } else if (cls >= 0) {
                    subclass = field(line, 1, 2, lineNo);
                    classes.put(subclassKey(cls, subclass), name(line, 3, lineNo));
                } else {
                    throw bad(lineNo, "a device line before any vendor line");
                }
            }
        }
        if (vendors.isEmpty()) {
            throw new Garbled(source, "holds no vendor records");
        }
    }

    // Three key spaces in one map: prog-if keys are below 1 << 24.
    private static int baseClassKey(int cls) {
        return 2 << 24 | cls;
    }

    private static int subclassKey(int cls, int subclass) {
        return 1 << 24 | cls << 8 | subclass;
    }

    private int field(String t, int lineStart, int end, int at, int digits, int lineNo) {
        if (end - lineStart < at + digits) {
            throw bad(lineNo, "line too short");
        }
        int v = 0;
        for (int i = lineStart + at; i < lineStart + at + digits; i++) {
            char c = t.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                throw bad(lineNo, "expected " + digits + " lower-case hex digits at column " + (at + 1));
            }
            v = v << 4 | d;
        }
        return v;
    }

    /** Checks two spaces and a non-empty name of printable text; returns where the name starts. */
    private int nameAt(String t, int lineStart, int end, int at, int lineNo) {
        int i = lineStart + at;
        if (end - i <= 2 || t.charAt(i) != ' ' || t.charAt(i + 1) != ' ') {
            throw bad(lineNo, "expected two spaces and a name after the id");
        }
        for (int k = i + 2; k < end; k++) {
            char c = t.charAt(k);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw bad(lineNo, "control character in a name (binary junk?)");
            }
        }
        return i + 2;
    }

    private static boolean isBlank(String t, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isWhitespace(t.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private int field(String line, int at, int digits, int lineNo) {
        if (line.length() < at + digits) {
            throw bad(lineNo, "line too short");
        }
        int v = 0;
        for (int i = at; i < at + digits; i++) {
            int d = Character.digit(line.charAt(i), 16);
            if (d < 0 || Character.isUpperCase(line.charAt(i))) {
                throw bad(lineNo, "expected " + digits + " lower-case hex digits at column " + (at + 1));
            }
            v = v << 4 | d;
        }
        return v;
    }

    private String name(String line, int at, int lineNo) {
        if (line.length() <= at + 2 || line.charAt(at) != ' ' || line.charAt(at + 1) != ' ') {
            throw bad(lineNo, "expected two spaces and a name after the id");
        }
        return line.substring(at + 2);
    }

    private Garbled bad(int lineNo, String why) {
        return new Garbled(source, "line " + lineNo + ": " + why);
    }

    public String source() {
        return source;
    }

    public String vendorName(int vendor) {
        long[] range = vendors.get(vendor);
        if (range == null) {
            return null;
        }
        int start = (int) range[0];
        return text.substring(start + 6, text.indexOf('\n', start));
    }

    /** Device names are indexed per vendor on first use: a host has few vendors, pci.ids thousands. */
    public String deviceName(int vendor, int device) {
        Map<Integer, String> names = devicesOf.get(vendor);
        if (names == null) {
            long[] range = vendors.get(vendor);
            if (range == null) {
                return null;
            }
            names = indexDevices((int) range[0], (int) range[1]);
            Map<Integer, String> raced = devicesOf.putIfAbsent(vendor, names);
            names = raced != null ? raced : names;
        }
        return names.get(device);
    }

    private Map<Integer, String> indexDevices(int from, int end) {
        Map<Integer, String> names = new HashMap<>();
        int line = text.indexOf('\n', from) + 1;
        while (line > 0 && line < end) {
            int next = text.indexOf('\n', line);
            if (next - line > 7 && text.charAt(line) == '\t' && text.charAt(line + 1) != '\t') {
                names.put(Integer.parseInt(text, line + 1, line + 5, 16), text.substring(line + 7, next));
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
