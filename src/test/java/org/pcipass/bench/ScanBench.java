package org.pcipass.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.pci.PciIds;
import org.pcipass.pci.PciIdsLoader;
import org.pcipass.sysfs.DeviceScanner;
import org.pcipass.sysfs.Sysfs;

/**
 * The in-process scan of a synthetic sysfs tree of {@code n} PCI functions (issue target: 4,096
 * functions in under 100 ms). Not a test: surefire excludes {@code **}{@code /bench/**}; run it with
 * {@code bench/jmh.sh}.
 *
 * <p>The tree is generated in {@link #setUp} by {@code python3 bench/gen-tree.py} (found from the
 * working directory, or named with {@code -Dpcipass.bench.gen=FILE}) into a temporary directory
 * that {@link #tearDown} removes; {@code -Dpcipass.bench.sysfs=DIR} uses an existing tree instead
 * (then {@code n} is only a label; {@code bench/jmh.sh} generates one tree and passes it so). The
 * state dir is made in {@link #setUp} too, in a temporary directory: the store holding
 * {@code assigned} assignments and the owners file ({@link BenchState}); {@code -Dpcipass.bench.state=DIR}
 * uses an existing one. Pass these with {@code -jvmArgsAppend} so that the forked JVM sees them.
 *
 * <ul>
 *   <li>{@code deviceScan}: {@code DeviceScanner.scanDevices(false)}, the sysfs reads of a listing;
 *   <li>{@code snapshot}: {@code HostSnapshot.scan} with pci.ids already loaded: devices, groups,
 *       usage, hypervisor, the owners file and every verdict;
 *   <li>{@code snapshotLoadingIds}: the same plus finding and loading pci.ids, as each CLI run does.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ScanBench {

    @Param("4096")
    public int n;

    /** Assignments in the store of the state dir made for the run. */
    @Param("100")
    public int assigned;

    private Path generated;
    private Path madeState;
    private Path sysfs;
    private HostPaths paths;
    private PciIds ids;

    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        String given = System.getProperty("pcipass.bench.sysfs");
        if (given != null && !given.isBlank()) {
            sysfs = Path.of(given).toAbsolutePath();
        } else {
            generated = Files.createTempDirectory("pcipass-scanbench");
            Path tree = generated.resolve("tree");
            Process p = new ProcessBuilder("python3", generator().toString(), tree.toString(), Integer.toString(n))
                    .inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("gen-tree.py exited " + p.exitValue());
            }
            sysfs = tree.resolve("sys");
        }
        if (!Files.isDirectory(sysfs.resolve("bus/pci/devices"))) {
            throw new IllegalStateException(sysfs + " is not a sysfs tree (no bus/pci/devices)");
        }
        // gen-tree.py writes a config root beside sys/ (root/proc/self/mountinfo); else the real one.
        Path root = sysfs.resolveSibling("root");
        Path configRoot = Files.isRegularFile(root.resolve("proc/self/mountinfo")) ? root : Path.of("/");
        paths = new HostPaths(sysfs, configRoot, state(), null);
        ids = loadIds();

        // Fail in set-up, not with a misleading score, when the scan does not see the tree.
        int found = new DeviceScanner(new Sysfs(sysfs)).scanDevices(false).size();
        int listed;
        try (Stream<Path> s = Files.list(sysfs.resolve("bus/pci/devices"))) {
            listed = (int) s.count();
        }
        if (found != listed) {
            throw new IllegalStateException("scan found " + found + " functions, the tree has " + listed);
        }
        System.err.println("ScanBench: " + found + " PCI functions under " + sysfs
                + (found == n ? "" : " (the tree decides: parameter n=" + n + " is only a label)"));
        HostSnapshot once = HostSnapshot.scan(paths, () -> ids);
        long owned = once.devices().keySet().stream().filter(a -> once.owner(a) != null).count();
        System.err.println("ScanBench: state dir " + paths.stateDir() + ", " + owned + " listed functions have an owner");
    }

    /** The state dir given, else one made in a temporary directory with {@code assigned} assignments. */
    private Path state() throws IOException {
        String given = System.getProperty("pcipass.bench.state");
        if (given != null && !given.isBlank()) {
            return Path.of(given).toAbsolutePath();
        }
        madeState = Files.createTempDirectory("pcipass-scanbench-state");
        System.err.println(BenchState.make(madeState, sysfs, assigned));
        return madeState;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        delete(madeState);
        delete(generated);
    }

    private static void delete(Path dir) throws IOException {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @Benchmark
    public Map<PciAddress, PciDevice> deviceScan() {
        return new DeviceScanner(new Sysfs(sysfs)).scanDevices(false);
    }

    @Benchmark
    public HostSnapshot snapshot() {
        return HostSnapshot.scan(paths, () -> ids);
    }

    @Benchmark
    public HostSnapshot snapshotLoadingIds() {
        return HostSnapshot.scan(paths, ScanBench::loadIds);
    }

    private static PciIds loadIds() {
        return PciIdsLoader.load(null, w -> { });
    }

    private static Path generator() {
        String named = System.getProperty("pcipass.bench.gen");
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path g = d.resolve("bench/gen-tree.py");
            if (Files.isRegularFile(g)) {
                return g;
            }
        }
        throw new IllegalStateException("bench/gen-tree.py not found above " + Path.of("").toAbsolutePath()
                + "; run from the repository or pass -Dpcipass.bench.gen=FILE");
    }
}
