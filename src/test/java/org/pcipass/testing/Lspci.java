package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real {@code lspci -D -vmm -nn -k -O hwdb.disable=1}, run as the oracle for pcipass's view of
 * a sysfs tree. Without it the tests skip, except with CI=true, where a missing lspci fails.
 */
public final class Lspci {
    public static final Path LSPCI = Path.of("/usr/bin/lspci");
    public static final Path PCI_IDS = Path.of("/usr/share/misc/pci.ids");

    private Lspci() {
    }

    /** Skips the calling test when lspci or pci.ids is missing, and fails it under CI=true. */
    public static void require() {
        boolean present = Files.isExecutable(LSPCI) && Files.isReadable(PCI_IDS);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("lspci (" + LSPCI + ") or pci.ids (" + PCI_IDS + ") missing, and CI=true");
        }
        Assumptions.assumeTrue(present, "lspci or pci.ids not installed");
    }

    /** lspci's answer: one map per device record by Slot, in lspci's order, and its stderr. */
    public record Result(Map<String, Map<String, String>> records, String stderr) {
        public Map<String, String> get(String address) {
            assertThat(records).containsKey(address);
            return records.get(address);
        }

        public List<String> addresses() {
            return new ArrayList<>(records.keySet());
        }
    }

    /**
     * Runs lspci on the tree under {@code sysfs} ({@code -O sysfs.path=SYSFS/bus/pci}), naming
     * devices from {@link #PCI_IDS} only.
     */
    public static Result run(Path sysfs) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(LSPCI.toString(), "-i", PCI_IDS.toString(), "-D", "-vmm", "-nn", "-k",
                "-O", "sysfs.path=" + sysfs.resolve("bus/pci"), "-O", "hwdb.disable=1").start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("lspci exit code; stderr: %s", new String(err, StandardCharsets.UTF_8)).isZero();
        return parse(new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** lspci's {@code -vmm} output, one record per device, keyed by Slot in lspci's order. */
    public static Result parse(String out, String stderr) {
        Map<String, Map<String, String>> recs = new LinkedHashMap<>();
        for (String block : out.split("\n\n")) {
            Map<String, String> rec = new LinkedHashMap<>();
            for (String line : block.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                int tab = line.indexOf(":\t");
                assertThat(tab).as("lspci line %s", line).isPositive();
                rec.put(line.substring(0, tab), line.substring(tab + 2));
            }
            if (!rec.isEmpty()) {
                recs.put(rec.get("Slot"), rec);
            }
        }
        return new Result(recs, stderr);
    }

    /** The hex id in brackets at the end of an lspci field: {@code "Intel Corporation [8086]"} → 8086. */
    public static String id(String field) {
        if (field == null) {
            return null;
        }
        int open = field.lastIndexOf('[');
        return open < 0 ? null : field.substring(open + 1, field.length() - 1);
    }

    /** The name before the bracketed id, as lspci prints it. */
    public static String name(String field) {
        if (field == null) {
            return null;
        }
        int open = field.lastIndexOf(" [");
        return open < 0 ? field : field.substring(0, open);
    }
}
