package org.pcipass.store;

import java.util.List;

/**
 * One NUMA cell of a fleet host, as Nova's fleet format writes it: {@code {"id","socket","cpus","memory_mb"}}.
 *
 * @param socket the physical package of the cell's first CPU, or null when sysfs does not say
 * @param cpus the cell's CPUs, ascending
 */
public record NumaCell(int id, Integer socket, List<Integer> cpus, long memoryMb) {
    public NumaCell {
        if (id < 0) {
            throw new IllegalArgumentException("id must be 0 or more, not " + id);
        }
        cpus = List.copyOf(cpus);
    }
}
