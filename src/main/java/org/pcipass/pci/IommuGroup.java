package org.pcipass.pci;

import java.util.List;

/** An IOMMU group: the smallest set of functions the IOMMU can isolate from one another. */
public record IommuGroup(int id, List<PciAddress> members) {
    public IommuGroup {
        if (id < 0) {
            throw new IllegalArgumentException("IOMMU group id must not be negative: " + id);
        }
        members = sorted(members);
    }

    /** An unmodifiable copy in address order; without a stream, as thousands of groups are made per listing. */
    private static List<PciAddress> sorted(List<PciAddress> members) {
        for (int i = 1; i < members.size(); i++) {
            if (members.get(i - 1).compareTo(members.get(i)) > 0) {
                PciAddress[] a = members.toArray(new PciAddress[0]);
                java.util.Arrays.sort(a);
                return List.of(a);
            }
        }
        return List.copyOf(members);
    }
}
