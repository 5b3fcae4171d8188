package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.store.FleetDevice;
import org.pcipass.store.HostInventory;
import org.pcipass.store.NumaCell;

/** Simulated fleet hosts for the claim tests: GPUs and SR-IOV NICs as an agent would publish them. */
final class FleetFixture {
    static final String ALIASES = "[{\"name\": \"gpu\", \"vendor_id\": \"10de\", \"product_id\": \"1db4\","
            + " \"device_type\": \"type-PCI\"},"
            + " {\"name\": \"pf\", \"vendor_id\": \"8086\", \"product_id\": \"1572\", \"device_type\": \"type-PF\"},"
            + " {\"name\": \"vf\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"device_type\": \"type-VF\"},"
            + " {\"name\": \"gpu-near\", \"vendor_id\": \"10de\", \"product_id\": \"1db4\", \"device_type\": \"type-PCI\","
            + " \"numa_policy\": \"required\"}]";
    static final Map<String, String> TAGS = Map.of("physical_network", "physnet1");

    private FleetFixture() {}

    static Aliases aliases() {
        return Aliases.parse(List.of(new ConfigValue(ALIASES, "aliases.json")));
    }

    static FleetDevice gpu(String address, Integer node) {
        return new FleetDevice(address, "10de", "1db4", "030200", "type-PCI", node, null, "ready", null, "vfio-pci",
                Map.of());
    }

    static FleetDevice pf(String address, Integer node) {
        return new FleetDevice(address, "8086", "1572", "020000", "type-PF", node, null, "assignable", null, "i40e",
                TAGS);
    }

    static FleetDevice vf(String address, String pf, Integer node) {
        return new FleetDevice(address, "8086", "154c", "020000", "type-VF", node, pf, "assignable", null, "iavf",
                TAGS);
    }

    /** A host with {@code gpus} GPUs (alternating NUMA nodes 0 and 1) and one PF with {@code vfs} VFs on node 1. */
    static HostInventory host(String name, int gpus, int vfs) {
        List<FleetDevice> d = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            d.add(gpu(String.format("0000:%02x:00.0", 0x3b + i), i % 2));
        }
        d.add(pf("0000:81:00.0", 1));
        for (int i = 0; i < vfs; i++) {
            d.add(vf(String.format("0000:81:02.%d", i), "0000:81:00.0", 1));
        }
        return new HostInventory(name, 10, List.of(new NumaCell(0, 0, List.of(0, 1), 16000),
                new NumaCell(1, 1, List.of(2, 3), 16000)), "pcipass test", d);
    }
}
