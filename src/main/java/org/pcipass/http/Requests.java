package org.pcipass.http;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.apply.JsonTree;

/**
 * A change's JSON body, checked, as the command line the CLI would run. Every value is one argv
 * element, options as {@code --name=value} and devices and guests after {@code --}, so that no
 * value can be taken for an option; the CLI's own checks (addresses, guest names, URIs) then apply
 * exactly as on the command line.
 */
final class Requests {
    /** The largest body accepted, in bytes: a request names devices and options, never more. */
    static final int MAX_BODY = 64 * 1024;

    /** A checked change: its command line (without --dry-run/--json), dry run or not, and the plan id confirmed. */
    record Change(String action, List<String> argv, boolean dryRun, String planId) {
        /** The command line the audit log shows: {@code pcipass hide --driver=vfio-pci -- 0000:09:00.0}. */
        String commandLine() {
            return "pcipass " + String.join(" ", argv);
        }
    }

    private static final Map<String, Set<String>> FIELDS = Map.of(
            "hide", Set.of("devices", "driver", "withGroup", "persist", "force"),
            "unhide", Set.of("devices", "withGroup", "persist"),
            "attach", Set.of("devices", "guest", "via", "connect", "mode", "withGroup", "persist", "driver", "guestOs",
                    "allowInsecure"),
            "detach", Set.of("devices", "guest", "via", "connect", "mode", "return", "timeout"));
    private static final Set<String> ALWAYS = Set.of("dryRun", "planId");
    private static final Map<String, String> OPTIONS = new LinkedHashMap<>();
    private static final Map<String, String> FLAGS = new LinkedHashMap<>();

    static {
        OPTIONS.put("driver", "--driver");
        OPTIONS.put("via", "--via");
        OPTIONS.put("connect", "--connect");
        OPTIONS.put("guestOs", "--guest-os");
        FLAGS.put("withGroup", "--with-group");
        FLAGS.put("persist", "--persist");
        FLAGS.put("force", "--force");
        FLAGS.put("allowInsecure", "--allow-insecure");
        FLAGS.put("return", "--return");
    }

    private Requests() {}

    static boolean isAction(String action) {
        return FIELDS.containsKey(action);
    }

    /** @throws ApiError 400 naming the field and the fix */
    static Change parse(String action, byte[] body, Set<String> allowConnect) {
        if (body.length > MAX_BODY) {
            throw ApiError.badInput("the request body is larger than " + MAX_BODY + " bytes; send a JSON object"
                    + " naming the devices and options only");
        }
        Object tree;
        try {
            tree = JsonTree.parse(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw ApiError.badInput("the request body is not JSON (" + oneLine(e.getMessage()) + "); send an object"
                    + " such as {\"devices\": [\"0000:09:00.0\"], \"dryRun\": true}");
        }
        if (!(tree instanceof Map<?, ?> m)) {
            throw ApiError.badInput("the request body is not a JSON object; send one such as {\"devices\":"
                    + " [\"0000:09:00.0\"], \"dryRun\": true}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> o = (Map<String, Object>) m;
        Set<String> allowed = FIELDS.get(action);
        for (String k : o.keySet()) {
            if (!allowed.contains(k) && !ALWAYS.contains(k)) {
                throw ApiError.badInput("unknown field '" + org.pcipass.guest.GuestName.printable(k) + "' for " + action + "; the fields are "
                        + String.join(", ", new java.util.TreeSet<>(union(allowed))));
            }
        }
        List<String> argv = new ArrayList<>();
        argv.add(action);
        if (o.get("connect") != null && !allowConnect.contains(string(o, "connect"))) {
            // a libvirt URI can name a program to run (qemu+ext://…?command=), a host to send root's SSH key
            // to (qemu+ssh://…?keyfile=) or any socket: over the API only the URIs the server was started with
            throw ApiError.badInput("connect '" + org.pcipass.guest.GuestName.printable(string(o, "connect")) + "' is not a URI this server may use;"
                    + " it takes " + String.join(", ", new java.util.TreeSet<>(allowConnect)) + " (start it with"
                    + " --allow-connect URI,... to add one)");
        }
        OPTIONS.forEach((field, option) -> {
            if (allowed.contains(field) && o.get(field) != null) {
                argv.add(option + "=" + string(o, field));
            }
        });
        FLAGS.forEach((field, flag) -> {
            if (allowed.contains(field) && bool(o, field)) {
                argv.add(flag);
            }
        });
        if (o.get("mode") != null) {
            switch (string(o, "mode")) {
                case "live" -> argv.add("--live");
                case "config" -> argv.add("--config");
                case "live+config" -> {
                    argv.add("--live");
                    argv.add("--config");
                }
                default -> throw ApiError.badInput("mode '" + org.pcipass.guest.GuestName.printable(string(o, "mode")) + "' is not live, config or"
                        + " live+config");
            }
        }
        if (o.get("timeout") != null) {
            if (!(o.get("timeout") instanceof Number n) || !(n.doubleValue() >= 0)) {
                throw ApiError.badInput("timeout must be a number of seconds, such as 30");
            }
            argv.add("--timeout=" + (n instanceof Double d ? d.toString() : String.valueOf(n.longValue())));
        }
        argv.add("--");
        if (allowed.contains("guest")) {
            if (o.get("guest") == null) {
                throw ApiError.badInput(action + " needs \"guest\": the name of the libvirt or xl domain");
            }
            argv.add(string(o, "guest"));
        }
        argv.addAll(devices(o));
        boolean dryRun = bool(o, "dryRun");
        String planId = o.get("planId") == null ? null : string(o, "planId");
        if (planId != null && !planId.matches("[0-9a-f]{64}")) {
            throw ApiError.badInput("planId '" + org.pcipass.guest.GuestName.printable(planId) + "' is not a plan id; give the planId of a dry run's"
                    + " answer, or none");
        }
        return new Change(action, argv, dryRun, planId);
    }

    private static List<String> devices(Map<String, Object> o) {
        if (!(o.get("devices") instanceof List<?> l) || l.isEmpty()) {
            throw ApiError.badInput("\"devices\" must be a non-empty array of PCI addresses, such as"
                    + " [\"0000:09:00.0\"]");
        }
        if (l.size() > 4096) {
            throw ApiError.badInput("\"devices\" names " + l.size() + " devices; give at most 4096");
        }
        List<String> out = new ArrayList<>();
        for (Object d : l) {
            if (!(d instanceof String s)) {
                throw ApiError.badInput("\"devices\" must hold strings (PCI addresses such as \"0000:09:00.0\"), not "
                        + JsonTree.compact(d));
            }
            out.add(s);
        }
        return out;
    }

    private static String string(Map<String, Object> o, String field) {
        if (!(o.get(field) instanceof String s)) {
            throw ApiError.badInput("\"" + field + "\" must be a string");
        }
        return s;
    }

    private static boolean bool(Map<String, Object> o, String field) {
        Object v = o.get(field);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw ApiError.badInput("\"" + field + "\" must be true or false");
        }
        return b;
    }

    private static Set<String> union(Set<String> a) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(ALWAYS);
        return all;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replace('\n', ' ').replace("\r", "");
    }
}
