package org.pcipass.plan;

import java.util.Objects;
import org.pcipass.pci.PciAddress;

/**
 * A device's binding as it was before a plan: enough to put it back.
 *
 * @param driver the bound driver, or null
 * @param override the {@code driver_override} value, or null when unset ({@code (null)})
 * @param module the bound driver's module, null when none or built in (to reload it if needed)
 * @param inPcibackSlots whether pciback's {@code slots} listed it
 */
public record DeviceState(PciAddress address, String driver, String override, String module, boolean inPcibackSlots) {
    public DeviceState {
        Objects.requireNonNull(address, "address");
    }
}
