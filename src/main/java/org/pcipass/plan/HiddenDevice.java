package org.pcipass.plan;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.pcipass.pci.PciAddress;

/**
 * A device pcipass has hidden: what it was given to and where it came from, so that unhide returns
 * it to exactly that driver.
 *
 * @param stub the stub driver it was bound to (pciback, vfio-pci, pci-stub)
 * @param originalDriver the driver it had before pcipass first hid it, or null when it had none
 * @param originalModule that driver's module, or null when built in or none
 * @param vendorId vendor id, 4 hex digits (for id-based persistence)
 * @param deviceId device id, 4 hex digits
 * @param persisted whether the hide was written to the modprobe configuration
 * @param adopted pcipass found it on its stub (hidden at boot, or by hand) and took it over: its original
 *     driver is not known, so unhide lets the kernel pick (drivers_probe), after loading
 *     {@code originalModule} when the configuration named one
 */
public record HiddenDevice(PciAddress address, String stub, String originalDriver, String originalModule,
        String vendorId, String deviceId, boolean persisted, boolean adopted) {
    public HiddenDevice {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(stub, "stub");
        if (adopted && originalDriver != null) {
            throw new IllegalArgumentException("originalDriver: an adopted device's is not known, yet '" + originalDriver
                    + "' is given for " + address);
        }
    }

    /** The records of {@code registry} whose hide is persisted, in address order. */
    public static Map<PciAddress, HiddenDevice> persisted(Map<PciAddress, HiddenDevice> registry) {
        Map<PciAddress, HiddenDevice> out = new TreeMap<>();
        registry.forEach((a, h) -> {
            if (h.persisted()) {
                out.put(a, h);
            }
        });
        return out;
    }

    /** The same record, persisted or not. */
    public HiddenDevice withPersisted(boolean p) {
        return new HiddenDevice(address, stub, originalDriver, originalModule, vendorId, deviceId, p, adopted);
    }
}
