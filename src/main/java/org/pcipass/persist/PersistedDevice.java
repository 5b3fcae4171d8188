package org.pcipass.persist;

import java.util.Objects;
import java.util.regex.Pattern;
import org.pcipass.pci.PciAddress;

/**
 * A device whose hide survives reboots.
 *
 * @param driver the driver it had before the hide ({@code bnx2}, {@code xhci_hcd}), null when it had none or
 *     when it is not known (a device pcipass found on its stub and adopted)
 * @param module that driver's module ({@code xhci_pci} for {@code xhci_hcd}), null when it had no
 *     driver or the driver is built into the kernel; for an adopted device, the module the configuration
 *     loads before its stub, if it names one
 */
public record PersistedDevice(PciAddress address, Stub stub, String driver, String module, DeviceIds ids)
        implements Comparable<PersistedDevice> {
    // Module names go into an install command that modprobe hands to a shell: letters, digits, - and _ only.
    private static final Pattern MODULE = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern DRIVER = Pattern.compile("[^\\s/]+");

    public PersistedDevice {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(stub, "stub");
        Objects.requireNonNull(ids, "ids");
        if (driver != null && !DRIVER.matcher(driver).matches()) {
            throw new IllegalArgumentException("invalid driver name '" + driver + "' for " + address);
        }
        if (module != null && !MODULE.matcher(module).matches()) {
            throw new IllegalArgumentException("invalid module name '" + module + "' for " + address
                    + ": letters, digits, - and _ only");
        }
    }

    /** Whether {@code name} can be a module name in an install command: letters, digits, - and _. */
    public static boolean isModuleName(String name) {
        return name != null && MODULE.matcher(name).matches();
    }

    /** Whether the original driver is built into the kernel (it has a driver but no module). */
    public boolean builtIn() {
        return driver != null && module == null;
    }

    @Override
    public int compareTo(PersistedDevice o) {
        return address.compareTo(o.address);
    }
}
