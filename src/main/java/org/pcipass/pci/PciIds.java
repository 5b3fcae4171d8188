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
    private final Map<Integer, String> vendors = new HashMap<>(4096);
    private final Map<Integer, String> devices = new HashMap<>(65536);
    private final Map<Integer, String> classes = new HashMap<>(64);

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
            String line = text.substring(start, end);
            start = end + 1;
            if (line.isEmpty() || line.charAt(0) == '#' || line.isBlank()) {
                continue;
            }
            char c0 = line.charAt(0);
            if (c0 == 'C' && line.startsWith("C ")) {
                cls = field(line, 2, 2, lineNo);
                classes.put(baseClassKey(cls), name(line, 4, lineNo));
                subclass = -1;
                vendor = -1;
            } else if (c0 == '\t' && line.length() > 1 && line.charAt(1) == '\t') {
                if (vendor >= 0 && device >= 0) {
                    field(line, 2, 4, lineNo);
                    if (line.length() < 8 || line.charAt(6) != ' ') {
                        throw bad(lineNo, "a subsystem line needs 'ssss dddd  name'");
                    }
                    field(line, 7, 4, lineNo);
                    name(line, 11, lineNo);
                } else if (cls >= 0 && subclass >= 0) {
                    int progIf = field(line, 2, 2, lineNo);
                    classes.put(cls << 16 | subclass << 8 | progIf, name(line, 4, lineNo));
                } else {
                    throw bad(lineNo, "a subsystem or prog-if line outside a device or subclass");
                }
            } else if (c0 == '\t') {
                if (vendor >= 0) {
                    device = field(line, 1, 4, lineNo);
                    devices.put(vendor << 16 | device, name(line, 5, lineNo));
                } else if (cls >= 0) {
                    subclass = field(line, 1, 2, lineNo);
                    classes.put(subclassKey(cls, subclass), name(line, 3, lineNo));
                } else {
                    throw bad(lineNo, "a device line before any vendor line");
                }
            } else {
                vendor = field(line, 0, 4, lineNo);
                vendors.put(vendor, name(line, 4, lineNo));
                device = -1;
                cls = -1;
                subclass = -1;
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
        return vendors.get(vendor);
    }

    public String deviceName(int vendor, int device) {
        return devices.get(vendor << 16 | device);
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
