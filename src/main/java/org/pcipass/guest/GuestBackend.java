package org.pcipass.guest;

import java.util.List;
import java.util.Set;
import org.pcipass.pci.PciAddress;

/**
 * One hypervisor toolstack: libvirt (through libvirt-java) or Xen's xl (through the command runner).
 * Each call either does what it says or throws {@link GuestException} with the hypervisor's own
 * words. Nothing here waits or verifies: the executor reads back {@link #devices} after each call
 * (a libvirt live detach "succeeds" before the guest lets go).
 *
 * <p>Guest names reach a backend already checked by {@link GuestName}.
 */
public interface GuestBackend extends AutoCloseable {
    /** {@code libvirt} or {@code xl}: the name recorded with an assignment and shown in plans. */
    String name();

    /** The connection URI ({@code qemu:///system}, {@code xen:///system}); null for xl. */
    String uri();

    /** The domain, or null when the hypervisor has none of that name. */
    Domain domain(String guest);

    /** Gives {@code device} to {@code guest}: {@code managed='no'}, pcipass owns the binding. */
    void attach(String guest, PciAddress device, Mode mode);

    /** Asks the hypervisor to take {@code device} from {@code guest}; the guest may not have let go yet. */
    void detach(String guest, PciAddress device, Mode mode);

    /**
     * The PCI devices the hypervisor lists for {@code guest} now: in the running domain ({@code live})
     * or in its persistent definition (not live; empty where there is none, as with xl).
     */
    Set<PciAddress> devices(String guest, boolean live);

    /** Every PCI hostdev of every domain, live and persistent: what the hypervisor says is assigned. */
    List<Hostdev> assigned();

    /**
     * Xen only: whether Xen's IOMMU is active (without it a PV guest with a device can DMA into
     * dom0's memory); null when unknown or not Xen.
     */
    default Boolean xenIommuActive() {
        return null;
    }

    @Override
    default void close() {
    }
}
