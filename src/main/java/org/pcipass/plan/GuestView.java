package org.pcipass.plan;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Domain;
import org.pcipass.guest.Hostdev;
import org.pcipass.pci.PciAddress;

/**
 * What the guest planner knows besides the host: the guest as its hypervisor describes it, who owns
 * what, and the hotplug log. Gathered by the command before planning, so that planning stays a pure
 * function.
 *
 * @param domain the guest; null when the hypervisor has no such domain
 * @param liveDevices, configDevices what the hypervisor lists for the guest now
 * @param assignments pcipass's assignments, by device
 * @param hostdevs every hostdev of every domain the hypervisor knows (pcipass's and other tools')
 * @param xenIommuActive Xen's IOMMU (null: unknown, or not Xen)
 * @param hotplugs the device's live attaches and detaches since a given instant, ascending
 */
public record GuestView(Domain domain, Set<PciAddress> liveDevices, Set<PciAddress> configDevices,
        Map<PciAddress, Assignment> assignments, List<Hostdev> hostdevs, Boolean xenIommuActive,
        HotplugLimit limit, Function<PciAddress, List<Instant>> hotplugs, Instant now) {
    public GuestView {
        liveDevices = Set.copyOf(liveDevices);
        configDevices = Set.copyOf(configDevices);
        assignments = Map.copyOf(assignments);
        hostdevs = List.copyOf(hostdevs);
    }

    /** At most {@code count} live attaches and detaches of one device per {@code window}. */
    public record HotplugLimit(int count, Duration window) {
        public static final HotplugLimit DEFAULT = new HotplugLimit(512, Duration.ofSeconds(600));
    }
}
