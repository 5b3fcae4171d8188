package org.pcipass.store;

import java.util.Objects;
import org.pcipass.guest.Assignment;
import org.pcipass.pci.PciAddress;

/** What a plan changes in the assignments table, applied in the store's commit. */
public sealed interface AssignmentChange {
    PciAddress device();

    /** The device's assignment becomes {@code a} (a new one, or a new state of the same guest's). */
    record Put(Assignment a) implements AssignmentChange {
        public Put {
            Objects.requireNonNull(a, "a");
        }

        @Override
        public PciAddress device() {
            return a.device();
        }
    }

    /** The device is no longer assigned. */
    record Remove(PciAddress device) implements AssignmentChange {
        public Remove {
            Objects.requireNonNull(device, "device");
        }
    }
}
