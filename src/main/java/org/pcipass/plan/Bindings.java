package org.pcipass.plan;

import java.util.ArrayList;
import java.util.List;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.sysfs.Sysfs;

/**
 * The sysfs steps that move one device between drivers, in REFERENCE.md's safe order: override,
 * unbind, explicit bind to the driver wanted (its error is the kernel's answer), read back.
 */
public final class Bindings {
    private final Sysfs sys;

    public Bindings(HostSnapshot host) {
        this(host.sysfs());
    }

    /** For rollback and recovery too, which read the live state rather than a snapshot. */
    public Bindings(Sysfs sys) {
        this.sys = sys;
    }

    /** pciback, vfio-pci or pci-stub. */
    public static boolean isStub(String driver) {
        return driver != null && HideRequest.STUBS.contains(driver);
    }

    private String dev(PciAddress a, String attr) {
        return sys.path("bus/pci/devices/" + a + "/" + attr);
    }

    private String drv(String driver, String attr) {
        return sys.path("bus/pci/drivers/" + driver + "/" + attr);
    }

    /** The device's {@code driver_override}, null when unset or unreadable. */
    public String override(PciAddress a) {
        String o = sys.read("bus/pci/devices/" + a + "/driver_override");
        return o == null || o.isEmpty() || o.equals("(null)") ? null : o;
    }

    /** Whether the device still exists (not hot-unplugged, not a VF that sriov_numvfs removed). */
    public boolean present(PciAddress a) {
        return sys.isDirectory("bus/pci/devices/" + a);
    }

    /** The device's bound driver, read live. */
    public String driver(PciAddress a) {
        return sys.linkName("bus/pci/devices/" + a + "/driver");
    }

    public boolean inPcibackSlots(PciAddress a) {
        String slots = sys.read("bus/pci/drivers/pciback/slots");
        return slots != null && slots.contains(a.toString());
    }

    /** The device as it is now, for the journal. */
    public DeviceState state(PciDevice d) {
        return new DeviceState(d.address(), d.driver(), override(d.address()), d.module(), inPcibackSlots(d.address()));
    }

    /** Steps that move {@code d} from its driver to {@code stub}. */
    public List<Step> hideSteps(PciDevice d, String stub) {
        PciAddress a = d.address();
        List<Step> out = new ArrayList<>();
        out.add(new Step.Write(dev(a, "driver_override"), stub));
        if (inPcibackSlots(a)) {
            out.add(new Step.Write(drv("pciback", "remove_slot"), a.toString())); // else pciback seizes it at a probe
        }
        if (d.driver() != null) {
            out.add(new Step.Write(dev(a, "driver/unbind"), a.toString()));
        }
        out.add(new Step.Write(drv(stub, "bind"), a.toString()));
        out.add(new Step.ExpectDriver(a, stub));
        return out;
    }

    /**
     * Steps that return {@code d} from its stub to the driver recorded at hide time, or let the
     * kernel choose (drivers_probe) when nothing was recorded (pcipass did not hide it, or adopted it).
     */
    public List<Step> returnSteps(PciDevice d, HiddenDevice rec) {
        PciAddress a = d.address();
        List<Step> out = new ArrayList<>();
        if (rec != null) {
            // load the driver while the device still sits on its stub: a driver that registers probes every
            // unbound device it matches, and would take this one before the explicit bind
            loadIfNeeded(rec.originalDriver(), rec.originalModule(), out);
        }
        out.addAll(leaveStub(a, d.driver()));
        if (rec == null || rec.adopted()) {
            out.add(new Step.Write(sys.path("bus/pci/drivers_probe"), a.toString()));
            return out;
        }
        bindTo(a, rec.originalDriver(), out);
        return out;
    }

    /**
     * Steps that put a device back as {@code before} says, from the driver it is on now: what
     * rollback and recovery run.
     */
    public List<Step> restoreSteps(DeviceState before) {
        PciAddress a = before.address();
        String now = driver(a);
        List<Step> out = new ArrayList<>();
        if (!eq(now, before.driver())) {
            loadIfNeeded(before.driver(), before.module(), out);
        }
        // the override first: with it set as before, the original driver (even pciback) accepts the bind. A stub
        // that had the device without an override (its ids= at boot, new_id) has no ids of its own to take it back
        // by: it gets it through the override, cleared again once it is bound.
        boolean throughOverride = !eq(now, before.driver()) && before.override() == null && isStub(before.driver());
        out.add(new Step.Write(dev(a, "driver_override"), throughOverride ? before.driver()
                : before.override() == null ? "\n" : before.override()));
        boolean slotted = inPcibackSlots(a);
        if (slotted && !before.inPcibackSlots() && !"pciback".equals(before.driver())) {
            out.add(new Step.Write(drv("pciback", "remove_slot"), a.toString()));
        } else if (!slotted && before.inPcibackSlots() && sys.isDirectory("bus/pci/drivers/pciback")) {
            out.add(new Step.Write(drv("pciback", "new_slot"), a.toString()));
        }
        if (eq(now, before.driver())) {
            return out;
        }
        if (now != null) {
            out.add(new Step.Write(dev(a, "driver/unbind"), a.toString()));
        }
        bindTo(a, before.driver(), out);
        if (throughOverride) {
            out.add(new Step.Write(dev(a, "driver_override"), "\n"));
        }
        return out;
    }

    /** Clear the override, drop a pciback slot, unbind from {@code current} (if bound). */
    private List<Step> leaveStub(PciAddress a, String current) {
        List<Step> out = new ArrayList<>();
        out.add(new Step.Write(dev(a, "driver_override"), "\n"));
        if (inPcibackSlots(a)) {
            // bound through its override, or a slot removed before: no slot, nothing to remove (ENOENT)
            out.add(new Step.Write(drv("pciback", "remove_slot"), a.toString()));
        }
        if (current != null) {
            out.add(new Step.Write(dev(a, "driver/unbind"), a.toString()));
        }
        return out;
    }

    /** modprobe {@code module} unless its driver is registered (or, when the driver is not known, the module is loaded). */
    private void loadIfNeeded(String driver, String module, List<Step> out) {
        if (module == null) {
            return; // built in, or no driver at all
        }
        boolean loaded = driver != null ? sys.isDirectory("bus/pci/drivers/" + driver)
                : sys.exists("module/" + module.replace('-', '_'));
        if (!loaded) {
            out.add(new Step.Run(List.of("modprobe", module)));
        }
    }

    /** Explicit bind to {@code driver} (its module already loaded), then read back; null: stays unbound. */
    private void bindTo(PciAddress a, String driver, List<Step> out) {
        if (driver != null) {
            out.add(new Step.Write(drv(driver, "bind"), a.toString()));
        }
        out.add(new Step.ExpectDriver(a, driver));
    }

    private static boolean eq(String x, String y) {
        return x == null ? y == null : x.equals(y);
    }

}
