package org.pcipass.store;

import java.time.Instant;
import java.util.List;

/**
 * A host of the fleet as the database holds it (a row of {@code fleet_hosts}), with its state read at
 * one instant of the database's clock: {@code up} when its heartbeat is at most three of its
 * intervals old.
 *
 * @param snapshot how many snapshots its agents published (the newest one's number)
 * @param deviceCount its devices in the newest snapshot
 * @param offeredCount those of them free to claim ({@link FleetDevice#offered})
 * @param devices its devices in snapshot order, when they were asked for (else empty)
 */
public record FleetHost(String name, long snapshot, Instant published, Instant heartbeat, int intervalS,
        List<NumaCell> numaCells, String agent, boolean up, int deviceCount, int offeredCount,
        List<FleetDevice> devices) {
    /** A host is down when its heartbeat is older than this many of its own intervals. */
    public static final int DOWN_AFTER_INTERVALS = 3;

    public FleetHost {
        numaCells = List.copyOf(numaCells);
        devices = List.copyOf(devices);
    }

    /** {@code up} or {@code down}. */
    public String state() {
        return up ? "up" : "down";
    }
}
