package org.pcipass.fleet;

/**
 * A PCI function as the fleet's placement sees it: the fields of Nova's {@code PciDevice} that its
 * pools and device_spec read. Ids are 4 lower-case hex digits as the kernel and libvirt report them;
 * {@code devType} is {@code type-PCI}, {@code type-PF} or {@code type-VF}; {@code numaNode} is null
 * when the device reports none; {@code parentAddr} is a VF's PF, else null.
 */
public record Device(String address, String vendorId, String productId, String devType, Integer numaNode,
        String parentAddr) {
    public static final String TYPE_PCI = "type-PCI";
    public static final String TYPE_PF = "type-PF";
    public static final String TYPE_VF = "type-VF";
    public static final String TYPE_VDPA = "vdpa";
}
