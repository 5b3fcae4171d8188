package org.pcipass.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.pcipass.sysfs.DeviceScanner;
import org.pcipass.sysfs.Sysfs;

/**
 * The in-process scan ({@code DeviceScanner.scanDevices(false)}, as ScanBench.deviceScan) against
 * its system-call floor ({@code bench/floor.c}) in rounds: one timed scan, one pass of the exact
 * floor (the very calls of the scan, the JDK's directory-handle calls included), one pass of the
 * minimal floor (without those five calls per device), the order turning round by round, so that
 * each ratio compares runs a fraction of a second apart. On a machine shared with other work this is
 * steadier than comparing separate runs' averages: a burst of other work inflates one round, not one
 * side. Not a test; {@code bench/vs-floor.sh} runs it.
 *
 * <pre>java -cp ... org.pcipass.bench.ScanVsFloor SYSFS FLOOR_BINARY [ROUNDS] [THREADS]</pre>
 *
 * <p>The scan is warmed up first (compiled by C2, as in JMH) for 4 seconds. Each floor run is a
 * process making 2 passes; its second is the one timed (the first pays the new process's page faults).
 */
public final class ScanVsFloor {
    private static final long WARMUP_NANOS = 4_000_000_000L;

    private ScanVsFloor() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: ScanVsFloor SYSFS FLOOR_BINARY [ROUNDS] [THREADS]");
            System.exit(2);
        }
        Path sysfs = Path.of(args[0]).toAbsolutePath();
        String floor = Path.of(args[1]).toAbsolutePath().toString();
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        String threads = args.length > 3 ? args[3] : Integer.toString(Runtime.getRuntime().availableProcessors());
        int n = 0;
        for (long end = System.nanoTime() + WARMUP_NANOS; System.nanoTime() < end; ) {
            n = scan(sysfs);
        }
        List<String> exact = floorCommand(floor, sysfs, threads, "exact");
        List<String> minimal = floorCommand(floor, sysfs, threads, "minimal");
        double[][] t = new double[3][rounds];
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 3; k++) {
                int which = (i + k) % 3;
                t[which][i] = which == 0 ? timedScan(sysfs) : floorPass(which == 1 ? exact : minimal);
            }
        }
        print(n, threads, rounds, t);
    }

    private static List<String> floorCommand(String floor, Path sysfs, String threads, String mode) {
        return List.of(floor, sysfs.resolve("bus/pci/devices").toString(), threads, "openat", "2", mode);
    }

    private static void print(int n, String threads, int rounds, double[][] t) {
        System.out.printf(Locale.ROOT, "scan vs floor, alternated: %d PCI functions, %s threads, %d rounds%n", n, threads, rounds);
        String[] what = {"in-process scan", "floor.c exact", "floor.c minimal"};
        for (int k = 0; k < 3; k++) {
            System.out.printf(Locale.ROOT, "  %-16s median %6.1f ms (min %.1f, max %.1f)%n", what[k] + ":", median(t[k]),
                    min(t[k]), max(t[k]));
        }
        for (int k = 1; k < 3; k++) {
            double[] ratio = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                ratio[i] = t[0][i] / t[k][i];
            }
            double r = median(ratio);
            System.out.printf(Locale.ROOT, "  ratio scan/%s: median of the rounds' %.2f (quartiles %.2f-%.2f), min/min %.2f%s%n",
                    k == 1 ? "exact floor" : "minimal floor", r, quantile(ratio, 0.25), quantile(ratio, 0.75),
                    min(t[0]) / min(t[k]), k == 1 ? "  (target <= 1.25: " + (r <= 1.25 ? "met)" : "NOT met)") : "");
        }
    }

    private static int scan(Path sysfs) {
        return new DeviceScanner(new Sysfs(sysfs)).scanDevices(false).size();
    }

    private static double timedScan(Path sysfs) {
        long t0 = System.nanoTime();
        scan(sysfs);
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The floor's second pass, in ms (its lines end in "NNN.N ms"). */
    private static double floorPass(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
        }
        List<Double> ms = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.endsWith(" ms")) {
                String[] f = line.split(" ");
                ms.add(Double.parseDouble(f[f.length - 2]));
            }
        }
        if (ms.size() != 2) {
            throw new IllegalStateException("floor printed " + ms.size() + " timed passes, not 2: " + out);
        }
        return ms.get(1);
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}
