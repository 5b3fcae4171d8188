package org.pcipass.store;

import java.util.Objects;
import org.pcipass.guest.Assignment;
import org.pcipass.pci.PciAddress;

/** One change to pcipass's assignments, applied by {@link Store#commit}. */
public sealed interface AssignmentChange {
    /** The device the change is about. */
    PciAddress device();

    /**
     * The device is the guest's: a new assignment, or the same guest's again (its fields updated:
     * committing a plan twice is harmless). A device another guest holds is refused.
     */
    record Put(Assignment a) implements AssignmentChange {
        public Put {
            Objects.requireNonNull(a, "a");
        }

        @Override
        public PciAddress device() {
            return a.device();
        }
    }

    /** The device is no guest's any more; nothing happens when it was not assigned. */
    record Remove(PciAddress device) implements AssignmentChange {
        public Remove {
            Objects.requireNonNull(device, "device");
        }
    }
}
