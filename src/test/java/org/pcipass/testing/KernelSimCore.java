package org.pcipass.testing;

import static org.pcipass.testing.KernelSimErrno.EBUSY;
import static org.pcipass.testing.KernelSimErrno.EEXIST;
import static org.pcipass.testing.KernelSimErrno.EINVAL;
import static org.pcipass.testing.KernelSimErrno.ENODEV;
import static org.pcipass.testing.KernelSimErrno.ENOENT;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.testing.KernelSim.PciId;
import org.pcipass.testing.KernelSimState.Fault;

/**
 * The driver core of the {@link KernelSim kernel simulator}: matching, probing, bind, unbind,
 * drivers_probe, new_id/remove_id and pciback's slots, with the kernel's errnos (REFERENCE.md,
 * "Binding" and "Xen pciback"). Callers hold the state lock.
 */
final class KernelSimCore {
    private static final Pattern NEW_ID =
            Pattern.compile("\\s*(?:0[xX])?([0-9a-fA-F]{1,8})\\s+(?:0[xX])?([0-9a-fA-F]{1,8})(?:\\s.*)?", Pattern.DOTALL);
    private static final Pattern SLOT =
            Pattern.compile("\\s*(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\\.([0-7])\\s*");

    private final KernelSimTree tree;
    private final KernelSimState state;

    KernelSimCore(KernelSimTree tree, KernelSimState state) {
        this.tree = tree;
        this.state = state;
    }

    /**
     * Whether {@code driver} matches device {@code a}: with an override set, only the named driver
     * ({@code none} matches nothing); without, pciback matches the devices in its slots and any
     * other driver the ids in its static or dynamic table.
     */
    boolean matches(String driver, String a) {
        String override = tree.override(a);
        if (override != null) {
            return override.equals(driver);
        }
        if (driver.equals("pciback")) {
            return tree.slots().contains(a);
        }
        return state.ids(driver, null).contains(tree.id(a));
    }

    /** {@code drivers/X/bind} ← A: ENODEV no device or no match, EBUSY bound, else the probe's answer. */
    void bind(String driver, String value) throws IOException {
        String a = device(value);
        if (tree.deviceDir(a) == null || !matches(driver, a)) {
            throw ENODEV.exception();
        }
        if (tree.driverOf(a) != null) {
            throw EBUSY.exception();
        }
        probe(driver, a);
    }

    /** {@code drivers/X/unbind} ← A: ENODEV unless bound to X; vfio-pci EBUSY while userspace holds A. */
    void unbind(String driver, String value) throws IOException {
        String a = device(value);
        if (tree.deviceDir(a) == null || !driver.equals(tree.driverOf(a))) {
            throw ENODEV.exception();
        }
        Fault f = state.fault(x -> x.kind().equals("unbind") && driver.equals(x.driver()) && a.equals(x.target()));
        if (f != null) {
            throw KernelSimErrno.named(f.value()).exception();
        }
        if (driver.equals("vfio-pci") && heldByUserspace(a)) {
            throw EBUSY.exception();
        }
        release(driver, a);
    }

    /** Unbinds without checks (also what unloading a module does). */
    void release(String driver, String a) {
        Integer group = tree.iommuGroup(a);
        tree.unlink(a, driver);
        if (driver.equals("vfio-pci") && group != null
                && tree.boundTo("vfio-pci").stream().noneMatch(o -> group.equals(tree.iommuGroup(o)))) {
            tree.vfioNode(group, false);
        }
    }

    boolean heldByUserspace(String a) {
        return state.fault(x -> x.kind().equals("hold") && a.equals(x.target())) != null;
    }

    /**
     * {@code bus/pci/drivers_probe} ← A: ENODEV for no such device; no-op when bound; else each
     * matching driver in probe order (pciback first when it claims A) until one's probe succeeds.
     * Probe errors are swallowed.
     */
    void driversProbe(String value) throws IOException {
        String a = device(value);
        if (tree.deviceDir(a) == null) {
            throw ENODEV.exception();
        }
        if (tree.driverOf(a) != null) {
            return;
        }
        for (String d : candidates(a)) {
            try {
                probe(d, a);
                return;
            } catch (IOException refused) {
                // the driver core tries the next driver
            }
        }
    }

    /** The registered drivers that match {@code a}, in the order a probe tries them. */
    List<String> candidates(String a) {
        List<String> out = new ArrayList<>();
        List<String> order = state.order(tree.registeredDrivers());
        if (order.remove("pciback")) {
            order.add(0, "pciback");
        }
        for (String d : order) {
            if (matches(d, a)) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * {@code drivers/X/new_id} ← "VVVV DDDD": EINVAL unparsable, EEXIST when X already matches the
     * id (pciback's table matches every id), else adds a dynamic id and binds every unbound device
     * that now matches.
     */
    void newId(String driver, String value) throws IOException {
        PciId id = parseId(value);
        if (driver.equals("pciback") || state.ids(driver, null).contains(id)) {
            throw EEXIST.exception();
        }
        state.addId(driver, id, true);
        attach(driver);
    }

    /** {@code drivers/X/remove_id} ← "VVVV DDDD": removes a dynamic id; ENODEV when there is none. */
    void removeId(String driver, String value) throws IOException {
        if (!state.removeDynamicId(driver, parseId(value))) {
            throw ENODEV.exception();
        }
    }

    /** {@code drivers/pciback/new_slot} ← A ({@code BB:SS.F} allowed): adds A to slots; no probe. */
    void newSlot(String value) throws IOException {
        String a = slot(value);
        List<String> slots = new ArrayList<>(tree.slots());
        if (!slots.contains(a)) {
            slots.add(a);
            tree.slots(slots);
        }
    }

    /** {@code drivers/pciback/remove_slot} ← A: ENOENT (as pcistub_device_id_remove) when absent. */
    void removeSlot(String value) throws IOException {
        String a = slot(value);
        List<String> slots = new ArrayList<>(tree.slots());
        if (!slots.remove(a)) {
            throw ENOENT.exception();
        }
        tree.slots(slots);
    }

    /** The driver core's driver_attach: offers every unbound device to {@code driver}; errors swallowed. */
    void attach(String driver) {
        for (String a : tree.addresses()) {
            if (tree.driverOf(a) == null && matches(driver, a)) {
                try {
                    probe(driver, a);
                } catch (IOException refused) {
                    // as the kernel: the device stays unbound
                }
            }
        }
    }

    /** The driver's probe (match and "unbound" already checked); on success the links appear. */
    void probe(String driver, String a) throws IOException {
        Fault f = state.fault(x -> x.kind().equals("bind") && driver.equals(x.driver()) && a.equals(x.target()));
        if (f != null) {
            throw KernelSimErrno.named(f.value()).exception();
        }
        Integer group = null;
        if (driver.equals("vfio-pci")) {
            group = tree.iommuGroup(a);
            if (tree.headerType(a) != 0 || group == null) {
                throw EINVAL.exception();
            }
            if (tree.numVfs(a) > 0) {
                throw EBUSY.exception();
            }
        }
        tree.link(a, driver);
        if (driver.equals("pciback") && !tree.slots().contains(a)) {
            List<String> slots = new ArrayList<>(tree.slots());
            slots.add(a);
            tree.slots(slots);
        }
        if (group != null) {
            vfioNodeAppears(a, group);
        }
    }

    /** vfio-pci's {@code /dev/vfio/N}: now, after an injected delay (another thread), or never. */
    private void vfioNodeAppears(String a, int group) {
        Fault f = state.fault(x -> x.kind().equals("vfio-delay") && (a.equals(x.target()) || "*".equals(x.target())));
        long delay = f == null ? 0 : Long.parseLong(f.value());
        if (delay == 0) {
            tree.vfioNode(group, true);
        } else if (delay > 0) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(delay);
                    state.locked(() -> {
                        if ("vfio-pci".equals(tree.driverOf(a))) {
                            tree.vfioNode(group, true);
                        }
                        return null;
                    });
                } catch (Exception | Error gone) {
                    // the test (or its directory) is gone: nothing to create
                }
            }, "kernel-sim-vfio-" + a);
            t.setDaemon(true);
            t.start();
        }
    }

    /** The device name written to bind/unbind/drivers_probe: one trailing newline is ignored (sysfs_streq). */
    private static String device(String value) {
        return value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
    }

    private static PciId parseId(String value) throws IOException {
        Matcher m = NEW_ID.matcher(value);
        if (!m.matches()) {
            throw EINVAL.exception();
        }
        return new PciId(Integer.parseInt(m.group(1), 16) & 0xffff, Integer.parseInt(m.group(2), 16) & 0xffff);
    }

    private static String slot(String value) throws IOException {
        Matcher m = SLOT.matcher(value);
        if (!m.matches()) {
            throw EINVAL.exception();
        }
        int domain = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
        return String.format("%04x:%02x:%02x.%s", domain, Integer.parseInt(m.group(2), 16),
                Integer.parseInt(m.group(3), 16), m.group(4));
    }
}
