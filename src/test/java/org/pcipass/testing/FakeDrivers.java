package org.pcipass.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PCI drivers and kernel modules of a {@link FakeHost}: {@code sys/bus/pci/drivers/NAME/},
 * {@code sys/module/MOD/} and the matching files under the config-root's
 * {@code lib/modules/RELEASE/}.
 *
 * <p>A modular driver gets {@code drivers/NAME/module -> ../../../../module/MOD}, and
 * {@code sys/module/MOD/initstate} = {@code live}. A built-in driver gets a
 * {@code sys/module/MOD/} directory without {@code initstate}, no {@code module} link, and a line
 * in {@code modules.builtin}.
 */
public final class FakeDrivers {
    /** Module name (sysfs form) → path of its .ko under lib/modules/RELEASE. */
    private static final Map<String, String> KO = new LinkedHashMap<>();

    static {
        String net = "kernel/drivers/net/ethernet/";
        KO.put("e1000e", net + "intel/e1000e/e1000e.ko");
        KO.put("e1000", net + "intel/e1000/e1000.ko");
        KO.put("igb", net + "intel/igb/igb.ko");
        KO.put("igbvf", net + "intel/igbvf/igbvf.ko");
        KO.put("ixgbe", net + "intel/ixgbe/ixgbe.ko");
        KO.put("8139cp", net + "realtek/8139cp.ko");
        KO.put("8139too", net + "realtek/8139too.ko");
        KO.put("bnx2", net + "broadcom/bnx2.ko");
        KO.put("vfio_pci", "kernel/drivers/vfio/pci/vfio-pci.ko");
        KO.put("vfio_pci_core", "kernel/drivers/vfio/pci/vfio-pci-core.ko");
        KO.put("vfio", "kernel/drivers/vfio/vfio.ko");
        KO.put("pci_stub", "kernel/drivers/pci/pci-stub.ko");
        KO.put("xen_pciback", "kernel/drivers/xen/xen-pciback/xen-pciback.ko");
        KO.put("pciback", "kernel/drivers/xen/pciback/pciback.ko");
        KO.put("nvme", "kernel/drivers/nvme/host/nvme.ko");
        KO.put("ahci", "kernel/drivers/ata/ahci.ko");
        KO.put("ata_piix", "kernel/drivers/ata/ata_piix.ko");
        KO.put("i915", "kernel/drivers/gpu/drm/i915/i915.ko");
        KO.put("nouveau", "kernel/drivers/gpu/drm/nouveau/nouveau.ko");
        KO.put("snd_hda_intel", "kernel/sound/pci/hda/snd-hda-intel.ko");
        KO.put("lpc_ich", "kernel/drivers/mfd/lpc_ich.ko");
        KO.put("i2c_i801", "kernel/drivers/i2c/busses/i2c-i801.ko");
        KO.put("virtio_pci", "kernel/drivers/virtio/virtio_pci.ko");
        KO.put("pcieport", "kernel/drivers/pci/pcie/pcieport.ko");
        KO.put("xhci_pci", "kernel/drivers/usb/host/xhci-pci.ko");
    }

    private final FakeHost host;
    private final Map<String, String> moduleOf = new LinkedHashMap<>();
    private final Map<String, Boolean> builtinOf = new LinkedHashMap<>();

    FakeDrivers(FakeHost host) {
        this.host = host;
    }

    /** {@code vfio-pci} → {@code vfio_pci}: the name under /sys/module. */
    public static String sysfsModuleName(String module) {
        return module.replace('-', '_');
    }

    /** Path of the module's .ko relative to lib/modules/RELEASE (a guess for unknown modules). */
    public static String koPath(String module) {
        String m = sysfsModuleName(module);
        return KO.getOrDefault(m, "kernel/drivers/misc/" + module + ".ko");
    }

    /** {@code SYS/bus/pci/drivers/NAME}. */
    public Path driverDir(String name) {
        return host.sysfs().resolve("bus/pci/drivers").resolve(name);
    }

    /** {@code SYS/module/MOD}. */
    public Path moduleDir(String module) {
        return host.sysfs().resolve("module").resolve(sysfsModuleName(module));
    }

    /** True when {@code name} is registered. */
    public boolean registered(String name) {
        return moduleOf.containsKey(name);
    }

    /**
     * Registers (loads) a PCI driver even without devices, e.g. vfio-pci loaded but unused.
     * Idempotent; registering the same name with another module or linkage is an error.
     */
    public Path register(String name, String module, boolean builtin) {
        String mod = sysfsModuleName(module);
        if (moduleOf.containsKey(name)) {
            if (!moduleOf.get(name).equals(mod) || builtinOf.get(name) != builtin) {
                throw new IllegalStateException("driver " + name + " already registered as module "
                        + moduleOf.get(name) + (builtinOf.get(name) ? " (built in)" : ""));
            }
            return driverDir(name);
        }
        moduleOf.put(name, mod);
        builtinOf.put(name, builtin);
        Path d = driverDir(name);
        for (String f : new String[] {"bind", "unbind", "new_id", "remove_id", "uevent"}) {
            Fs.touch(d.resolve(f));
        }
        if (name.equals("pciback")) {
            for (String f : new String[] {"new_slot", "remove_slot", "slots", "permissive", "quirks", "irq_handlers"}) {
                Fs.touch(d.resolve(f));
            }
        }
        Path m = moduleDir(mod);
        Fs.mkdirs(m);
        Fs.link(m.resolve("drivers").resolve("pci:" + name), d);
        if (builtin) {
            host.rootfs().builtinModule(mod);
        } else {
            Fs.write(m.resolve("initstate"), "live\n");
            Fs.write(m.resolve("refcnt"), "0\n");
            Fs.write(m.resolve("coresize"), "53248\n");
            Fs.mkdirs(m.resolve("holders"));
            Fs.link(d.resolve("module"), m);
            host.rootfs().installModule(mod);
        }
        return d;
    }

    /** Binds {@code dev}: the device's {@code driver} link and the driver's per-device link. */
    void bind(PciDev dev, String name, String module, boolean builtin) {
        Path d = register(name, module, builtin);
        Fs.link(dev.dir().resolve("driver"), d);
        Fs.link(d.resolve(dev.address()), dev.dir());
        if (!builtin) {
            Path refcnt = moduleDir(module).resolve("refcnt");
            int n = Integer.parseInt(Fs.read(refcnt).trim());
            Fs.write(refcnt, (n + 1) + "\n");
        }
        if (name.equals("pciback")) {
            Fs.append(d.resolve("slots"), dev.address() + "\n");
        }
        if (name.equals("vfio-pci") && dev.iommuGroup() != null) {
            host.rootfs().vfioGroup(dev.iommuGroup());
        }
    }

    /** True when a registered driver's module dir says it is modular. */
    public boolean modular(String name) {
        return registered(name) && Files.exists(driverDir(name).resolve("module"));
    }
}
