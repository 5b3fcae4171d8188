package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
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
    /** One pool: its keys in Nova's order ({@code numa_node} an Integer or null, the rest strings) and members. */
    public record Pool<T>(Map<String, Object> keys, List<T> devices) {
        public int count() {
            return devices.size();
        }
    }

    private Pools() {}

    /** The pools of {@code devices} (in the host's order) under {@code specs}. */
    public static List<Pool<Device>> of(List<Device> devices, DeviceSpecs specs) {
        Set<String> pfs = new HashSet<>();
        for (Device d : devices) {
            if (Device.TYPE_PF.equals(d.devType())) {
                pfs.add(DeviceSpecs.Addr.ofDevice(d.address()).text());
            }
        }
        Predicate<String> isPf = pfs::contains;
        return group(devices, d -> {
            Map<String, String> tags = specs.tags(d, isPf);
            return tags == null ? null : keys(d, tags);
        });
    }

    /**
     * {@code items} (in the host's order) grouped by their pool keys, as Nova's {@code add_device} groups
     * them, in Nova's order: by number of keys, then by when the first member came. An item whose keys are
     * null is in no pool. Each pool's member list can be changed.
     */
    public static <T> List<Pool<T>> group(List<T> items, Function<T, Map<String, Object>> keysOf) {
        List<Pool<T>> pools = new ArrayList<>();
        Map<Map<String, Object>, Pool<T>> byKeys = new HashMap<>();
        for (T item : items) {
            Map<String, Object> keys = keysOf.apply(item);
            if (keys == null) {
                continue;
            }
            Pool<T> p = byKeys.get(keys);
            if (p == null) {
                p = new Pool<>(Collections.unmodifiableMap(keys), new ArrayList<>());
                byKeys.put(keys, p);
                pools.add(p);
            }
            p.devices().add(item);
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
