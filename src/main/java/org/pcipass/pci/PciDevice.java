package org.pcipass.pci;

import java.util.List;
import java.util.Objects;

/**
 * One PCI function as sysfs shows it. Every attribute that could not be read is null: one odd
 * device never fails a listing.
 *
 * @param sysfsPath the device's real directory relative to the sysfs root
 *     ({@code devices/pci0000:00/0000:00:01.0/0000:01:00.0}), or null if it could not be resolved
 * @param headerType 0 endpoint, 1 PCI-to-PCI bridge, 2 CardBus bridge (from {@code config})
 * @param module the kernel module of the bound driver, null when none or built in
 */
public record PciDevice(
        PciAddress address,
        String sysfsPath,
        Integer vendorId,
        Integer deviceId,
        Integer subsystemVendorId,
        Integer subsystemDeviceId,
        Integer classCode,
        Integer revision,
        Integer headerType,
        String driver,
        String module,
        Integer iommuGroup,
        Integer numaNode,
        PciAddress physfn,
        List<PciAddress> virtfns,
        Sriov sriov,
        List<String> resetMethods,
        Link link,
        boolean bootVga) {

    public PciDevice {
        Objects.requireNonNull(address, "address");
        virtfns = List.copyOf(virtfns);
        resetMethods = resetMethods == null ? null : List.copyOf(resetMethods);
    }

    /** This device with another list of VFs. */
    public PciDevice withVirtfns(List<PciAddress> vfs) {
        return new PciDevice(address, sysfsPath, vendorId, deviceId, subsystemVendorId, subsystemDeviceId, classCode,
                revision, headerType, driver, module, iommuGroup, numaNode, physfn, vfs, sriov, resetMethods, link,
                bootVga);
    }

    /** SR-IOV capacity of a physical function. */
    public record Sriov(Integer totalVfs, Integer numVfs) {}

    /** PCIe link state as sysfs words it ({@code 8.0 GT/s PCIe}, width 4). */
    public record Link(String speed, Integer width, String maxSpeed, Integer maxWidth) {}

    /** How many SR-IOV VFs this PF has enabled ({@code sriov_numvfs}); 0 for a VF or a device without SR-IOV. */
    public int enabledVfs() {
        return sriov == null || sriov.numVfs() == null ? 0 : Math.max(0, sriov.numVfs());
    }

    /** PCI-to-PCI or CardBus bridge by its header. */
    public boolean isBridgeHeader() {
        return isPciBridge() || isCardBusBridge();
    }

    /**
     * PCI-to-PCI bridge (header type 1): root and switch ports, PCIe-to-PCI bridges. When
     * {@code config} could not be read, class 0604: the kernel never leaves that class on a device
     * with an endpoint header (it resets the class of such a device).
     */
    public boolean isPciBridge() {
        return headerType != null ? headerType == 1 : classCode != null && classCode >>> 8 == 0x0604;
    }

    /** CardBus bridge (header type 2); when {@code config} could not be read, class 0607. */
    public boolean isCardBusBridge() {
        return headerType != null ? headerType == 2 : classCode != null && classCode >>> 8 == 0x0607;
    }

    /** Class 0600 (host bridge) or 0601 (ISA/LPC bridge). */
    public boolean isHostOrIsaBridge() {
        if (classCode == null) {
            return false;
        }
        int cls = classCode >>> 8;
        return cls == 0x0600 || cls == 0x0601;
    }

    /** Display controller of VGA class (0300). */
    public boolean isVga() {
        return classCode != null && classCode >>> 8 == 0x0300;
    }
}
