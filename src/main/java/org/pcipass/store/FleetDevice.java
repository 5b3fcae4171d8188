package org.pcipass.store;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * One PCI function of a host as its agent published it to the fleet (a row of {@code fleet_devices}).
 *
 * @param vendorId four lower-case hex digits, or null when sysfs did not say (so for {@code productId})
 * @param classCode six lower-case hex digits, or null
 * @param devType Nova's device type: {@code type-PCI}, {@code type-PF} or {@code type-VF}
 * @param numaNode the NUMA node, or null when the kernel does not know it
 * @param parentAddr a VF's PF, else null
 * @param verdict the host's verdict ({@code ready}, {@code assignable}, {@code host-critical} …)
 * @param owner the guest that holds it on its host, or null
 * @param tags the Nova device_spec tags the host offers it with; null: the host does not offer it
 */
public record FleetDevice(String address, String vendorId, String productId, String classCode, String devType,
        Integer numaNode, String parentAddr, String verdict, String owner, String driver, Map<String, String> tags) {
    /** Nova's device types. */
    public static final Set<String> DEV_TYPES = Set.of("type-PCI", "type-PF", "type-VF");

    public FleetDevice {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(verdict, "verdict");
        if (!DEV_TYPES.contains(devType)) {
            throw new IllegalArgumentException("devType must be type-PCI, type-PF or type-VF, not " + devType);
        }
        tags = tags == null ? null : java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
    }

    /** Free to claim on its host: offered by a device_spec, ready or assignable there, and no guest's. */
    public boolean offered() {
        return tags != null && owner == null && (verdict.equals("ready") || verdict.equals("assignable"));
    }
}
