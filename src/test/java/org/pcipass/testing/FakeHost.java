package org.pcipass.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * A fake Linux host in a directory: {@code DIR/sys} is a sysfs tree (pass it as {@code --sysfs};
 * real {@code lspci -O sysfs.path=DIR/sys/bus/pci} reads it) and {@code DIR/root} a fake
 * {@code /} (pass it as {@code --config-root}).
 *
 * <pre>
 * FakeHost host = FakeHost.create(tmp).kvm().withIommu();
 * PciDev rp = host.pci("0000:00:1c.0").ids(0x8086, 0xa33c).pciClass(0x060400).headerType(1)
 *         .buses(1, 1).builtinDriver("pcieport", "pcieport").iommuGroup(3).build();
 * PciDev nic = host.pci("0000:01:00.0").parent(rp).ids(0x8086, 0x10d3).pciClass(0x020000)
 *         .driver("e1000e", "e1000e").iommuGroup(4).build();
 * host.usage().nic(nic, "enp1s0");
 * </pre>
 *
 * Directories that a real kernel always has exist from the start, empty:
 * {@code kernel/iommu_groups}, {@code class/iommu}, {@code bus/pci/slots} — an IOMMU shows as
 * entries in them, not as their presence.
 */
public final class FakeHost {
    /** Kernel release used when none is given (Debian 12). */
    public static final String DEFAULT_RELEASE = "6.1.0-26-amd64";

    private final Path dir;
    private final Path sys;
    private final Path root;
    private final String release;
    private final Map<String, PciDev> devices = new TreeMap<>();
    private final FakeDrivers drivers;
    private final FakeRoot rootfs;
    private final FakeUsage usage;
    private boolean iommu;

    private FakeHost(Path dir, String release) {
        this.dir = dir.toAbsolutePath().normalize();
        this.sys = this.dir.resolve("sys");
        this.root = this.dir.resolve("root");
        this.release = release;
        for (String d : new String[] {"bus/pci/devices", "bus/pci/drivers", "bus/pci/slots", "bus/virtio/devices",
            "bus/virtio/drivers", "devices/virtual/net", "devices/virtual/block", "class/net", "class/block",
            "class/graphics", "class/drm", "class/iommu", "class/scsi_host", "class/nvme", "dev/block", "dev/char",
            "kernel/iommu_groups", "module", "firmware"}) {
            Fs.mkdirs(sys.resolve(d));
        }
        Fs.touch(sys.resolve("bus/pci/drivers_probe"));
        Fs.write(sys.resolve("bus/pci/drivers_autoprobe"), "1\n");
        Fs.touch(sys.resolve("bus/pci/rescan"));
        Fs.touch(sys.resolve("bus/pci/resource_alignment"));
        this.rootfs = new FakeRoot(root, release);
        this.drivers = new FakeDrivers(this);
        this.usage = new FakeUsage(this);
    }

    /** Creates {@code dir/sys} and {@code dir/root} for kernel {@link #DEFAULT_RELEASE}. */
    public static FakeHost create(Path dir) {
        return create(dir, DEFAULT_RELEASE);
    }

    /** Creates {@code dir/sys} and {@code dir/root} for the given kernel release. */
    public static FakeHost create(Path dir, String kernelRelease) {
        return new FakeHost(dir, kernelRelease);
    }

    /** The directory holding both trees. */
    public Path dir() {
        return dir;
    }

    /** The sysfs root ({@code --sysfs}). */
    public Path sysfs() {
        return sys;
    }

    /** {@code sysfs()/bus/pci}: the value for lspci's {@code -O sysfs.path=}. */
    public Path lspciPath() {
        return sys.resolve("bus/pci");
    }

    /** The fake {@code /} ({@code --config-root}). */
    public Path configRoot() {
        return root;
    }

    public String kernelRelease() {
        return release;
    }

    public FakeRoot rootfs() {
        return rootfs;
    }

    public FakeUsage usage() {
        return usage;
    }

    public FakeDrivers drivers() {
        return drivers;
    }

    /** Starts a device; finish with {@link PciDev.Builder#build()}. */
    public PciDev.Builder pci(String address) {
        if (devices.containsKey(address)) {
            throw new IllegalStateException("duplicate device " + address);
        }
        return new PciDev.Builder(this, address);
    }

    public PciDev device(String address) {
        PciDev d = devices.get(address);
        if (d == null) {
            throw new NoSuchElementException(address);
        }
        return d;
    }

    /** All devices, sorted by address. */
    public Collection<PciDev> devices() {
        return Collections.unmodifiableCollection(devices.values());
    }

    /** All addresses, sorted. */
    public List<String> addresses() {
        return new ArrayList<>(devices.keySet());
    }

    /** Registers a driver without binding anything: modular when {@code module} is non-null. */
    public FakeHost driver(String name, String module) {
        drivers.register(name, module == null ? name : module, module == null);
        return this;
    }

    /** Registers a built-in driver of module {@code module}. */
    public FakeHost builtinDriver(String name, String module) {
        drivers.register(name, module, true);
        return this;
    }

    /**
     * An Intel IOMMU: {@code devices/virtual/iommu/dmar0} and {@code class/iommu/dmar0}; devices
     * may then get {@code iommuGroup(N)}.
     */
    public FakeHost withIommu() {
        iommu = true;
        Path dmar = sys.resolve("devices/virtual/iommu/dmar0");
        Fs.write(dmar.resolve("intel-iommu/version"), "1:0\n");
        Fs.write(dmar.resolve("intel-iommu/cap"), "d2008c40660462\n");
        Fs.write(dmar.resolve("intel-iommu/ecap"), "f050da\n");
        Fs.mkdirs(dmar.resolve("devices"));
        Fs.link(sys.resolve("class/iommu/dmar0"), dmar);
        return this;
    }

    public boolean hasIommu() {
        return iommu;
    }

    /** A KVM host: {@code root/dev/kvm}, a cpuinfo with vmx. */
    public FakeHost kvm() {
        rootfs.kvmDevice();
        Fs.mkdirs(sys.resolve("module/kvm"));
        Fs.write(sys.resolve("module/kvm_intel/initstate"), "live\n");
        rootfs.cpuinfo("GenuineIntel", "vmx");
        return this;
    }

    /** A Xen dom0: {@code sys/hypervisor/type} = xen, {@code root/proc/xen/capabilities} = control_d. */
    public FakeHost xenDom0() {
        Fs.write(sys.resolve("hypervisor/type"), "xen\n");
        Fs.write(sys.resolve("hypervisor/uuid"), "00000000-0000-0000-0000-000000000000\n");
        Fs.write(sys.resolve("hypervisor/version/major"), "4\n");
        Fs.write(sys.resolve("hypervisor/version/minor"), "17\n");
        Fs.write(sys.resolve("hypervisor/version/extra"), ".3\n");
        rootfs.xenCapabilities("control_d");
        rootfs.cpuinfo("GenuineIntel", null);   // dom0 is PV: no vmx flag visible
        return this;
    }

    /** {@code sys/devices/pciDDDD:BB}: the host bridge's directory for a root bus. */
    Path domainDir(int domain, int bus) {
        Path d = sys.resolve("devices").resolve(String.format("pci%04x:%02x", domain, bus));
        Fs.touch(d.resolve("uevent"));
        Fs.mkdirs(d.resolve("power"));
        Fs.mkdirs(d.resolve("pci_bus").resolve(String.format("%04x:%02x", domain, bus)));
        return d;
    }

    void register(PciDev dev) {
        devices.put(dev.address(), dev);
        Fs.link(sys.resolve("bus/pci/devices").resolve(dev.address()), dev.dir());
    }

    void addToGroup(PciDev dev, int group) {
        if (!iommu) {
            throw new IllegalStateException(dev + ": iommuGroup() on a host without withIommu()");
        }
        Path g = sys.resolve("kernel/iommu_groups").resolve(Integer.toString(group));
        Fs.write(g.resolve("type"), "DMA-FQ\n");
        Fs.write(g.resolve("reserved_regions"), "0x00000000fee00000 0x00000000feefffff msi\n");
        Fs.link(g.resolve("devices").resolve(dev.address()), dev.dir());
        Fs.link(dev.dir().resolve("iommu_group"), g);
        Path dmar = sys.resolve("devices/virtual/iommu/dmar0");
        Fs.link(dev.dir().resolve("iommu"), dmar);
        Fs.link(dmar.resolve("devices").resolve(dev.address()), dev.dir());
    }
}
