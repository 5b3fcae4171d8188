package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Json's printer writes its indentation and {@code " : "} from bytes encoded once, for speed: its
 * output must stay byte for byte what Jackson's DefaultPrettyPrinter with
 * {@code DefaultIndenter("  ", "\n")} writes, which scripts and the DESIGN.md examples show.
 */
class JsonLayoutTest {
    /** Objects, arrays, empty ones, nulls, numbers, escapes, and nesting deeper than the cached indents. */
    private static void document(JsonGenerator g) throws IOException {
        g.writeStartArray();
        g.writeStartObject();
        g.writeStringField("address", "0000:01:00.0");
        g.writeNullField("owner");
        g.writeNumberField("iommuGroup", 13);
        g.writeStringField("text", "quote \" backslash \\ tab \t é");
        g.writeArrayFieldStart("virtfns");
        g.writeEndArray();
        g.writeObjectFieldStart("empty");
        g.writeEndObject();
        g.writeArrayFieldStart("reasons");
        g.writeString("one");
        g.writeString("two");
        g.writeEndArray();
        for (int level = 0; level < 20; level++) {
            g.writeObjectFieldStart("level" + level);
        }
        g.writeBooleanField("deep", true);
        for (int level = 0; level < 20; level++) {
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeStartObject();
        g.writeEndObject();
        g.writeEndArray();
    }

    @Test
    void theOutputIsJacksonsDefaultPrettyPrintersByteForByte() throws IOException {
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        Json.write(ours, j -> document(j.gen()));

        ByteArrayOutputStream jackson = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(jackson)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter()
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n")));
            document(g);
        }
        jackson.write('\n');

        assertThat(ours.toString(StandardCharsets.UTF_8)).isEqualTo(jackson.toString(StandardCharsets.UTF_8));
        assertThat(ours.toString(StandardCharsets.UTF_8)).contains("\"virtfns\" : [ ]", "\"empty\" : { }",
                "\n" + "  ".repeat(22) + "\"deep\" : true");
    }
}
