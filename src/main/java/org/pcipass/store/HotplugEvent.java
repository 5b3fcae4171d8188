package org.pcipass.store;

import java.time.Instant;
import org.pcipass.pci.PciAddress;

/** A successful live attach or detach of a device: what the hotplug guard counts. */
public record HotplugEvent(PciAddress device, String op, String guest, Instant at) {}
