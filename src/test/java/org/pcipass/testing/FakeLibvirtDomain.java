package org.pcipass.testing;

import java.util.ArrayList;
import java.util.function.Consumer;
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.FakeLibvirtState.Dev;
import org.pcipass.testing.FakeLibvirtState.Dom;

/**
 * Sets up one domain of a {@link FakeLibvirt}; each call is written to the fake's directory at once.
 * A domain starts persistent, shut off, KVM, HVM. {@link #running()} starts it as libvirt does (the
 * persistent definition's devices become live); {@link #hostdev} gives it a device as if it had been
 * started with it (another tool's hostdev, or pcipass's from an earlier run).
 */
public final class FakeLibvirtDomain {
    private final FakeLibvirtState state;
    private final String name;

    FakeLibvirtDomain(FakeLibvirtState state, String name) {
        this.state = state;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public FakeLibvirtDomain xen() {
        return set(x -> x.hypervisor = "xen");
    }

    public FakeLibvirtDomain kvm() {
        return set(x -> x.hypervisor = "kvm");
    }

    /** Xen PV ({@code <os><type>linux}); only meaningful with {@link #xen()}. */
    public FakeLibvirtDomain pv() {
        return set(x -> x.pv = true);
    }

    public FakeLibvirtDomain hvm() {
        return set(x -> x.pv = false);
    }

    /** {@code <features><xen><passthrough state='on'/>}: a Xen domain that can take hot-plugged devices. */
    public FakeLibvirtDomain passthrough() {
        return set(x -> x.passthrough = true);
    }

    /** libosinfo's OS id, e.g. {@code http://redhat.com/rhel/6.10}. */
    public FakeLibvirtDomain osId(String id) {
        return set(x -> x.osId = id);
    }

    /** Starts it: its persistent devices become its live ones (as {@code virsh start}). */
    public FakeLibvirtDomain running() {
        return set(x -> {
            if (!x.running) {
                x.running = true;
                x.live = copy(x.config);
            }
        });
    }

    /** Shuts it off: nothing is live any more (a transient domain would be gone: use {@link FakeLibvirt#remove}). */
    public FakeLibvirtDomain shutOff() {
        return set(x -> {
            x.running = false;
            x.live.clear();
            x.leaving.clear();
        });
    }

    public FakeLibvirtDomain persistent() {
        return set(x -> x.persistent = true);
    }

    /** A running domain with no persistent definition (as {@code virsh create}). */
    public FakeLibvirtDomain transientDomain() {
        return set(x -> {
            if (!x.running) {
                x.running = true;
                x.live = copy(x.config);
            }
            x.persistent = false;
            x.config.clear();
        });
    }

    /** A device it holds in its definition (when persistent) and, when running, live too. */
    public FakeLibvirtDomain hostdev(PciAddress device, boolean managed) {
        return set(x -> {
            if (x.persistent) {
                x.config.add(new Dev(device.toString(), managed));
            }
            if (x.running) {
                x.live.add(new Dev(device.toString(), managed));
            }
        });
    }

    /** A device only in the running domain (hot-plugged without {@code --config}). */
    public FakeLibvirtDomain liveHostdev(PciAddress device, boolean managed) {
        return set(x -> x.live.add(new Dev(device.toString(), managed)));
    }

    /** A device only in the persistent definition (added with {@code --config} while it runs). */
    public FakeLibvirtDomain configHostdev(PciAddress device, boolean managed) {
        return set(x -> x.config.add(new Dev(device.toString(), managed)));
    }

    // ---- faults ---------------------------------------------------------------------------------

    /** Every attach fails with {@code libvirtMessage} (e.g. QEMU's "… vfio …: failed to setup container"). */
    public FakeLibvirtDomain failAttach(String libvirtMessage) {
        return set(x -> x.attachError = libvirtMessage);
    }

    /** A live detach "succeeds" but the guest never answers the unplug: the device stays live. */
    public FakeLibvirtDomain detachNeverLeaves() {
        return set(x -> x.detachNeverLeaves = true);
    }

    /** A live detach leaves the device listed for {@code reads} more reads of the live devices. */
    public FakeLibvirtDomain detachLeavesAfterReads(int reads) {
        if (reads < 0) {
            throw new IllegalArgumentException("reads: " + reads + " < 0");
        }
        return set(x -> x.detachLeavesAfterReads = reads);
    }

    /** The domain disappears right after an {@code attach} or {@code detach} call succeeds. */
    public FakeLibvirtDomain vanishOn(String op) {
        if (!op.equals("attach") && !op.equals("detach")) {
            throw new IllegalArgumentException("op: '" + op + "' is not attach or detach");
        }
        return set(x -> x.vanishOn = op);
    }

    private FakeLibvirtDomain set(Consumer<Dom> change) {
        state.update(d -> {
            change.accept(FakeLibvirt.dom(d, name));
            return null;
        });
        return this;
    }

    private static ArrayList<Dev> copy(java.util.List<Dev> devs) {
        ArrayList<Dev> out = new ArrayList<>();
        devs.forEach(v -> out.add(new Dev(v.address, v.managed)));
        return out;
    }
}
