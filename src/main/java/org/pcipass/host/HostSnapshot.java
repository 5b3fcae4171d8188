package org.pcipass.host;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.pcipass.PcipassException;
import org.pcipass.pci.IommuGroup;
import org.pcipass.pci.PciAddress;
import org.pcipass.store.Owners;
import org.pcipass.pci.PciDevice;
import org.pcipass.pci.PciIds;
import org.pcipass.sysfs.DeviceScanner;
import org.pcipass.sysfs.Sysfs;
import org.pcipass.sysfs.Usage;
import org.pcipass.sysfs.UsageScanner;

/**
 * Everything pcipass knows about the host at one moment: devices, IOMMU groups, who uses what,
 * the hypervisor, names, and each device's verdict. Every read-only view and every plan starts
 * from one of these.
 */
public final class HostSnapshot {
    private final HostPaths paths;
    private final Sysfs sys;
    private final Sysfs root;
    private final TreeMap<PciAddress, PciDevice> devices;
    private final TreeMap<Integer, IommuGroup> groups;
    private final Map<PciAddress, List<Usage>> usage;
    private final Hypervisor hypervisor;
    private final PciIds ids;
    private final Map<PciAddress, Assessment> assessments;
    private final List<String> unplacedNetworkMounts;
    private final Map<PciAddress, Owners.Owner> owners;

    private HostSnapshot(HostPaths paths, Sysfs sys, Sysfs root, TreeMap<PciAddress, PciDevice> devices,
            TreeMap<Integer, IommuGroup> groups, Map<PciAddress, List<Usage>> usage, List<String> unplacedNetworkMounts,
            Hypervisor hypervisor, Map<PciAddress, Owners.Owner> owners, PciIds ids) {
        this.paths = paths;
        this.sys = sys;
        this.root = root;
        this.devices = devices;
        this.groups = groups;
        this.usage = usage;
        this.unplacedNetworkMounts = List.copyOf(unplacedNetworkMounts);
        this.hypervisor = hypervisor;
        this.ids = ids;
        this.owners = owners;
        this.assessments = new Assessor(this).assessAll();
    }

    /**
     * Scans the host. The names database loads on its own thread while sysfs is read.
     *
     * @throws PcipassException.BadInput when {@code --sysfs} is not a sysfs tree
     */
    public static HostSnapshot scan(HostPaths paths, Supplier<PciIds> idsLoader) {
        return scan(paths, idsLoader, false);
    }

    /** @param details read every attribute {@code show} prints, not just what a listing needs */
    public static HostSnapshot scan(HostPaths paths, Supplier<PciIds> idsLoader, boolean details) {
        requireSysfsTree(paths);
        CompletableFuture<PciIds> ids = new CompletableFuture<>();
        Thread loader = new Thread(() -> {
            try {
                ids.complete(idsLoader.get());
            } catch (RuntimeException | Error e) {
                ids.completeExceptionally(e);
            }
        }, "pci.ids");
        loader.setDaemon(true);
        loader.start();
        Sysfs sys = new Sysfs(paths.sysfs());
        Sysfs root = new Sysfs(paths.configRoot());
        DeviceScanner scanner = new DeviceScanner(sys);
        TreeMap<PciAddress, PciDevice> devices = scanner.scanDevices(details);
        TreeMap<Integer, IommuGroup> groups = DeviceScanner.groupsOf(devices);
        UsageScanner usageScanner = new UsageScanner(sys, root);
        Map<PciAddress, List<Usage>> usage = usageScanner.scan();
        Hypervisor hv = Hypervisor.detect(sys, root);
        // one small file, read while pci.ids may still be loading (a small host waits for it): list never opens the store
        Map<PciAddress, Owners.Owner> owners = Owners.read(paths.stateDir());
        return new HostSnapshot(paths, sys, root, devices, groups, usage, usageScanner.unplaced(), hv, owners, join(ids));
    }

    private static PciIds join(CompletableFuture<PciIds> ids) {
        try {
            return ids.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PcipassException("interrupted while loading pci.ids", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new PcipassException("cannot load pci.ids: " + e.getCause(), e.getCause());
        }
    }

    private static void requireSysfsTree(HostPaths paths) {
        if (!Files.isDirectory(paths.sysfs().resolve("bus/pci/devices"))) {
            throw new PcipassException.BadInput("--sysfs " + paths.sysfs()
                    + " is not a sysfs tree (it has no bus/pci/devices); point --sysfs at /sys or a copy of it");
        }
    }

    public HostPaths paths() {
        return paths;
    }

    public Sysfs sysfs() {
        return sys;
    }

    public Sysfs configRoot() {
        return root;
    }

    public Map<PciAddress, PciDevice> devices() {
        return devices;
    }

    public Map<Integer, IommuGroup> groups() {
        return groups;
    }

    public Hypervisor hypervisor() {
        return hypervisor;
    }

    public PciIds ids() {
        return ids;
    }

    /** An IOMMU is active when the kernel made IOMMU groups (never in a Xen dom0). */
    public boolean iommuActive() {
        return !groups.isEmpty();
    }

    /** Who owns the device (pcipass's assignment, or another tool's as last seen), or null. */
    public Owners.Owner owner(PciAddress address) {
        return owners.get(address);
    }

    /** The device at this address. */
    public PciDevice device(PciAddress address) {
        PciDevice d = devices.get(address);
        if (d == null) {
            throw new PcipassException.BadInput("no PCI device " + address + " under " + paths.sysfs()
                    + "; run 'pcipass list' to see the addresses");
        }
        return d;
    }

    /** The device with every detail {@code show} prints, read again from sysfs. */
    public PciDevice deviceInFull(PciAddress address) {
        device(address);
        PciDevice d = new DeviceScanner(sys).scanDevice(address);
        return d;
    }

    /** System filesystems on the network whose server leads to no PCI NIC pcipass can name (for check). */
    public List<String> unplacedNetworkMounts() {
        return unplacedNetworkMounts;
    }

    public List<Usage> usage(PciAddress address) {
        return usage.getOrDefault(address, List.of());
    }

    public Assessment assessment(PciAddress address) {
        return assessments.get(address);
    }

    /** The group's members, or just the device when it has no group. */
    public List<PciAddress> groupMembers(PciDevice d) {
        IommuGroup g = d.iommuGroup() == null ? null : groups.get(d.iommuGroup());
        return g == null ? List.of(d.address()) : g.members();
    }

    /** Whether a group member keeps the group from being given to a guest now (REFERENCE.md). */
    public boolean blocksViability(PciAddress member) {
        PciDevice m = devices.get(member);
        if (m == null) {
            return false;
        }
        String drv = m.driver();
        return !(m.isPciBridge() || drv == null || drv.equals("vfio-pci") || drv.equals("pci-stub"));
    }

    /** Name helpers: exactly the pci.ids text, or null. */
    public String vendorName(PciDevice d) {
        return d.vendorId() == null ? null : ids.vendorName(d.vendorId());
    }

    public String deviceName(PciDevice d) {
        return d.vendorId() == null || d.deviceId() == null ? null : ids.deviceName(d.vendorId(), d.deviceId());
    }

    public String className(PciDevice d) {
        return d.classCode() == null ? null : ids.className(d.classCode());
    }

    /** Host-critical reasons from usage, boot VGA and enabled VFs, without looking at the group. */
    List<String> criticalReasons(PciDevice d) {
        List<String> out = new ArrayList<>();
        if (d.bootVga()) {
            out.add("is the boot VGA console (boot_vga=1)");
        }
        for (Usage u : usage(d.address())) {
            if (u.isCritical() && !out.contains(u.critical())) {
                out.add(u.critical());
            }
        }
        if (d.enabledVfs() > 0) {
            out.add(vfsDependOn(d));
        }
        return out;
    }

    /**
     * Unbinding a PF takes its VFs from whoever uses them (a host interface, a guest): vfio-pci refuses
     * such a PF (EBUSY), and pciback or pci-stub would take it with the VFs left stranded.
     */
    private static String vfsDependOn(PciDevice d) {
        int n = d.enabledVfs();
        return n + (n == 1 ? " SR-IOV VF depends on it (disable it" : " SR-IOV VFs depend on it (disable them")
                + " first: echo 0 > /sys/bus/pci/devices/" + d.address() + "/sriov_numvfs)";
    }
}
