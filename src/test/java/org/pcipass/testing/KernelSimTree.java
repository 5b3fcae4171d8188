package org.pcipass.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.pcipass.testing.KernelSim.PciId;

/**
 * The on-disk half of the {@link KernelSim kernel simulator}: reads and changes the fake sysfs
 * tree (and {@code dev/vfio} under the config root) the way the kernel's own objects would show
 * there, with relative links as {@link FakeHost} makes them. No policy here: the driver core's
 * rules live in {@link KernelSimCore}. Both roots are real paths (no symlinks above them).
 */
final class KernelSimTree {
    /** A PCI device name as sysfs spells it. */
    static final Pattern ADDRESS = Pattern.compile("[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]");
    /** A driver or module name: one path element. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:+-]+");

    private final Path sys;
    private final Path root;

    KernelSimTree(Path sys, Path root) {
        this.sys = sys;
        this.root = root;
    }

    Path sys() {
        return sys;
    }

    Path root() {
        return root;
    }

    Path driverDir(String driver) {
        return sys.resolve("bus/pci/drivers").resolve(driver);
    }

    Path moduleDir(String module) {
        return sys.resolve("module").resolve(FakeDrivers.sysfsModuleName(module));
    }

    // ---- devices --------------------------------------------------------------------------

    /** The real directory of device {@code a}, or null when there is no such device. */
    Path deviceDir(String a) {
        if (a == null || !ADDRESS.matcher(a).matches()) {
            return null;
        }
        try {
            return sys.resolve("bus/pci/devices").resolve(a).toRealPath();
        } catch (IOException e) {
            return null;
        }
    }

    /** Every device address, sorted. */
    List<String> addresses() {
        return names(sys.resolve("bus/pci/devices")).stream().filter(n -> ADDRESS.matcher(n).matches()).toList();
    }

    PciId id(String a) {
        Path d = deviceDir(a);
        return new PciId(hex(d.resolve("vendor")), hex(d.resolve("device")));
    }

    /** The driver_override, or null when unset ({@code (null)}). */
    String override(String a) {
        String v = Fs.read(deviceDir(a).resolve("driver_override")).strip();
        return v.isEmpty() || v.equals("(null)") ? null : v;
    }

    void override(String a, String name) {
        Fs.write(deviceDir(a).resolve("driver_override"), (name == null ? "(null)" : name) + "\n");
    }

    /** Name of the bound driver (the {@code driver} link's last element), or null. */
    String driverOf(String a) {
        Path d = deviceDir(a);
        Path link = d == null ? null : d.resolve("driver");
        if (link == null || !Files.isSymbolicLink(link)) {
            return null;
        }
        try {
            return Files.readSymbolicLink(link).getFileName().toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The IOMMU group number (from the {@code iommu_group} link), or null without one. */
    Integer iommuGroup(String a) {
        Path link = deviceDir(a).resolve("iommu_group");
        try {
            return Files.isSymbolicLink(link)
                    ? Integer.valueOf(Files.readSymbolicLink(link).getFileName().toString()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 0 endpoint, 1 PCI bridge, 2 CardBus: config byte 0x0e (low 7 bits), else guessed from the class. */
    int headerType(String a) {
        Path d = deviceDir(a);
        try {
            byte[] cfg = Files.readAllBytes(d.resolve("config"));
            if (cfg.length > 0x0e) {
                return cfg[0x0e] & 0x7f;
            }
        } catch (IOException e) {
            // no config: fall through
        }
        int cls = hex(d.resolve("class")) >>> 8;
        return cls == 0x0604 ? 1 : cls == 0x0607 ? 2 : 0;
    }

    /** {@code sriov_numvfs}, 0 when absent. */
    int numVfs(String a) {
        Path f = deviceDir(a).resolve("sriov_numvfs");
        return Files.isRegularFile(f) ? Integer.parseInt(Fs.read(f).strip()) : 0;
    }

    /**
     * Removes device {@code a} as a hot-unplug (or {@code sriov_numvfs} dropping a VF) does: its
     * directory, its {@code bus/pci/devices} link, its IOMMU group and IOMMU links, a PF's
     * {@code virtfnN} link to it, and (its driver released first) the driver's link. Devices
     * below it (behind a bridge) go first. False when there is no such device.
     */
    boolean unplug(String a) {
        Path dir = deviceDir(a);
        if (dir == null) {
            return false;
        }
        for (String child : addresses()) {
            Path c = deviceDir(child);
            if (c != null && !c.equals(dir) && c.startsWith(dir)) {
                unplug(child);
            }
        }
        try {
            Files.deleteIfExists(sys.resolve("bus/pci/devices").resolve(a));
            try (Stream<Path> groups = Files.list(sys.resolve("kernel/iommu_groups"))) {
                for (Path g : groups.toList()) {
                    Files.deleteIfExists(g.resolve("devices").resolve(a));
                }
            } catch (java.nio.file.NoSuchFileException none) {
                // no IOMMU
            }
            try (Stream<Path> iommus = Files.list(sys.resolve("class/iommu"))) {
                for (Path i : iommus.toList()) {
                    Files.deleteIfExists(i.resolve("devices").resolve(a));
                }
            } catch (java.nio.file.NoSuchFileException none) {
                // no IOMMU
            }
            Path physfn = dir.resolve("physfn");
            if (Files.isSymbolicLink(physfn)) {
                Path pf = physfn.toRealPath();
                for (String n : names(pf)) {
                    Path l = pf.resolve(n);
                    if (n.startsWith("virtfn") && Files.isSymbolicLink(l) && l.toRealPath().equals(dir)) {
                        Files.delete(l);
                    }
                }
                long left = names(pf).stream().filter(n -> n.startsWith("virtfn")).count();
                Fs.write(pf.resolve("sriov_numvfs"), left + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        deleteTree(dir);
        return true;
    }

    // ---- drivers --------------------------------------------------------------------------

    boolean registered(String driver) {
        return driver != null && NAME.matcher(driver).matches() && Files.isDirectory(driverDir(driver));
    }

    List<String> registeredDrivers() {
        return names(sys.resolve("bus/pci/drivers")).stream().filter(n -> Files.isDirectory(driverDir(n))).toList();
    }

    /** Addresses bound to {@code driver} (its per-device links). */
    List<String> boundTo(String driver) {
        return names(driverDir(driver)).stream().filter(n -> ADDRESS.matcher(n).matches()).toList();
    }

    /** The module of a driver (its {@code module} link), or null when built in. */
    String moduleOf(String driver) {
        Path link = driverDir(driver).resolve("module");
        try {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Binds in the tree: the device's {@code driver} link, the driver's link, the module's refcnt. */
    void link(String a, String driver) {
        Path dev = deviceDir(a);
        Fs.link(dev.resolve("driver"), driverDir(driver));
        Fs.link(driverDir(driver).resolve(a), dev);
        refcnt(driver, +1);
    }

    /** Unbinds in the tree: removes both links and drops the module's refcnt. */
    void unlink(String a, String driver) {
        try {
            Files.deleteIfExists(deviceDir(a).resolve("driver"));
            Files.deleteIfExists(driverDir(driver).resolve(a));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        refcnt(driver, -1);
    }

    private void refcnt(String driver, int delta) {
        String m = moduleOf(driver);
        Path f = m == null ? null : moduleDir(m).resolve("refcnt");
        if (f != null && Files.isRegularFile(f)) {
            Fs.write(f, Math.max(0, Integer.parseInt(Fs.read(f).strip()) + delta) + "\n");
        }
    }

    /**
     * Creates {@code drivers/NAME} as a loaded driver does (as {@link FakeDrivers#register} lays
     * it out); {@code module} null means built in. Idempotent.
     */
    void registerDriver(String driver, String module) {
        if (!NAME.matcher(driver).matches()) {
            throw new IllegalArgumentException("not a driver name: " + driver);
        }
        Path d = driverDir(driver);
        for (String f : new String[] {"bind", "unbind", "new_id", "remove_id", "uevent"}) {
            Fs.touch(d.resolve(f));
        }
        if (driver.equals("pciback")) {
            for (String f : new String[] {"new_slot", "remove_slot", "slots", "permissive", "quirks", "irq_handlers"}) {
                Fs.touch(d.resolve(f));
            }
        }
        if (module != null) {
            Path m = loadModule(module);
            Fs.link(d.resolve("module"), m);
            Fs.link(m.resolve("drivers").resolve("pci:" + driver), d);
        }
    }

    /** Removes {@code drivers/NAME} (its links, not what they point at). */
    void unregisterDriver(String driver) {
        deleteTree(driverDir(driver));
    }

    /** {@code module/M} with {@code initstate} live (a loaded module); returns its directory. */
    Path loadModule(String module) {
        Path m = moduleDir(module);
        Fs.write(m.resolve("initstate"), "live\n");
        if (!Files.exists(m.resolve("refcnt"))) {
            Fs.write(m.resolve("refcnt"), "0\n");
        }
        Fs.write(m.resolve("coresize"), "53248\n");
        Fs.mkdirs(m.resolve("holders"));
        return m;
    }

    /** True when {@code module/M/initstate} says live. */
    boolean moduleLive(String module) {
        Path f = moduleDir(module).resolve("initstate");
        return Files.isRegularFile(f) && Fs.read(f).strip().equals("live");
    }

    void unloadModule(String module) {
        deleteTree(moduleDir(module));
    }

    // ---- pciback --------------------------------------------------------------------------

    /** pciback's slot list ({@code drivers/pciback/slots}), empty when pciback is not loaded. */
    List<String> slots() {
        Path f = driverDir("pciback").resolve("slots");
        return Files.isRegularFile(f) ? Fs.read(f).lines().filter(l -> !l.isBlank()).map(String::strip).toList()
                : List.of();
    }

    void slots(List<String> slots) {
        StringBuilder sb = new StringBuilder();
        slots.forEach(s -> sb.append(s).append('\n'));
        Fs.write(driverDir("pciback").resolve("slots"), sb.toString());
    }

    // ---- /dev/vfio ------------------------------------------------------------------------

    Path vfioNode(int group) {
        return root.resolve("dev/vfio").resolve(Integer.toString(group));
    }

    /**
     * Whether a directory is on the machine's own /dev (its devtmpfs), compared by file system: a
     * temporary tree on /dev/shm (./test puts the unit tests' there) is under /dev but not on it.
     */
    private static boolean underRealDev(Path real) throws IOException {
        return real.startsWith(Path.of("/dev")) && Files.getFileStore(real).equals(Files.getFileStore(Path.of("/dev")));
    }

    /** Creates or removes {@code CONFIGROOT/dev/vfio/N} (and creates {@code dev/vfio/vfio}). */
    void vfioNode(int group, boolean present) {
        try {
            Path dev = root.resolve("dev");
            if (Files.exists(dev) && underRealDev(dev.toRealPath())) {
                return;                       // a config root whose dev links to the real /dev: never touch it
            }
            if (present) {
                Fs.touch(root.resolve("dev/vfio/vfio"));
                Fs.touch(vfioNode(group));
            } else {
                Files.deleteIfExists(vfioNode(group));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    /** The file's {@code 0x…} hex value. */
    static int hex(Path f) {
        String s = Fs.read(f).strip();
        return Integer.parseInt(s.startsWith("0x") ? s.substring(2) : s, 16);
    }

    /** Names in a directory, sorted; empty when it is missing. */
    static List<String> names(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory tree without following links. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The stub drivers: no static ids, they get devices by override, slots or ids= only. */
    static final Set<String> STUBS = Set.of("vfio-pci", "pci-stub", "pciback");

    /** Static id tables as the tree shows them: each non-stub driver claims the ids of its bound devices. */
    List<String> initialIdLines() {
        List<String> lines = new ArrayList<>();
        for (String a : addresses()) {
            String d = driverOf(a);
            if (d != null && !STUBS.contains(d)) {
                String line = d + " " + id(a);
                if (!lines.contains(line)) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }
}
