package org.pcipass.store;

import java.util.List;
import java.util.Objects;

/**
 * What an agent publishes for its host in one snapshot: its PCI functions in address order (their
 * position in the list is their {@code position}), its NUMA cells, how often it reports
 * ({@code intervalS}: the host is down after three intervals without a heartbeat) and which pcipass it is.
 */
public record HostInventory(String name, int intervalS, List<NumaCell> numaCells, String agent,
        List<FleetDevice> devices) {
    public HostInventory {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > 255) {
            throw new IllegalArgumentException("name must have 1 to 255 characters, not " + name.length());
        }
        if (intervalS < 1) {
            throw new IllegalArgumentException("intervalS must be 1 or more, not " + intervalS);
        }
        numaCells = List.copyOf(numaCells);
        devices = List.copyOf(devices);
    }

    /** How many devices the host offers ({@link FleetDevice#offered}). */
    public int offered() {
        return (int) devices.stream().filter(FleetDevice::offered).count();
    }
}
