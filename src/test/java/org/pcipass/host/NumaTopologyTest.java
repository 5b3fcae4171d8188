package org.pcipass.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.store.NumaCell;
import org.pcipass.sysfs.Sysfs;
import org.pcipass.testing.Fs;

/** The host's NUMA cells as the agent publishes them, from a fake sysfs tree. */
class NumaTopologyTest {
    @TempDir
    Path sys;

    @Test
    void cellsByIdWithTheirCpusTheFirstCpusSocketAndTheirMemory() {
        Fs.write(sys.resolve("devices/system/node/node10/cpulist"), "8-9\n");
        Fs.write(sys.resolve("devices/system/node/node2/cpulist"), "0-1,4\n");
        Fs.write(sys.resolve("devices/system/node/node2/meminfo"), "Node 2 MemFree: 1 kB\nNode 2 MemTotal:  2097152 kB\n");
        Fs.write(sys.resolve("devices/system/node/online"), "2,10\n");
        Fs.write(sys.resolve("devices/system/cpu/cpu0/topology/physical_package_id"), "1\n");
        Fs.write(sys.resolve("devices/system/cpu/cpu8/topology/physical_package_id"), "3\n");
        assertThat(NumaTopology.read(new Sysfs(sys))).containsExactly(new NumaCell(2, 1, List.of(0, 1, 4), 2048),
                new NumaCell(10, 3, List.of(8, 9), 0));
    }

    @Test
    void aTreeWithoutNodesHasNoCellsAndACellWithoutCpusNoSocket() {
        assertThat(NumaTopology.read(new Sysfs(sys))).isEmpty();
        Fs.write(sys.resolve("devices/system/node/node0/cpulist"), "\n");
        assertThat(NumaTopology.read(new Sysfs(sys))).containsExactly(new NumaCell(0, null, List.of(), 0));
        assertThat(NumaTopology.cpuList("0-2,x")).isEmpty();
    }
}
