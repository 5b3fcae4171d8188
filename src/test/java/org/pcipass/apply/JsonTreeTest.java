package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {
    private static Map<String, Object> sample() {
        Map<String, Object> o = JsonTree.object();
        o.put("op", "write");
        o.put("value", "vfio-pci\n\"quoted\" \u00e9");
        o.put("driver", null);
        o.put("n", 42L);
        o.put("ok", true);
        o.put("argv", new ArrayList<Object>(Arrays.asList("modprobe", null, List.of())));
        return o;
    }

    @Test
    void whatItWritesItReadsBackInFieldOrder() throws IOException {
        for (String text : List.of(JsonTree.compact(sample()), JsonTree.pretty(sample()))) {
            Object back = JsonTree.parse(text);
            assertThat(back).isEqualTo(sample());
            assertThat(JsonTree.asObject(back, "x").keySet()).containsExactly("op", "value", "driver", "n", "ok", "argv");
        }
        assertThat(JsonTree.compact(sample())).doesNotContain(" :").doesNotContain("\n");
    }

    @Test
    void itWritesWhatJacksonsTreeModelReadsAsTheSameDocument() throws IOException {
        ObjectMapper m = new ObjectMapper();
        assertThat(m.readTree(JsonTree.pretty(sample()))).isEqualTo(m.readTree(
                "{\"op\":\"write\",\"value\":\"vfio-pci\\n\\\"quoted\\\" \u00e9\",\"driver\":null,\"n\":42,"
                        + "\"ok\":true,\"argv\":[\"modprobe\",null,[]]}"));
    }

    @Test
    void emptyTextIsNoValueAndACutOneIsAnError() throws IOException {
        assertThat(JsonTree.parse("")).isNull();
        assertThat(JsonTree.parse("  \n")).isNull();
        assertThatThrownBy(() -> JsonTree.parse("{\"done\":")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> JsonTree.parse("{\"done\":1")).isInstanceOf(IOException.class);
        assertThat(JsonTree.parse("{\"done\":1} trailing")).isEqualTo(Map.of("done", 1L));
    }

    @Test
    void fieldsReadAsTextBooleanAndNumber() {
        Map<String, Object> o = sample();
        assertThat(JsonTree.text(o, "op")).isEqualTo("write");
        assertThat(JsonTree.text(o, "driver")).isNull();
        assertThat(JsonTree.text(o, "missing")).isNull();
        assertThat(JsonTree.text(o, "n")).isEqualTo("42");
        assertThat(JsonTree.bool(o, "ok", false)).isTrue();
        assertThat(JsonTree.bool(o, "missing", true)).isTrue();
        assertThat(JsonTree.integer(o, "n")).isEqualTo(42);
        assertThatThrownBy(() -> JsonTree.integer(o, "op")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'op'");
        assertThat(JsonTree.list(o, "argv")).hasSize(3);
        assertThat(JsonTree.list(o, "op")).isEmpty();
        assertThatThrownBy(() -> JsonTree.asObject(List.of(), "line 1")).hasMessage("line 1 is not a JSON object");
    }
}
