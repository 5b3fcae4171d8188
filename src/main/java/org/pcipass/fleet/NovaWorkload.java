package org.pcipass.fleet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;

/**
 * The nova-pci-bench workload files (the fleet issue): a fleet ({@code nova-pci-bench/fleet/v1}: the
 * device_spec and the hosts with their NUMA cells and devices, and Nova's own pool summary beside them),
 * a request stream ({@code nova-pci-bench/requests/v1}: the aliases and each request's InstancePCIRequests
 * and guest NUMA cells), and the placements ({@code nova-pci-bench/placements/v1}).
 */
public final class NovaWorkload {
    public static final String FLEET_FORMAT = "nova-pci-bench/fleet/v1";
    public static final String REQUESTS_FORMAT = "nova-pci-bench/requests/v1";
    public static final String PLACEMENTS_FORMAT = "nova-pci-bench/placements/v1";

    /** One host of a fleet file; {@code novaPools} is the file's {@code pools}, Nova's summary. */
    public record Host(String name, List<Scheduler.Cell> cells, List<Device> devices, List<Map<String, Object>> novaPools) {}

    public record Fleet(List<ConfigValue> deviceSpec, List<Host> hosts) {}

    /** One request: Nova's InstancePCIRequests for it and the guest's NUMA cells (null: none). */
    public record Request(Object id, String flavorAlias, String flavorNumaPolicy, List<Integer> numaCells,
            List<PciRequest> pciRequests) {}

    public record Requests(List<ConfigValue> aliases, List<Request> requests) {}

    private NovaWorkload() {}

    public static Fleet readFleet(Path file) {
        Map<String, Object> root = root(file, FLEET_FORMAT);
        List<ConfigValue> spec = new ArrayList<>();
        List<Object> specs = list(root.get("device_spec"), file, "device_spec");
        for (int i = 0; i < specs.size(); i++) {
            spec.add(new ConfigValue(JsonTree.compact(specs.get(i)), file + " device_spec[" + i + "]"));
        }
        List<Host> hosts = new ArrayList<>();
        List<Object> hs = list(root.get("hosts"), file, "hosts");
        for (int i = 0; i < hs.size(); i++) {
            String at = "hosts[" + i + "]";
            Map<String, Object> h = map(hs.get(i), file, at);
            String name = string(h.get("name"), file, at + ".name");
            List<Scheduler.Cell> cells = new ArrayList<>();
            for (Object c : h.get("numa_cells") == null ? List.of() : list(h.get("numa_cells"), file, at + ".numa_cells")) {
                Map<String, Object> cm = map(c, file, at + ".numa_cells[]");
                cells.add(new Scheduler.Cell(integer(cm.get("id"), file, at + ".numa_cells[].id"),
                        cm.get("socket") == null ? null : integer(cm.get("socket"), file, at + ".numa_cells[].socket")));
            }
            List<Device> devices = new ArrayList<>();
            List<Object> ds = list(h.get("devices"), file, at + ".devices");
            for (int j = 0; j < ds.size(); j++) {
                String dat = at + ".devices[" + j + "]";
                Map<String, Object> d = map(ds.get(j), file, dat);
                String address = string(d.get("address"), file, dat + ".address");
                try {
                    DeviceSpecs.Addr.ofDevice(address);
                } catch (RuntimeException e) {
                    throw bad(file, dat + ".address " + NovaJson.quote(address) + " is not a PCI address dddd:bb:ss.f");
                }
                devices.add(new Device(address, string(d.get("vendor_id"), file, dat + ".vendor_id"),
                        string(d.get("product_id"), file, dat + ".product_id"),
                        string(d.get("dev_type"), file, dat + ".dev_type"),
                        d.get("numa_node") == null ? null : integer(d.get("numa_node"), file, dat + ".numa_node"),
                        d.get("parent_addr") == null ? null : string(d.get("parent_addr"), file, dat + ".parent_addr")));
            }
            List<Map<String, Object>> pools = new ArrayList<>();
            if (h.get("pools") != null) {
                for (Object p : list(h.get("pools"), file, at + ".pools")) {
                    pools.add(map(p, file, at + ".pools[]"));
                }
            }
            hosts.add(new Host(name, cells, devices, pools));
        }
        return new Fleet(spec, hosts);
    }

    public static Requests readRequests(Path file) {
        Map<String, Object> root = root(file, REQUESTS_FORMAT);
        List<ConfigValue> aliases = new ArrayList<>();
        if (root.get("aliases") != null) {
            List<Object> as = list(root.get("aliases"), file, "aliases");
            for (int i = 0; i < as.size(); i++) {
                aliases.add(new ConfigValue(JsonTree.compact(as.get(i)), file + " aliases[" + i + "]"));
            }
        }
        List<Request> out = new ArrayList<>();
        List<Object> rs = list(root.get("requests"), file, "requests");
        for (int i = 0; i < rs.size(); i++) {
            String at = "requests[" + i + "]";
            Map<String, Object> r = map(rs.get(i), file, at);
            List<Integer> cells = null;
            if (r.get("numa_cells") != null) {
                cells = new ArrayList<>();
                for (Object c : list(r.get("numa_cells"), file, at + ".numa_cells")) {
                    cells.add(integer(c, file, at + ".numa_cells[]"));
                }
            }
            List<PciRequest> pci = new ArrayList<>();
            for (Object o : list(r.get("pci_requests"), file, at + ".pci_requests")) {
                Map<String, Object> p = map(o, file, at + ".pci_requests[]");
                List<Map<String, String>> spec = new ArrayList<>();
                for (Object so : list(p.get("spec"), file, at + ".pci_requests[].spec")) {
                    Map<String, String> sm = new LinkedHashMap<>();
                    map(so, file, at + ".pci_requests[].spec[]").forEach((k, v) -> sm.put(k, NovaJson.pythonStr(v)));
                    if (sm.containsKey("numa_node")) {
                        throw bad(file, at + ": a spec that names numa_node is not supported");
                    }
                    spec.add(sm);
                }
                pci.add(new PciRequest(p.get("alias_name") == null ? null : p.get("alias_name").toString(),
                        integer(p.get("count"), file, at + ".pci_requests[].count"),
                        p.get("numa_policy") == null ? null : string(p.get("numa_policy"), file, at + ".numa_policy"),
                        spec));
            }
            out.add(new Request(r.get("id"), r.get("flavor_alias") == null ? null : r.get("flavor_alias").toString(),
                    r.get("flavor_numa_policy") == null ? null : r.get("flavor_numa_policy").toString(), cells, pci));
        }
        return new Requests(aliases, out);
    }

    /** sha256 of the placements joined with ',' (e.g. "0,0,1,-1"), lower-case hex. */
    public static String sha256(int[] placements) {
        StringBuilder b = new StringBuilder(placements.length * 4);
        for (int i = 0; i < placements.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(placements[i]);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(b.toString().getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The placements file: hosts by name, a host index per request (-1 when none fits), the counts and hash. */
    public static void writePlacements(Path file, List<String> hosts, int[] placements) {
        int placed = 0;
        for (int p : placements) {
            placed += p >= 0 ? 1 : 0;
        }
        Map<String, Object> o = JsonTree.object();
        o.put("format", PLACEMENTS_FORMAT);
        o.put("hosts", hosts);
        List<Object> ps = new ArrayList<>(placements.length);
        for (int p : placements) {
            ps.add((long) p);
        }
        o.put("placements", ps);
        o.put("placed", (long) placed);
        o.put("failed", (long) (placements.length - placed));
        o.put("placements_sha256", sha256(placements));
        try {
            Files.writeString(file, JsonTree.compact(o) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PcipassException.BadInput("--placements-out " + file + " cannot be written (" + e.getMessage()
                    + "); give a writable path");
        }
    }

    private static Map<String, Object> root(Path file, String format) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw bad(file, "no such file");
        } catch (IOException e) {
            throw bad(file, "cannot be read (" + e.getMessage() + ")");
        }
        Object o;
        try {
            o = JsonTree.parse(text);
        } catch (IOException e) {
            throw bad(file, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        Map<String, Object> root = map(o, file, "the document");
        if (!format.equals(root.get("format"))) {
            throw bad(file, "its format is " + NovaJson.quote(root.get("format")) + ", not \"" + format + "\"; give a "
                    + format + " file (bench/nova-oracle.sh generate writes them)");
        }
        return root;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, Path file, String at) {
        if (!(o instanceof Map)) {
            throw bad(file, at + " must be an object, not " + NovaJson.kind(o));
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, Path file, String at) {
        if (!(o instanceof List)) {
            throw bad(file, at + " must be an array, not " + NovaJson.kind(o));
        }
        return (List<Object>) o;
    }

    private static String string(Object o, Path file, String at) {
        if (!(o instanceof String s)) {
            throw bad(file, at + " must be a string, not " + NovaJson.kind(o));
        }
        return s;
    }

    private static int integer(Object o, Path file, String at) {
        if (!(o instanceof Long l) || l < Integer.MIN_VALUE + 1 || l > Integer.MAX_VALUE) {
            throw bad(file, at + " must be a whole number, not " + NovaJson.kind(o));
        }
        return l.intValue();
    }

    private static PcipassException.BadInput bad(Path file, String problem) {
        return new PcipassException.BadInput(file + ": " + problem);
    }
}
