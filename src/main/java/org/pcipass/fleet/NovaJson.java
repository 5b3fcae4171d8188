package org.pcipass.fleet;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.guest.GuestName;

/** Reading the JSON values of Nova's options: one-line errors that name where a value was written. */
final class NovaJson {
    private NovaJson() {}

    static Object parse(ConfigValue v, String what) {
        Object o;
        try {
            o = JsonTree.parse(v.json());
        } catch (IOException e) {
            throw bad(v, what + " is not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (o == null) {
            throw bad(v, what + " is empty");
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object o, ConfigValue v, String what) {
        if (!(o instanceof Map)) {
            throw bad(v, what + " must be a JSON object {...}, not " + kind(o));
        }
        return (Map<String, Object>) o;
    }

    static String kind(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Map) {
            return "an object";
        }
        if (o instanceof List) {
            return "an array";
        }
        if (o instanceof String) {
            return "a string";
        }
        if (o instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }

    /** Python's {@code str()} of a JSON scalar, as Nova's string fields coerce tag values. */
    static String pythonStr(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return o.toString();
    }

    static PcipassException.BadInput bad(ConfigValue v, String problem) {
        return new PcipassException.BadInput(v.where() + ": " + problem);
    }

    static String quote(Object o) {
        return "'" + GuestName.printable(String.valueOf(o)) + "'";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
