package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A host's devices grouped as Nova's PciDeviceStats groups them (nova/pci/stats.py, {@code add_device}):
 * a device the device_spec offers joins the pool whose keys — {@code vendor_id}, {@code product_id},
 * {@code numa_node}, {@code dev_type}, the matching spec entry's tags, and {@code remote_managed = "false"}
 * for a PF or VF without that tag — equal its own; pools are ordered by their number of keys, then by
 * when their first device came (Nova re-sorts stably by {@code len} after each new pool). That order is
 * the order devices are taken in.
 */
public final class Pools {
    /** One pool: its keys in Nova's order ({@code numa_node} an Integer or null, the rest strings) and devices. */
    public record Pool(Map<String, Object> keys, List<Device> devices) {
        public int count() {
            return devices.size();
        }

        public Integer numaNode() {
            return (Integer) keys.get("numa_node");
        }
    }

    private Pools() {}

    /** The pools of {@code devices} (in the host's order) under {@code specs}. */
    public static List<Pool> of(List<Device> devices, DeviceSpecs specs) {
        java.util.Set<String> pfs = new java.util.HashSet<>();
        for (Device d : devices) {
            if (Device.TYPE_PF.equals(d.devType())) {
                pfs.add(DeviceSpecs.Addr.ofDevice(d.address()).text());
            }
        }
        Predicate<String> isPf = pfs::contains;
        List<Pool> pools = new ArrayList<>();
        Map<Map<String, Object>, Pool> byKeys = new LinkedHashMap<>();
        for (Device d : devices) {
            Map<String, String> tags = specs.tags(d, isPf);
            if (tags == null) {
                continue;
            }
            Map<String, Object> keys = keys(d, tags);
            Pool p = byKeys.get(keys);
            if (p == null) {
                p = new Pool(Collections.unmodifiableMap(keys), new ArrayList<>());
                byKeys.put(keys, p);
                pools.add(p);
            }
            p.devices().add(d);
        }
        pools.sort(Comparator.comparingInt(p -> p.keys().size())); // stable: creation order within a size
        return pools;
    }

    /** Nova's {@code _create_pool_keys_from_dev} for a device and its spec entry's tags. */
    public static Map<String, Object> keys(Device d, Map<String, String> tags) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("product_id", d.productId());
        keys.put("vendor_id", d.vendorId());
        keys.put("numa_node", d.numaNode());
        keys.put("dev_type", d.devType());
        keys.putAll(tags);
        if ((Device.TYPE_VF.equals(d.devType()) || Device.TYPE_PF.equals(d.devType())
                || Device.TYPE_VDPA.equals(d.devType())) && keys.get("remote_managed") == null) {
            keys.put("remote_managed", "false");
        }
        return keys;
    }
}
