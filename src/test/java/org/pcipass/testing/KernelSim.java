package org.pcipass.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.pcipass.host.CommandRunner;
import org.pcipass.sysfs.KernelWriter;
import org.pcipass.testing.KernelSimState.Fault;

/**
 * The kernel simulator: a {@link KernelWriter} and {@link CommandRunner} (modprobe) that make a
 * {@link FakeHost} tree behave as the Linux driver core does (REFERENCE.md "Binding", "IOMMU
 * groups", "Xen pciback"): driver_override, bind, unbind, drivers_probe, new_id/remove_id,
 * pciback's new_slot/remove_slot, vfio-pci's {@code /dev/vfio/N}, and the kernel's errnos.
 * It stands in for a boundary the test machine cannot offer: tests must never write the real
 * {@code /sys}, and this class refuses any path outside its tree.
 *
 * <p>All state is on disk: the tree itself, and what the kernel keeps in memory (id tables,
 * registration order, injected faults, logs) in {@link #simDir(Path) SIM} = {@code sysfs/../sim}
 * (layout in {@link KernelSimState}). A KernelSim built later, or in another process, on the same
 * directories sees the same kernel. Each write or command is atomic under a file lock.
 *
 * <pre>
 * FakeHost host = HostTrees.kvmWorkstation(tmp);
 * KernelSim sim = new KernelSim(host.sysfs(), host.configRoot());
 * sim.injectBindError("vfio-pci", "0000:06:01.0", "EIO");
 * Main.run(argv, new Context(out, err, env, sim, sim));
 * </pre>
 */
public final class KernelSim implements KernelWriter, CommandRunner {
    /** A vendor:device pair; prints and parses as {@code 8086:10fb} (also {@code "8086 10fb"}). */
    public record PciId(int vendor, int device) {
        public static PciId parse(String s) {
            String[] f = s.strip().split("[: ]+");
            return new PciId(Integer.parseInt(f[0], 16), Integer.parseInt(f[1], 16));
        }

        @Override
        public String toString() {
            return String.format("%04x:%04x", vendor, device);
        }
    }

    /** One write the simulator saw: the path relative to the sysfs root as written, the value, errno name or null. */
    public record Write(String path, String value, String error) {
    }

    /** Thrown (in-process) where a {@link #crashAfterWrite} fault kills the process; an Error, so nothing catches it. */
    public static final class SimulatedCrash extends Error {
        public SimulatedCrash(String path) {
            super("simulated crash after writing " + path);
        }
    }

    private final Path sysfs;
    private final Path configRoot;
    private final KernelSimState state;
    private final KernelSimTree tree;
    private final KernelSimCore core;
    private final KernelSimModprobe modprobe;
    private final KernelSimWrites writes;

    /** A simulator on {@code sysfs} ({@code --sysfs}) and {@code configRoot} ({@code --config-root}). */
    public KernelSim(Path sysfs, Path configRoot) {
        this.sysfs = sysfs.toAbsolutePath().normalize();
        this.configRoot = configRoot.toAbsolutePath().normalize();
        try {
            Path realSys = this.sysfs.toRealPath();
            Path realRoot = Files.exists(this.configRoot) ? this.configRoot.toRealPath() : this.configRoot;
            if (realSys.startsWith(Path.of("/sys")) || realSys.getParent() == null) {
                throw new IllegalArgumentException("KernelSim refuses the real sysfs " + realSys);
            }
            this.state = new KernelSimState(simDir(this.sysfs));
            this.tree = new KernelSimTree(realSys, realRoot);
            this.core = new KernelSimCore(tree, state);
            this.modprobe = new KernelSimModprobe(tree, core, state);
            this.writes = new KernelSimWrites(this.sysfs, tree, core, state);
            state.locked(() -> {
                if (!state.initialized()) {
                    state.setOrder(state.order(tree.registeredDrivers()));
                    state.initIds(tree.initialIdLines());
                }
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the kernel's in-memory state lives: {@code sysfs/../sim}. */
    public static Path simDir(Path sysfs) {
        return sysfs.toAbsolutePath().normalize().resolveSibling("sim");
    }

    public Path sysfs() {
        return sysfs;
    }

    public Path configRoot() {
        return configRoot;
    }

    public Path simDir() {
        return state.dir();
    }

    // ---- KernelWriter -----------------------------------------------------------------------

    /**
     * Writes as the kernel answers: the path (absolute, under the sysfs root, possibly through
     * links such as {@code devices/A/driver/unbind}) names an attribute; a missing one throws
     * FileNotFoundException ("… (No such file or directory)"), a refusal an IOException whose
     * message is the strerror text. A path outside the tree is refused (IllegalArgumentException).
     */
    @Override
    public void write(Path file, String value) throws IOException {
        writes.write(file, value);
    }

    // ---- CommandRunner ----------------------------------------------------------------------

    /** Plays {@code modprobe} (any path ending in /modprobe); every other command exits 127. Logs each. */
    @Override
    public Result run(List<String> argv) {
        try {
            return locked(() -> {
                state.logCommand(argv);
                if (!argv.isEmpty() && available(argv.get(0))) {
                    return modprobe.run(argv);
                }
                return new Result(127, "", (argv.isEmpty() ? "" : argv.get(0)) + ": command not found\n");
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True only for modprobe. */
    @Override
    public boolean available(String program) {
        return Path.of(program).getFileName().toString().equals("modprobe");
    }

    // ---- test API: the kernel's tables and faults ----------------------------------------------

    /** Adds {@code VVVV:DDDD} to {@code driver}'s static id table (e.g. a second driver claiming 10ec:8139). */
    public KernelSim claims(String driver, int vendor, int device) {
        return change(() -> state.addId(driver, new PciId(vendor, device), false));
    }

    /** Sets the registration (= probe) order: these drivers first, in this order, then the others. */
    public KernelSim probeOrder(List<String> drivers) {
        return change(() -> {
            List<String> rest = state.order(tree.registeredDrivers()).stream().filter(d -> !drivers.contains(d)).toList();
            state.setOrder(Stream.concat(drivers.stream(), rest.stream()).toList());
        });
    }

    /** The registered drivers in probe order. */
    public List<String> probeOrder() {
        return read(() -> state.order(tree.registeredDrivers()));
    }

    /** Registers (loads) a driver without modprobe; {@code module} null = built in. Probes unbound devices. */
    public KernelSim registerDriver(String driver, String module) {
        return change(() -> {
            tree.registerDriver(driver, module);
            List<String> order = new ArrayList<>(state.order(tree.registeredDrivers()));
            order.remove(driver);
            order.add(driver);
            state.setOrder(order);
            core.attach(driver);
        });
    }

    /** Every probe of {@code address} by {@code driver} (bind, drivers_probe, new_id, modprobe) fails with errno. */
    public KernelSim injectBindError(String driver, String address, String errno) {
        return fault(new Fault("bind", driver, address, KernelSimErrno.named(errno).name()));
    }

    /** {@code drivers/DRIVER/unbind} ← address fails with errno (after the ENODEV check). */
    public KernelSim injectUnbindError(String driver, String address, String errno) {
        return fault(new Fault("unbind", driver, address, KernelSimErrno.named(errno).name()));
    }

    /** Any write to {@code path} (relative to the sysfs root, as written or as resolved) fails with errno. */
    public KernelSim injectWriteError(String path, String errno) {
        return fault(new Fault("write", null, path, KernelSimErrno.named(errno).name()));
    }

    /**
     * Hot-unplugs device {@code address} (or a VF that {@code sriov_numvfs} removed): its driver
     * lets go, then its directory and every link to it disappear. Any later write naming it gets
     * the kernel's ENOENT (its attributes) or ENODEV (bind, unbind, drivers_probe).
     */
    public KernelSim unplug(String address) {
        return change(() -> {
            Path dir = tree.deviceDir(address);
            if (dir == null) {
                throw new IllegalArgumentException("KernelSim: no device " + address + " to unplug");
            }
            for (String a : tree.addresses()) {           // it and the devices behind it, if a bridge
                Path d = tree.deviceDir(a);
                String driver = d != null && d.startsWith(dir) ? tree.driverOf(a) : null;
                if (driver != null) {
                    core.release(driver, a);
                }
            }
            tree.unplug(address);
        });
    }

    /** Userspace (QEMU) holds the device: vfio-pci's unbind answers EBUSY, {@code modprobe -r} says in use. */
    public KernelSim holdByUserspace(String address) {
        return fault(new Fault("hold", null, address, null));
    }

    public KernelSim releaseByUserspace(String address) {
        return change(() -> state.removeFaults(f -> f.kind().equals("hold") && address.equals(f.target())));
    }

    /** vfio-pci creates {@code /dev/vfio/N} for {@code address} ("*" = any) after {@code delay}; null = never. */
    public KernelSim delayVfioNode(String address, Duration delay) {
        return fault(new Fault("vfio-delay", null, address, Long.toString(delay == null ? -1 : delay.toMillis())));
    }

    /** The process dies right after the kernel handled this write (once): exit 137 under SimMain, else {@link SimulatedCrash}. */
    public KernelSim crashAfterWrite(String path) {
        return fault(new Fault("crash-after", null, path, null));
    }

    /** The next write to {@code path} waits (once) until {@link #resume()}; see {@link #awaitPause}. */
    public KernelSim pauseBeforeWrite(String path) {
        return fault(new Fault("pause-before", null, path, null));
    }

    /** The next write of {@code value} to {@code path} waits (once) until {@link #resume()}. */
    public KernelSim pauseBeforeWrite(String path, String value) {
        return fault(new Fault("pause-before", null, path, value));
    }

    /** Waits until a write is held at a pause fault; returns its path, or null on timeout. */
    public String awaitPause(Duration timeout) {
        Path flag = state.dir().resolve("paused");
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(flag)) {
                try {
                    String path = Fs.read(flag).strip();
                    if (!path.isEmpty()) {
                        return path;
                    }
                } catch (UncheckedIOException raced) {
                    // resumed meanwhile
                }
            }
            KernelSimWrites.sleep(10);
        }
        return null;
    }

    /** Lets a paused write go on. */
    public void resume() {
        change(() -> Files.deleteIfExists(state.dir().resolve("paused")));
    }

    /** Removes every injected fault. */
    public KernelSim clearFaults() {
        return change(() -> state.removeFaults(f -> true));
    }

    // ---- test API: reading the kernel back ----------------------------------------------------

    /** The bound driver of {@code address}, or null. */
    public String driverOf(String address) {
        return read(() -> tree.driverOf(address));
    }

    /** The driver_override of {@code address}, or null when unset. */
    public String driverOverride(String address) {
        return read(() -> tree.override(address));
    }

    /** pciback's slot list. */
    public List<String> pcibackSlots() {
        return read(tree::slots);
    }

    /** A driver's ids: static and dynamic. */
    public Set<PciId> idTable(String driver) {
        return read(() -> state.ids(driver, null));
    }

    /** Every command run through this simulator (in any process), oldest first. */
    public List<List<String>> commandsRun() {
        return read(state::commands);
    }

    /** Every write seen (in any process), oldest first. */
    public List<Write> writes() {
        return read(state::writes);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private interface Change {
        void run() throws IOException;
    }

    private interface Read<T> {
        T get() throws IOException;
    }

    private KernelSim fault(Fault f) {
        return change(() -> state.addFault(f));
    }

    private KernelSim change(Change c) {
        read(() -> {
            c.run();
            return null;
        });
        return this;
    }

    private <T> T read(Read<T> r) {
        try {
            return state.locked(r::get);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private <T> T locked(KernelSimState.IoCall<T> body) throws IOException {
        return state.locked(body);
    }
}
