package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;
import org.pcipass.guest.GuestName;

/**
 * Nova's {@code [pci] alias} (nova/pci/request.py, 26.2.2): named device specs a claim asks for, and
 * the flavor string {@code gpu:2,vf:1} turned into requests. An alias is a JSON object with {@code name}
 * (required, 1 to 256 characters) and any of {@code vendor_id}, {@code product_id} (4 hex digits),
 * {@code device_type} ({@code type-PCI}, {@code type-PF}, {@code type-VF}), {@code numa_policy}
 * ({@code required}, {@code legacy} (the default), {@code preferred}, {@code socket}) and
 * {@code capability_type} ({@code pci}); nothing else. Several aliases with one name are alternatives
 * (any of them matches); they must then agree on numa_policy and all give the same device_type, as
 * Nova requires.
 */
public final class Aliases {
    public static final Aliases NONE = new Aliases(Map.of());
    static final List<String> POLICIES = List.of("required", "legacy", "preferred", "socket");
    private static final Pattern ID = Pattern.compile("[0-9a-fA-F]{4}");

    /** One alias name: its policy and its alternative specs. */
    public record Alias(String name, String numaPolicy, List<Map<String, String>> specs) {}

    private final Map<String, Alias> byName;

    private Aliases(Map<String, Alias> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    public static Aliases parse(List<ConfigValue> values) {
        Map<String, String> policies = new LinkedHashMap<>();
        Map<String, List<Map<String, String>>> specs = new LinkedHashMap<>();
        for (ConfigValue v : values) {
            Object o = NovaJson.parse(v, "an alias value");
            List<?> list = o instanceof List<?> l ? l : List.of(o);
            for (Object e : list) {
                Map<String, Object> a = NovaJson.object(e, v, "each alias");
                Map<String, String> spec = new LinkedHashMap<>();
                String name = null;
                String policy = null;
                for (Map.Entry<String, Object> f : a.entrySet()) {
                    String k = f.getKey();
                    Object val = f.getValue();
                    if (!List.of("name", "vendor_id", "product_id", "device_type", "numa_policy", "capability_type")
                            .contains(k)) {
                        throw NovaJson.bad(v, "alias key " + NovaJson.quote(k) + " is not one of name, vendor_id,"
                                + " product_id, device_type, numa_policy, capability_type");
                    }
                    if (!(val instanceof String s)) {
                        throw NovaJson.bad(v, "alias " + k + " is " + NovaJson.kind(val) + "; write it as a string");
                    }
                    switch (k) {
                        case "name" -> {
                            if (s.isEmpty() || s.length() > 256) {
                                throw NovaJson.bad(v, "alias name must have 1 to 256 characters");
                            }
                            name = s.strip();
                        }
                        case "vendor_id", "product_id" -> {
                            if (!ID.matcher(s).matches()) {
                                throw NovaJson.bad(v, "alias " + k + " " + NovaJson.quote(s) + " is not 4 hex digits;"
                                        + " write e.g. \"" + (k.equals("vendor_id") ? "10de" : "1db4") + "\"");
                            }
                            spec.put(k, s);
                        }
                        case "device_type" -> {
                            if (!List.of(Device.TYPE_PCI, Device.TYPE_PF, Device.TYPE_VF).contains(s)) {
                                throw NovaJson.bad(v, "alias device_type " + NovaJson.quote(s) + " is not type-PCI,"
                                        + " type-PF or type-VF");
                            }
                            spec.put("dev_type", s);
                        }
                        case "numa_policy" -> {
                            if (!POLICIES.contains(s)) {
                                throw NovaJson.bad(v, "alias numa_policy " + NovaJson.quote(s) + " is not required,"
                                        + " legacy, preferred or socket");
                            }
                            policy = s;
                        }
                        default -> {
                            if (!s.equals("pci")) {
                                throw NovaJson.bad(v, "alias capability_type " + NovaJson.quote(s) + " can only be"
                                        + " \"pci\"");
                            }
                            spec.put(k, s);
                        }
                    }
                }
                if (name == null) {
                    throw NovaJson.bad(v, "an alias needs a \"name\"");
                }
                if (policy == null) {
                    policy = "legacy";
                }
                if (!specs.containsKey(name)) {
                    policies.put(name, policy);
                    specs.put(name, new ArrayList<>(List.of(spec)));
                    continue;
                }
                if (!policies.get(name).equals(policy)) {
                    throw NovaJson.bad(v, "aliases named " + NovaJson.quote(name) + " disagree on numa_policy ("
                            + policies.get(name) + ", " + policy + "); give them one");
                }
                String first = specs.get(name).get(0).get("dev_type");
                if (first == null || spec.get("dev_type") == null || !first.equals(spec.get("dev_type"))) {
                    throw NovaJson.bad(v, "aliases named " + NovaJson.quote(name) + " must all give the same"
                            + " device_type (Nova refuses them otherwise)");
                }
                specs.get(name).add(spec);
            }
        }
        Map<String, Alias> out = new LinkedHashMap<>();
        specs.forEach((n, s) -> out.put(n, new Alias(n, policies.get(n), List.copyOf(s))));
        return new Aliases(out);
    }

    public Set<String> names() {
        return byName.keySet();
    }

    public Alias get(String name) {
        return byName.get(name);
    }

    /**
     * A flavor's {@code pci_passthrough:alias} value, {@code NAME:COUNT[,NAME:COUNT...]}, as requests in
     * the order written; {@code affinityPolicy} (a flavor's {@code hw:pci_numa_affinity_policy}), when
     * not null, replaces the aliases' numa_policy.
     *
     * @throws PcipassException.BadInput for a malformed value, a count below 1 or an unknown name
     */
    public List<PciRequest> requests(String flavorAlias, String affinityPolicy) {
        if (affinityPolicy != null && !POLICIES.contains(affinityPolicy)) {
            throw new PcipassException.BadInput("NUMA affinity policy '" + GuestName.printable(affinityPolicy)
                    + "' is not required, legacy, preferred or socket");
        }
        List<PciRequest> out = new ArrayList<>();
        for (String item : flavorAlias.split(",", -1)) {
            String[] nc = item.split(":", -1);
            if (nc.length != 2) {
                throw new PcipassException.BadInput("--alias '" + GuestName.printable(flavorAlias) + "': '"
                        + GuestName.printable(item.strip()) + "' is not NAME:COUNT; write e.g. --alias gpu:2,vf:1");
            }
            String name = nc[0].strip();
            int count;
            try {
                count = Integer.parseInt(nc[1].strip());
            } catch (NumberFormatException e) {
                count = 0;
            }
            if (count < 1) {
                throw new PcipassException.BadInput("--alias '" + GuestName.printable(flavorAlias) + "': the count of '"
                        + GuestName.printable(name) + "' must be a whole number of at least 1; write e.g. "
                        + GuestName.printable(name) + ":1");
            }
            Alias a = byName.get(name);
            if (a == null) {
                throw new PcipassException.BadInput("--alias: no alias is named '" + GuestName.printable(name) + "'"
                        + (byName.isEmpty() ? "; define aliases with --aliases FILE or alias = {...} lines in"
                                + " STATE/pcipass.conf" : "; the aliases are " + String.join(", ", byName.keySet())));
            }
            out.add(new PciRequest(name, count, affinityPolicy != null ? affinityPolicy : a.numaPolicy(), a.specs()));
        }
        return out;
    }
}
