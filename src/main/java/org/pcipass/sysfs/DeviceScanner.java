package org.pcipass.sysfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.pcipass.pci.IommuGroup;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;

/**
 * Reads every PCI function under {@code bus/pci/devices} and every IOMMU group.
 *
 * <p>Lean by design, as a listing reads thousands of devices (bench/README.md): each attribute is
 * one open, one read and one close relative to the device's directory; links are read only where
 * they can exist; devices are read on all cores. Ids, class and revision come from the attribute
 * files as lspci reads them (an SR-IOV VF's config space says ffff; the kernel fills the attributes
 * from its PF); {@code config} gives only the header type, one byte of it, and is not read at all
 * for an SR-IOV VF (always type 0) or a runtime-suspended device (the read would wake it).
 */
public final class DeviceScanner {
    private static final String DEVICES = "bus/pci/devices/";
    private static final int ENDPOINT = 0;
    private static final int PCI_BRIDGE = 1;
    private static final int CARDBUS_BRIDGE = 2;
    /** Devices a scan thread takes at a time: small enough to end together, large enough to share one counter. */
    private static final int CHUNK = 16;

    private final Sysfs sys;
    private final Map<String, String> moduleOfDriver = new ConcurrentHashMap<>();

    public DeviceScanner(Sysfs sys) {
        this.sys = sys;
    }

    /**
     * Every PCI function, by address. Entries whose names are not PCI addresses are skipped.
     *
     * @param details also read what only {@code show} prints (reset methods, PCIe link, SR-IOV
     *     capacity): four to six more files per device, which a listing of thousands does not need
     */
    public TreeMap<PciAddress, PciDevice> scanDevices(boolean details) {
        String[] names = sys.list(DEVICES);
        PciDevice[] found = new PciDevice[names.length];
        onAllCores(names.length, i -> {
            PciAddress a = PciAddress.ofSysfsName(names[i]);
            if (a != null) {
                try (Sysfs.Dir d = sys.dir(DEVICES + names[i])) {
                    found[i] = scanOne(a, names[i], d, details, false);
                }
            }
        });
        TreeMap<PciAddress, PciDevice> byAddress = new TreeMap<>();
        Map<PciAddress, List<PciAddress>> vfsOf = new java.util.HashMap<>();
        for (PciDevice d : found) {
            if (d == null) {
                continue;
            }
            byAddress.put(d.address(), d);
            if (d.physfn() != null) {
                vfsOf.computeIfAbsent(d.physfn(), k -> new ArrayList<>()).add(d.address());
            }
        }
        for (PciDevice d : found) {
            if (d != null && d.enabledVfs() > 0) {
                byAddress.put(d.address(), d.withVirtfns(virtfns(d, vfsOf.get(d.address()))));
            }
        }
        return byAddress;
    }

    /**
     * Runs {@code work} for 0..n-1 on this thread and the common pool's, each taking the next few
     * indexes as it gets free. A parallel stream splits the array into a few large fixed parts
     * instead (a quarter of it each on two cores), and devices cost unevenly (a VF reads seven
     * files, a PF or a bridge up to ten): one thread was left finishing its part alone.
     */
    private static void onAllCores(int n, java.util.function.IntConsumer work) {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable worker = () -> {
            for (int start; (start = next.getAndAdd(CHUNK)) < n; ) {
                for (int i = start, end = Math.min(n, start + CHUNK); i < end; i++) {
                    work.accept(i);
                }
            }
        };
        int helpers = n <= CHUNK ? 0 : java.util.concurrent.ForkJoinPool.getCommonPoolParallelism();
        java.util.concurrent.ForkJoinTask<?>[] tasks = new java.util.concurrent.ForkJoinTask<?>[helpers];
        for (int h = 0; h < helpers; h++) {
            tasks[h] = java.util.concurrent.ForkJoinPool.commonPool().submit(worker);
        }
        worker.run();
        for (java.util.concurrent.ForkJoinTask<?> t : tasks) {
            t.join(); // a helper that never started runs here and finds nothing left
        }
    }

    /**
     * A PF's VFs from the VFs' own {@code physfn} links, read anyway: thousands of {@code virtfnN}
     * readlinks fewer. Both links are made together by the kernel and a VF's address grows with its
     * index (routing ID = PF + offset + index × stride), so address order is virtfn order. Only when
     * the count disagrees with {@code sriov_numvfs} (a tree with one kind of link missing) are the
     * PF's own {@code virtfnN} links read.
     */
    private List<PciAddress> virtfns(PciDevice pf, List<PciAddress> pointingHere) {
        if (pointingHere != null && pointingHere.size() == pf.sriov().numVfs()) {
            List<PciAddress> sorted = new ArrayList<>(pointingHere);
            sorted.sort(null);
            return sorted;
        }
        return readVirtfns(DEVICES + pf.address() + "/", pf.sriov().numVfs());
    }

    /**
     * The PF's {@code virtfn0..N-1} links, in address order as a listing gives them. The kernel makes
     * them without gaps, so the first missing one ends the list: a garbled {@code sriov_numvfs}
     * (999999999) costs one failed readlink, not a billion.
     */
    private List<PciAddress> readVirtfns(String dir, Integer numVfs) {
        List<PciAddress> virtfns = new ArrayList<>();
        for (int i = 0; numVfs != null && i < numVfs; i++) {
            String target = sys.linkName(dir + "virtfn" + i);
            if (target == null) {
                break;
            }
            PciAddress vf = addressOrNull(target);
            if (vf != null) {
                virtfns.add(vf);
            }
        }
        virtfns.sort(null);
        return virtfns;
    }

    /**
     * The IOMMU groups, from each device's {@code iommu_group} link: the same membership as
     * {@code kernel/iommu_groups/N/devices}, without listing thousands of directories again.
     */
    public static TreeMap<Integer, IommuGroup> groupsOf(Map<PciAddress, PciDevice> devices) {
        Map<Integer, List<PciAddress>> members = new java.util.HashMap<>();
        for (PciDevice d : devices.values()) {
            Integer g = d.iommuGroup();
            if (g != null) {
                List<PciAddress> list = members.get(g);
                if (list == null) {
                    list = new ArrayList<>(2);
                    members.put(g, list);
                }
                list.add(d.address());
            }
        }
        TreeMap<Integer, IommuGroup> groups = new TreeMap<>();
        for (Map.Entry<Integer, List<PciAddress>> e : members.entrySet()) {
            groups.put(e.getKey(), new IommuGroup(e.getKey(), e.getValue()));
        }
        return groups;
    }

    /** Re-reads one device with every detail. */
    public PciDevice scanDevice(PciAddress address) {
        String name = address.toString();
        try (Sysfs.Dir d = sys.dir(DEVICES + name)) {
            return scanOne(address, name, d, true, true);
        }
    }

    /*
     * No directory listing: listing a device directory costs more than the few failed opens and
     * readlinks of the attributes a device may lack (driver, iommu_group, physfn, sriov_numvfs).
     * Attribute files are opened relative to the device's directory {@code d}, held open (openat): the
     * path to it is walked once per device instead of once per file (links — driver, physfn,
     * iommu_group, virtfnN — are still read by path: Java has no readlinkat).
     */
    PciDevice scanOne(PciAddress address, String name, Sysfs.Dir d, boolean details, boolean withVirtfns) {
        String dir = DEVICES + name + "/";
        String driver = d.linkName("driver");
        Integer group = parseIntOrNull(d.linkName("iommu_group"));
        Integer cls = d.readHex("class");
        // a bridge is never an SR-IOV VF: no failed readlink (and exception) for each bridge
        PciAddress physfn = headerTypeOfClass(cls) != null ? null : addressOrNull(d.linkName("physfn"));
        // a VF's configuration header is type 0 (PCIe SR-IOV): neither config nor power/runtime_status to read
        Integer headerType = physfn != null ? Integer.valueOf(ENDPOINT) : headerType(d, cls);
        // only an endpoint that is no VF can be an SR-IOV PF: skip thousands of failed opens on VFs and bridges
        Integer numVfs = physfn == null && (headerType == null || headerType == 0) ? d.readInt("sriov_numvfs") : null;
        // a listing fills the VFs in afterwards (scanDevices), from the VFs' physfn links
        List<PciAddress> virtfns = withVirtfns ? readVirtfns(dir, numVfs) : List.of();
        Integer numa = d.readInt("numa_node");
        return new PciDevice(
                address,
                details ? sysfsPath(name) : null,
                d.readHex("vendor"),
                d.readHex("device"),
                d.readHex("subsystem_vendor"),
                d.readHex("subsystem_device"),
                cls,
                d.readHex("revision"),
                headerType,
                driver,
                driver == null ? null : emptyToNull(moduleOfDriver.computeIfAbsent(driver, this::moduleOf)),
                group,
                numa == null || numa < 0 ? null : numa,
                physfn,
                virtfns,
                numVfs == null ? null : new PciDevice.Sriov(details ? d.readInt("sriov_totalvfs") : null, numVfs),
                details ? resetMethods(d.read("reset_method")) : null,
                details ? link(d) : null,
                cls != null && cls >>> 8 == 0x0300 && "1".equals(d.read("boot_vga")));
    }

    private String sysfsPath(String name) {
        String target = sys.readlink(DEVICES + name);
        if (target == null) {
            return null;
        }
        int i = target.indexOf("devices/");
        return i < 0 ? null : target.substring(i);
    }

    /**
     * The header type's low seven bits (bit 7 marks a multi-function device), or null when unreadable.
     * A runtime-suspended device's {@code config} is not read: the kernel resumes a device (and the
     * bridges above it) for every config read, which takes a GPU out of D3cold. Its class stands in
     * for the header then. ({@code power/runtime_status} is itself read without waking anything.)
     */
    private static Integer headerType(Sysfs.Dir d, Integer cls) {
        if (asleep(d.read("power/runtime_status"))) {
            return headerTypeOfClass(cls);
        }
        int byteAt0e = d.readByteAt("config", 0x0e);
        return byteAt0e < 0 ? null : byteAt0e & 0x7f;
    }

    /** {@code suspending} too: a read then waits for the suspend to finish and resumes the device at once. */
    private static boolean asleep(String runtimeStatus) {
        return "suspended".equals(runtimeStatus) || "suspending".equals(runtimeStatus);
    }

    /**
     * The header type a bridge class stands for, as {@link PciDevice#isPciBridge} reads it when
     * {@code config} is unreadable: 0604 PCI-to-PCI bridge, type 1 (the kernel resets the class of an
     * endpoint header claiming 0604); 0607 CardBus bridge, type 2. Null for any other class, which
     * says nothing certain about the header.
     */
    private static Integer headerTypeOfClass(Integer cls) {
        if (cls == null) {
            return null;
        }
        int c = cls >>> 8;
        return c == 0x0604 ? Integer.valueOf(PCI_BRIDGE) : c == 0x0607 ? Integer.valueOf(CARDBUS_BRIDGE) : null;
    }

    private static List<String> resetMethods(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
    }

    private static PciDevice.Link link(Sysfs.Dir d) {
        String speed = d.read("current_link_speed");
        String maxSpeed = d.read("max_link_speed");
        if (speed == null && maxSpeed == null) {
            return null;
        }
        return new PciDevice.Link(speed, d.readInt("current_link_width"), maxSpeed, d.readInt("max_link_width"));
    }

    /**
     * The module behind a driver, or "" when it is built in: {@code drivers/X/module} links to
     * {@code module/M}, and only a loadable module has {@code module/M/initstate}.
     */
    private String moduleOf(String driver) {
        String m = sys.linkName("bus/pci/drivers/" + driver + "/module");
        return m != null && sys.exists("module/" + m + "/initstate") ? m : "";
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static PciAddress addressOrNull(String name) {
        return name == null ? null : PciAddress.ofSysfsName(name);
    }

    static Integer parseIntOrNull(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
