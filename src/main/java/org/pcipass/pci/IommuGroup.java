package org.pcipass.pci;

import java.util.List;

/** An IOMMU group: the smallest set of functions the IOMMU can isolate from one another. */
public record IommuGroup(int id, List<PciAddress> members) {
    public IommuGroup {
        if (id < 0) {
            throw new IllegalArgumentException("IOMMU group id must not be negative: " + id);
        }
        members = members.stream().sorted().toList();
    }
}
