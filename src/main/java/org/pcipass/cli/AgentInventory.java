package org.pcipass.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.pcipass.fleet.Device;
import org.pcipass.fleet.DeviceSpecs;
import org.pcipass.host.HostSnapshot;
import org.pcipass.host.NumaTopology;
import org.pcipass.pci.PciDevice;
import org.pcipass.store.FleetDevice;
import org.pcipass.store.HostInventory;

/**
 * A host's snapshot as {@code pcipass agent} publishes it: every PCI function of the scan in address
 * order with Nova's device type (type-PF when {@code sriov_totalvfs} &gt; 0, type-VF when it has a
 * {@code physfn}, else type-PCI), its verdict and owner, and the tags of the first device_spec entry
 * that matches it (none: not offered); and the host's NUMA cells.
 */
final class AgentInventory {
    private AgentInventory() {}

    static HostInventory of(HostSnapshot host, String name, int intervalS, String agent, DeviceSpecs specs) {
        Set<String> pfs = new HashSet<>();
        for (PciDevice d : host.devices().values()) {
            if (isPf(host, d)) {
                pfs.add(d.address().toString());
            }
        }
        List<FleetDevice> devices = new ArrayList<>(host.devices().size());
        for (PciDevice d : host.devices().values()) {
            String address = d.address().toString();
            String type = pfs.contains(address) ? Device.TYPE_PF : d.physfn() != null ? Device.TYPE_VF : Device.TYPE_PCI;
            String parent = d.physfn() == null ? null : d.physfn().toString();
            String vendor = hex(d.vendorId(), 4);
            String product = hex(d.deviceId(), 4);
            var owner = host.owner(d.address());
            var tags = specs.tags(new Device(address, vendor, product, type, d.numaNode(), parent), pfs::contains);
            devices.add(new FleetDevice(address, vendor, product, hex(d.classCode(), 6), type, d.numaNode(), parent,
                    host.assessment(d.address()).verdict().json(), owner == null ? null : owner.guest(), d.driver(),
                    tags));
        }
        return new HostInventory(name, intervalS, NumaTopology.read(host.sysfs()), agent, devices);
    }

    /** An SR-IOV physical function: it can have VFs ({@code sriov_totalvfs} &gt; 0). */
    private static boolean isPf(HostSnapshot host, PciDevice d) {
        if (d.physfn() != null || d.sriov() == null) {
            return false;
        }
        Integer total = d.sriov().totalVfs() != null ? d.sriov().totalVfs()
                : host.sysfs().readInt("bus/pci/devices/" + d.address() + "/sriov_totalvfs");
        return total != null && total > 0;
    }

    private static String hex(Integer v, int digits) {
        if (v == null) {
            return null;
        }
        String s = Integer.toHexString(v);
        return "0".repeat(Math.max(0, digits - s.length())) + s;
    }
}
