package org.pcipass.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One fake PCI function, as written into the tree by {@link Builder#build()}. The values are
 * those of the sysfs attribute files (for an SR-IOV VF, the real ids, while its {@code config}
 * says ffff).
 */
public final class PciDev {
    private static final Pattern ADDRESS =
            Pattern.compile("([0-9a-f]{4,8}):([0-9a-f]{2}):([0-1][0-9a-f])\\.([0-7])");

    private final String address;
    private final int domain;
    private final int bus;
    private final Path dir;
    private final Builder b;
    private final List<PciDev> virtfns = new ArrayList<>();

    private PciDev(Builder b, Path dir) {
        this.b = b;
        this.address = b.address;
        this.domain = b.domain;
        this.bus = b.bus;
        this.dir = dir;
    }

    public String address() {
        return address;
    }

    /** The real directory, e.g. {@code SYS/devices/pci0000:00/0000:00:01.0/0000:01:00.0}. */
    public Path dir() {
        return dir;
    }

    public int domain() {
        return domain;
    }

    public int bus() {
        return bus;
    }

    public int vendor() {
        return b.vendor;
    }

    public int device() {
        return b.device;
    }

    public int subsystemVendor() {
        return b.subVendor;
    }

    public int subsystemDevice() {
        return b.subDevice;
    }

    /** 24-bit class code (class, subclass, prog-if). */
    public int pciClass() {
        return b.pciClass;
    }

    public int revision() {
        return b.rev;
    }

    /** 0 endpoint, 1 PCI-to-PCI bridge, 2 CardBus bridge. */
    public int headerType() {
        return b.headerType;
    }

    /** Bound driver name, or null. */
    public String driver() {
        return b.driverName;
    }

    /** Module of the bound driver (sysfs form, '_'), or null when unbound. */
    public String module() {
        return b.driverModule == null ? null : FakeDrivers.sysfsModuleName(b.driverModule);
    }

    /** True when the bound driver is built into the kernel. */
    public boolean builtinDriver() {
        return b.builtin;
    }

    /** IOMMU group number, or null. */
    public Integer iommuGroup() {
        return b.iommuGroup;
    }

    public int numaNode() {
        return b.numa;
    }

    public PciDev parent() {
        return b.parent;
    }

    public PciDev physfn() {
        return b.physfn;
    }

    public List<PciDev> virtfns() {
        return Collections.unmodifiableList(virtfns);
    }

    public Boolean bootVga() {
        return b.bootVga;
    }

    @Override
    public String toString() {
        return address;
    }

    /** Fluent builder; obtain it from {@link FakeHost#pci(String)}. */
    public static final class Builder {
        private final FakeHost host;
        private final String address;
        private final int domain;
        private final int bus;
        private int vendor = 0x8086;
        private int device = 0xffff;
        private int subVendor;
        private int subDevice;
        private int pciClass = 0xff0000;
        private int rev;
        private int headerType;
        private boolean multiFunction;
        private int numa = -1;
        private PciDev parent;
        private PciDev physfn;
        private int secondary = -1;
        private int subordinate = -1;
        private String driverName;
        private String driverModule;
        private boolean builtin;
        private Integer iommuGroup;
        private Boolean bootVga;
        private String linkSpeed;
        private int linkWidth;
        private String maxLinkSpeed;
        private int maxLinkWidth;
        private String resetMethod;
        private String localCpulist = "0-7";
        private Integer irq;
        private int sriovTotal = -1;
        private boolean pcie = true;
        private int pciePortType = -1;
        private String driverOverride;
        private String runtimeStatus;

        Builder(FakeHost host, String address) {
            Matcher m = ADDRESS.matcher(address);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sysfs PCI address (DDDD:BB:SS.F, lower case): " + address);
            }
            this.host = host;
            this.address = address;
            this.domain = Integer.parseInt(m.group(1), 16);
            this.bus = Integer.parseInt(m.group(2), 16);
        }

        public Builder ids(int vendor, int device) {
            this.vendor = vendor;
            this.device = device;
            return this;
        }

        /** Subsystem ids (0000/0000 by default: lspci then prints no SVendor/SDevice). */
        public Builder subsystem(int vendor, int device) {
            this.subVendor = vendor;
            this.subDevice = device;
            return this;
        }

        /** 24-bit class code, e.g. 0x020000. */
        public Builder pciClass(int classCode) {
            this.pciClass = classCode;
            return this;
        }

        public Builder rev(int revision) {
            this.rev = revision;
            return this;
        }

        /** 0 endpoint (default), 1 PCI-to-PCI bridge, 2 CardBus bridge. */
        public Builder headerType(int type) {
            this.headerType = type;
            return this;
        }

        /** Sets bit 7 of the header type (the slot has several functions). */
        public Builder multiFunction(boolean multi) {
            this.multiFunction = multi;
            return this;
        }

        /** numa_node; -1 (the default) means unknown. */
        public Builder numa(int node) {
            this.numa = node;
            return this;
        }

        /** Nests this device's directory under its upstream bridge's directory. */
        public Builder parent(PciDev bridge) {
            this.parent = bridge;
            return this;
        }

        /** Bridges: secondary and subordinate bus numbers (primary is the bridge's own bus). */
        public Builder buses(int secondary, int subordinate) {
            this.secondary = secondary;
            this.subordinate = subordinate;
            return this;
        }

        /** Binds to a driver; {@code module} null means built in (module name = driver name). */
        public Builder driver(String name, String module) {
            this.driverName = name;
            this.builtin = module == null;
            this.driverModule = module == null ? name : module;
            return this;
        }

        /** Binds to a driver built into the kernel whose module name is {@code module}. */
        public Builder builtinDriver(String name, String module) {
            this.driverName = name;
            this.driverModule = module;
            this.builtin = true;
            return this;
        }

        /** Puts the device in IOMMU group {@code n} (the host must have an IOMMU). */
        public Builder iommuGroup(int n) {
            this.iommuGroup = n;
            return this;
        }

        /** Writes {@code boot_vga}; only allowed for class 0x0300xx. */
        public Builder bootVga(boolean vga) {
            this.bootVga = vga;
            return this;
        }

        /** PCIe link attributes, e.g. {@code link("8.0 GT/s PCIe", 4, "8.0 GT/s PCIe", 4)}. */
        public Builder link(String speed, int width, String maxSpeed, int maxWidth) {
            this.linkSpeed = speed;
            this.linkWidth = width;
            this.maxLinkSpeed = maxSpeed;
            this.maxLinkWidth = maxWidth;
            return this;
        }

        /** {@code reset_method}, e.g. "flr bus"; absent when not set. */
        public Builder resetMethod(String methods) {
            this.resetMethod = methods;
            return this;
        }

        public Builder localCpulist(String list) {
            this.localCpulist = list;
            return this;
        }

        public Builder irq(int irq) {
            this.irq = irq;
            return this;
        }

        /** SR-IOV PF: {@code sriov_totalvfs}; {@code sriov_numvfs} counts the VFs built with {@link #physfn}. */
        public Builder sriov(int totalVfs) {
            this.sriovTotal = totalVfs;
            return this;
        }

        /** SR-IOV VF of {@code pf}: sibling directory, {@code physfn} link, config vendor/device ffff. */
        public Builder physfn(PciDev pf) {
            this.physfn = pf;
            return this;
        }

        /** False for conventional PCI devices: no PCI Express capability in config. */
        public Builder pcie(boolean isPcie) {
            this.pcie = isPcie;
            return this;
        }

        /** PCIe port type (see ConfigSpace.PCIE_*); guessed from header type and class when unset. */
        public Builder pciePortType(int type) {
            this.pciePortType = type;
            return this;
        }

        /** Initial {@code driver_override} content (default unset: {@code (null)}). */
        public Builder driverOverride(String name) {
            this.driverOverride = name;
            return this;
        }

        /**
         * {@code power/runtime_status}: {@code active}, {@code suspended}, {@code suspending}, ... (absent
         * by default). A real kernel resumes a suspended device for every read of its {@code config}.
         */
        public Builder runtimeStatus(String status) {
            this.runtimeStatus = status;
            return this;
        }

        /** Writes the device into the tree and registers it with the host. */
        public PciDev build() {
            if (bootVga != null && (pciClass >>> 8) != 0x0300) {
                throw new IllegalStateException(address + ": boot_vga exists only on VGA-class devices");
            }
            if (physfn != null && parent == null) {
                parent = physfn.parent();
            }
            Path parentDir = parent != null ? parent.dir() : host.domainDir(domain, bus);
            PciDev dev = new PciDev(this, parentDir.resolve(address));
            writeAttributes(dev);
            host.register(dev);
            if (iommuGroup != null) {
                host.addToGroup(dev, iommuGroup);
            }
            if (driverName != null) {
                host.drivers().bind(dev, driverName, driverModule, builtin);
            }
            if (physfn != null) {
                int n = physfn.virtfns.size();
                physfn.virtfns.add(dev);
                Fs.link(physfn.dir().resolve("virtfn" + n), dev.dir());
                Fs.write(physfn.dir().resolve("sriov_numvfs"), physfn.virtfns.size() + "\n");
                Fs.link(dev.dir().resolve("physfn"), physfn.dir());
            }
            return dev;
        }

        private void writeAttributes(PciDev dev) {
            Path d = dev.dir();
            Fs.write(d.resolve("vendor"), String.format("0x%04x%n", vendor));
            Fs.write(d.resolve("device"), String.format("0x%04x%n", device));
            Fs.write(d.resolve("subsystem_vendor"), String.format("0x%04x%n", subVendor));
            Fs.write(d.resolve("subsystem_device"), String.format("0x%04x%n", subDevice));
            Fs.write(d.resolve("class"), String.format("0x%06x%n", pciClass));
            Fs.write(d.resolve("revision"), String.format("0x%02x%n", rev));
            Fs.write(d.resolve("numa_node"), numa + "\n");
            Fs.write(d.resolve("driver_override"), (driverOverride == null ? "(null)" : driverOverride) + "\n");
            String modalias = modalias();
            Fs.write(d.resolve("modalias"), modalias + "\n");
            Fs.write(d.resolve("enable"), (driverName != null ? "1" : "0") + "\n");
            Fs.write(d.resolve("irq"), (irq != null ? irq : driverName != null ? 16 : 0) + "\n");
            Fs.write(d.resolve("local_cpulist"), localCpulist + "\n");
            Fs.write(d.resolve("local_cpus"), "ff\n");
            Fs.write(d.resolve("broken_parity_status"), "0\n");
            Fs.write(d.resolve("d3cold_allowed"), "1\n");
            Fs.write(d.resolve("msi_bus"), "1\n");
            Fs.write(d.resolve("power_state"), "D0\n");
            Fs.touch(d.resolve("remove"));
            Fs.touch(d.resolve("rescan"));
            Fs.mkdirs(d.resolve("power"));
            if (runtimeStatus != null) {
                Fs.write(d.resolve("power/runtime_status"), runtimeStatus + "\n");
            }
            Fs.link(d.resolve("subsystem"), host.sysfs().resolve("bus/pci"));
            StringBuilder res = new StringBuilder();
            int lines = headerType == 0 ? 13 : 17;
            for (int i = 0; i < lines; i++) {
                res.append("0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
            }
            Fs.write(d.resolve("resource"), res.toString());
            Fs.write(d.resolve("uevent"), (driverName != null ? "DRIVER=" + driverName + "\n" : "")
                    + String.format("PCI_CLASS=%X%nPCI_ID=%04X:%04X%nPCI_SUBSYS_ID=%04X:%04X%nPCI_SLOT_NAME=%s%nMODALIAS=%s%n",
                    pciClass, vendor, device, subVendor, subDevice, address, modalias));
            if (resetMethod != null) {
                Fs.write(d.resolve("reset_method"), resetMethod + "\n");
                Fs.touch(d.resolve("reset"));
            }
            if (bootVga != null) {
                Fs.write(d.resolve("boot_vga"), (bootVga ? "1" : "0") + "\n");
            }
            if (linkSpeed != null) {
                Fs.write(d.resolve("current_link_speed"), linkSpeed + "\n");
                Fs.write(d.resolve("current_link_width"), linkWidth + "\n");
                Fs.write(d.resolve("max_link_speed"), maxLinkSpeed + "\n");
                Fs.write(d.resolve("max_link_width"), maxLinkWidth + "\n");
            }
            if (sriovTotal >= 0) {
                Fs.write(d.resolve("sriov_totalvfs"), sriovTotal + "\n");
                Fs.write(d.resolve("sriov_numvfs"), "0\n");
                Fs.write(d.resolve("sriov_drivers_autoprobe"), "1\n");
                Fs.write(d.resolve("sriov_offset"), "128\n");
                Fs.write(d.resolve("sriov_stride"), "4\n");
                Fs.write(d.resolve("sriov_vf_device"), String.format("%04x%n", device - 1));
            }
            if (headerType == 1) {
                Fs.mkdirs(d.resolve("pci_bus").resolve(String.format("%04x:%02x", domain, Math.max(secondary, 0))));
            }
            Fs.write(d.resolve("config"), configSpace().bytes());
        }

        private String modalias() {
            return String.format("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", vendor, device, subVendor, subDevice,
                    pciClass >>> 16, (pciClass >>> 8) & 0xff, pciClass & 0xff);
        }

        private ConfigSpace configSpace() {
            ConfigSpace cs = new ConfigSpace();
            if (physfn != null) {
                cs.ids(0xffff, 0xffff);           // as real VFs: the kernel fills the attributes from the PF
            } else {
                cs.ids(vendor, device);
            }
            cs.commandStatus(driverName != null ? 0x0406 : 0x0000, 0x0000)
                    .classRev(pciClass, rev).headerType(headerType, multiFunction);
            if (headerType == 0) {
                cs.subsystem(subVendor, subDevice).interrupt(irq != null ? irq : driverName != null ? 16 : 0xff, 1);
            } else if (headerType == 1) {
                cs.busNumbers(bus, Math.max(secondary, 0), Math.max(subordinate, Math.max(secondary, 0)));
            }
            if (pcie) {
                int type = pciePortType >= 0 ? pciePortType : guessPortType();
                cs.pciExpress(type, ConfigSpace.speedCode(maxLinkSpeed), maxLinkWidth,
                        ConfigSpace.speedCode(linkSpeed), linkWidth);
                if (resetMethod != null && List.of(resetMethod.split(" ")).contains("flr")) {
                    cs.flr();
                }
            } else {
                cs.powerManagementOnly();
            }
            return cs;
        }

        private int guessPortType() {
            if (headerType == 1) {
                if ((pciClass & 0xff) == 0x01 || parent == null) {
                    return parent == null ? ConfigSpace.PCIE_ROOT_PORT : ConfigSpace.PCIE_TO_PCI_BRIDGE;
                }
                return ConfigSpace.PCIE_SWITCH_DOWNSTREAM;
            }
            return parent == null ? ConfigSpace.PCIE_ROOT_COMPLEX_INTEGRATED : ConfigSpace.PCIE_ENDPOINT;
        }
    }
}
