package org.pcipass.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.pcipass.host.Assessment;
import org.pcipass.host.CheckResult;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.IommuGroup;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.sysfs.Usage;

/**
 * The JSON contract of DESIGN.md, written with Jackson's streaming generator (no reflection at
 * start-up). Field names here are what scripts and the product owner's checks read: keep them.
 */
final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    private final JsonGenerator g;

    private Json(JsonGenerator g) {
        this.g = g;
    }

    interface Body {
        void write(Json json) throws IOException;
    }

    /** Writes one JSON document to {@code out}, pretty-printed, with a final newline. */
    static void write(OutputStream out, Body body) {
        try {
            JsonGenerator g = FACTORY.createGenerator(out);
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new Pretty());
            body.write(new Json(g));
            g.flush();
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What {@code new DefaultIndenter("  ", "\n")} writes — a newline and two spaces a level — from
     * bytes encoded once: a listing writes it some 100,000 times, and DefaultIndenter encodes its
     * characters again each time (two raw writes a line).
     */
    private static final class Indent implements DefaultPrettyPrinter.Indenter {
        static final Indent INSTANCE = new Indent();
        private static final int CACHED = 16;
        private static final SerializedString[] LINES = new SerializedString[CACHED];

        static {
            for (int level = 0; level < CACHED; level++) {
                LINES[level] = new SerializedString("\n" + "  ".repeat(level));
            }
        }

        @Override
        public void writeIndentation(JsonGenerator g, int level) throws IOException {
            g.writeRaw(level < CACHED ? LINES[level] : new SerializedString("\n" + "  ".repeat(level)));
        }

        @Override
        public boolean isInline() {
            return false;
        }
    }

    /**
     * DefaultPrettyPrinter with objects and arrays indented by {@link Indent} and its {@code " : "}
     * between a field's name and value encoded once: the output of {@code new DefaultPrettyPrinter()}
     * with {@code new DefaultIndenter("  ", "\n")} for both, byte for byte.
     */
    private static final class Pretty extends DefaultPrettyPrinter {
        private static final SerializedString NAME_VALUE = new SerializedString(" : ");

        Pretty() {
            _objectIndenter = Indent.INSTANCE;
            _arrayIndenter = Indent.INSTANCE;
        }

        private Pretty(Pretty base) {
            super(base);
        }

        @Override
        public Pretty createInstance() {
            return new Pretty(this);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(NAME_VALUE);
        }
    }

    JsonGenerator gen() {
        return g;
    }

    void device(HostSnapshot host, PciDevice d, boolean full) throws IOException {
        device(host, d, full, null);
    }

    /** With {@code full}, also show's {@code assignment} ({guest, backend, connect, mode, state, since}, or null). */
    void device(HostSnapshot host, PciDevice d, boolean full, org.pcipass.guest.Assignment assignment)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("address", d.address().toString());
        g.writeStringField("nodedevName", d.address().nodedevName());
        hex("vendorId", d.vendorId(), 4);
        hex("deviceId", d.deviceId(), 4);
        hex("subsystemVendorId", d.subsystemVendorId(), 4);
        hex("subsystemDeviceId", d.subsystemDeviceId(), 4);
        hex("classCode", d.classCode(), 6);
        hex("revision", d.revision(), 2);
        string("vendorName", host.vendorName(d));
        string("deviceName", host.deviceName(d));
        string("className", host.className(d));
        string("driver", d.driver());
        integer("iommuGroup", d.iommuGroup());
        integer("numaNode", d.numaNode());
        string("physfn", d.physfn() == null ? null : d.physfn().toString());
        g.writeArrayFieldStart("virtfns");
        for (PciAddress vf : d.virtfns()) {
            g.writeString(vf.toString());
        }
        g.writeEndArray();
        Assessment a = host.assessment(d.address());
        g.writeStringField("verdict", a.verdict().json());
        strings("reasons", a.reasons());
        var owner = host.owner(d.address());
        string("owner", owner == null ? null : owner.guest());
        if (full) {
            details(host, d);
            if (assignment == null) {
                g.writeNullField("assignment");
            } else {
                g.writeObjectFieldStart("assignment");
                g.writeStringField("guest", assignment.guest());
                g.writeStringField("backend", assignment.backend());
                string("connect", assignment.connect());
                g.writeStringField("mode", assignment.mode().text());
                g.writeStringField("state", assignment.state());
                g.writeStringField("since", assignment.since().toString());
                g.writeEndObject();
            }
        }
        g.writeEndObject();
    }

    private void details(HostSnapshot host, PciDevice d) throws IOException {
        if (d.iommuGroup() == null) {
            g.writeNullField("group");
        } else {
            g.writeObjectFieldStart("group");
            g.writeNumberField("id", d.iommuGroup());
            members(host, host.groupMembers(d));
            g.writeEndObject();
        }
        g.writeArrayFieldStart("usage");
        for (Usage u : host.usage(d.address())) {
            g.writeStartObject();
            g.writeStringField("kind", u.kind());
            g.writeStringField("name", u.name());
            g.writeStringField("detail", u.detail());
            g.writeBooleanField("critical", u.isCritical());
            g.writeEndObject();
        }
        g.writeEndArray();
        if (d.resetMethods() == null) {
            g.writeNullField("resetMethods");
        } else {
            strings("resetMethods", d.resetMethods());
        }
        PciDevice.Link link = d.link();
        if (link == null) {
            g.writeNullField("link");
        } else {
            g.writeObjectFieldStart("link");
            string("speed", link.speed());
            integer("width", link.width());
            string("maxSpeed", link.maxSpeed());
            integer("maxWidth", link.maxWidth());
            g.writeEndObject();
        }
        g.writeBooleanField("bootVga", d.bootVga());
        string("headerType", headerType(d.headerType()));
        string("module", d.module());
        if (d.sriov() == null) {
            g.writeNullField("sriov");
        } else {
            g.writeObjectFieldStart("sriov");
            integer("totalVfs", d.sriov().totalVfs());
            integer("numVfs", d.sriov().numVfs());
            g.writeEndObject();
        }
    }

    static String headerType(Integer t) {
        if (t == null) {
            return null;
        }
        return switch (t) {
            case 0 -> "endpoint";
            case 1 -> "bridge";
            case 2 -> "cardbus";
            default -> "unknown (" + t + ")";
        };
    }

    void group(HostSnapshot host, IommuGroup group) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", group.id());
        members(host, group.members());
        List<PciAddress> blockers = group.members().stream().filter(host::blocksViability).toList();
        g.writeBooleanField("viable", blockers.isEmpty());
        g.writeArrayFieldStart("blockers");
        for (PciAddress b : blockers) {
            g.writeString(b.toString());
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private void members(HostSnapshot host, List<PciAddress> members) throws IOException {
        g.writeArrayFieldStart("members");
        for (PciAddress a : members) {
            PciDevice m = host.devices().get(a);
            g.writeStartObject();
            g.writeStringField("address", a.toString());
            string("driver", m == null ? null : m.driver());
            g.writeBooleanField("bridge", m != null && m.isPciBridge());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    void check(CheckResult r) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", r.name());
        g.writeStringField("status", r.status().name());
        g.writeStringField("detail", r.detail());
        string("fix", r.fix());
        g.writeEndObject();
    }

    /**
     * A hex field written from a char array, not a String: six per device, and a String made only to
     * be copied back into Jackson's char buffer costs a listing of thousands of devices milliseconds.
     */
    private void hex(String field, Integer v, int digits) throws IOException {
        if (v == null) {
            g.writeNullField(field);
            return;
        }
        int n = hexDigits(v, digits);
        hexInto(hexBuffer, v, n);
        g.writeFieldName(field);
        g.writeString(hexBuffer, 0, n);
    }

    private final char[] hexBuffer = new char[8];

    /** Lower-case hex, zero-padded to {@code digits}; String.format is slow at thousands of devices. */
    static String hex(Integer v, int digits) {
        if (v == null) {
            return null;
        }
        char[] out = new char[hexDigits(v, digits)];
        hexInto(out, v, out.length);
        return new String(out);
    }

    private static int hexDigits(int v, int digits) {
        return Math.max(digits, 8 - Integer.numberOfLeadingZeros(v | 1) / 4);
    }

    private static void hexInto(char[] out, int v, int n) {
        int x = v;
        for (int k = n - 1; k >= 0; k--) {
            out[k] = Character.forDigit(x & 0xf, 16);
            x >>>= 4;
        }
    }

    private void string(String field, String v) throws IOException {
        if (v == null) {
            g.writeNullField(field);
        } else {
            g.writeStringField(field, v);
        }
    }

    private void integer(String field, Integer v) throws IOException {
        if (v == null) {
            g.writeNullField(field);
        } else {
            g.writeNumberField(field, v);
        }
    }

    private void strings(String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String s : values) {
            g.writeString(s);
        }
        g.writeEndArray();
    }
}
