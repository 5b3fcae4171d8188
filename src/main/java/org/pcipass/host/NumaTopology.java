package org.pcipass.host;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.pcipass.store.NumaCell;
import org.pcipass.sysfs.Sysfs;

/**
 * The host's NUMA cells as Nova describes them, from sysfs: {@code devices/system/node/nodeN/cpulist}
 * (the cell's CPUs), the physical package of its first CPU
 * ({@code devices/system/cpu/cpuN/topology/physical_package_id}) and its memory
 * ({@code MemTotal} of {@code nodeN/meminfo}, in MB). A tree without nodes has no cells.
 */
public final class NumaTopology {
    private static final String NODES = "devices/system/node";

    private NumaTopology() {}

    /** The cells by id. */
    public static List<NumaCell> read(Sysfs sys) {
        TreeMap<Integer, NumaCell> cells = new TreeMap<>();
        for (String name : sys.list(NODES)) {
            if (!name.matches("node\\d{1,6}")) {
                continue;
            }
            int id = Integer.parseInt(name.substring(4));
            List<Integer> cpus = cpuList(sys.read(NODES + "/" + name + "/cpulist"));
            Integer socket = cpus.isEmpty() ? null
                    : sys.readInt("devices/system/cpu/cpu" + cpus.get(0) + "/topology/physical_package_id");
            cells.put(id, new NumaCell(id, socket, cpus, memTotalMb(sys.readAll(NODES + "/" + name + "/meminfo"))));
        }
        return List.copyOf(cells.values());
    }

    /** {@code 0-3,8,10-11} → [0, 1, 2, 3, 8, 10, 11]; empty for null, blank or garbled text. */
    static List<Integer> cpuList(String text) {
        List<Integer> out = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        try {
            for (String part : text.strip().split(",")) {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).strip());
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).strip());
                for (int cpu = from; cpu <= to && to - from < 65536; cpu++) {
                    out.add(cpu);
                }
            }
        } catch (NumberFormatException e) {
            return new ArrayList<>();
        }
        return out;
    }

    /** {@code Node 0 MemTotal:  32768000 kB} → 32000; 0 when absent. */
    static long memTotalMb(String meminfo) {
        if (meminfo == null) {
            return 0;
        }
        for (String line : meminfo.split("\n")) {
            int at = line.indexOf("MemTotal:");
            if (at >= 0) {
                String[] words = line.substring(at + 9).strip().split("\\s+");
                try {
                    return Long.parseLong(words[0]) / 1024;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
