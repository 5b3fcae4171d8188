package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Reads this machine's real /sys and /proc (read only). The device behind / and the interface
 * with the default route are found here independently, from /proc and /sys links.
 */
class RealHostTest {
    private static final boolean CI = "true".equals(System.getenv("CI"));

    @Test
    void listsEveryDeviceUnderSys() throws Exception {
        Path devices = Path.of("/sys/bus/pci/devices");
        Assumptions.assumeTrue(Files.isDirectory(devices) || CI, "no PCI bus here");
        Cli.Result r = Cli.exec("list", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> listed = new ArrayList<>();
        r.json().forEach(d -> listed.add(d.get("address").asText()));
        try (var s = Files.list(devices)) {
            assertThat(listed).containsExactlyElementsOf(s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void theDiskHoldingRootAndTheDefaultRouteNicAreHostCritical() throws Exception {
        String rootDevice = pciOf(rootBlockDevicePath());
        String routeDevice = pciOf(defaultRouteInterfacePath());
        Assumptions.assumeTrue(CI || (rootDevice != null && routeDevice != null),
                "this machine's / or default route is not on a PCI device");
        assertThat(rootDevice).as("PCI device behind /").isNotNull();
        assertThat(routeDevice).as("PCI device behind the default route").isNotNull();

        JsonNode root = Cli.exec("show", rootDevice, "--json").json();
        assertThat(root.get("verdict").asText()).isEqualTo("host-critical");
        assertThat(root.get("reasons").toString()).contains("carries the root filesystem (/)");

        JsonNode nic = Cli.exec("show", routeDevice, "--json").json();
        assertThat(nic.get("verdict").asText()).isEqualTo("host-critical");
        assertThat(nic.get("reasons").toString()).contains("carries the default route (interface ");
    }

    /** /sys/dev/block/MAJ:MIN of the / mount, resolved. */
    private static Path rootBlockDevicePath() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f[4].equals("/")) {
                Path link = Path.of("/sys/dev/block", f[2]);
                return Files.exists(link) ? link.toRealPath() : null;
            }
        }
        return null;
    }

    private static Path defaultRouteInterfacePath() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/net/route"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 7 && f[1].equals("00000000") && f[7].equals("00000000")) {
                Path link = Path.of("/sys/class/net", f[0]);
                return Files.exists(link) ? link.toRealPath() : null;
            }
        }
        return null;
    }

    private static String pciOf(Path p) {
        for (Path q = p; q != null && q.getFileName() != null; q = q.getParent()) {
            if (q.getFileName().toString().matches("[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]")) {
                return q.getFileName().toString();
            }
        }
        return null;
    }
}
