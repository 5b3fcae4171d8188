package org.pcipass.apply;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small JSON documents of mutating commands (plans, the journal, hidden.json) as plain Java
 * values — {@code Map<String, Object>} in field order, {@code List<Object>}, String, Long, Double,
 * Boolean and null — read and written with Jackson's streaming API. Jackson's tree model (databind)
 * did the same at ~0.2 s of class loading and initialisation per command.
 */
public final class JsonTree {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonTree() {}

    /** A new, empty object whose fields keep their order. */
    public static Map<String, Object> object() {
        return new LinkedHashMap<>();
    }

    /**
     * The first JSON value in {@code text}, or null when there is none (empty text). Text after it
     * is ignored.
     *
     * @throws IOException when the value is cut short or malformed
     */
    public static Object parse(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            return t == null ? null : value(p, t);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // Jackson's own message names its internals ("Source: REDACTED (`StreamReadFeature…`)"): say it plainly
            throw new IOException(e.getOriginalMessage().lines().findFirst().orElse("malformed JSON")
                    + where(e.getLocation()), e);
        }
    }

    private static String where(com.fasterxml.jackson.core.JsonLocation at) {
        return at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = object();
                for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IOException("unexpected " + t + where(p.currentLocation()));
        }
    }

    /** One line, no spaces. */
    public static String compact(Object v) {
        return write(v, false);
    }

    /** Indented, two spaces a level, as Jackson's default pretty printer. */
    public static String pretty(Object v) {
        return write(v, true);
    }

    private static String write(Object v, boolean pretty) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (pretty) {
                g.setPrettyPrinter(new DefaultPrettyPrinter());
            }
            write(g, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object e : l) {
                write(g, e);
            }
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Integer || v instanceof Long) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    /** {@code v} as an object, or an IllegalArgumentException saying what it should have been. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object v, String what) {
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException(what + " is not a JSON object");
    }

    /** The field's value as text (numbers and booleans as written), or null when missing or null. */
    public static String text(Map<String, Object> o, String field) {
        Object v = o.get(field);
        if (v == null) {
            return null;
        }
        return v instanceof Map || v instanceof List ? "" : String.valueOf(v);
    }

    /** The field's elements; none when it is missing or not an array. */
    public static List<Object> list(Map<String, Object> o, String field) {
        return o.get(field) instanceof List<?> l ? new ArrayList<>(l) : List.of();
    }

    /** The field as a boolean: true, or the text "true"; {@code otherwise} when missing. */
    public static boolean bool(Map<String, Object> o, String field, boolean otherwise) {
        Object v = o.get(field);
        if (v instanceof Boolean b) {
            return b;
        }
        return v == null ? otherwise : "true".equals(String.valueOf(v).strip());
    }

    /** The field as an int, or an IllegalArgumentException when it is missing or not a number. */
    public static int integer(Map<String, Object> o, String field) {
        Object v = o.get(field);
        try {
            return v instanceof Number n ? Math.toIntExact(n.longValue()) : Integer.parseInt(String.valueOf(v).strip());
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("field '" + field + "' is not a number: " + v);
        }
    }
}
