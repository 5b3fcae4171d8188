package org.pcipass.testing;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.FakeLibvirtState.Data;
import org.pcipass.testing.FakeLibvirtState.Dev;
import org.pcipass.testing.FakeLibvirtState.Dom;

/**
 * libvirt's rules for {@link FakeLibvirt}'s attach and detach, with libvirt 9's words: {@code
 * virDomainObjUpdateModificationImpact} (not running, transient), {@code virHostdevIsPCINodeDeviceUsed}
 * (in use by driver QEMU or xenlight), the persistent definition's duplicate and missing checks, and
 * the live "host pci device … not found". Each method returns libvirt's message, or null when libvirt
 * would go ahead.
 */
final class FakeLibvirtRules {
    private FakeLibvirtRules() {}

    static String attachProblem(Data d, String guest, Dom x, PciAddress device, Mode mode) {
        if (x.attachError != null) {
            return x.attachError;
        }
        String impact = impactProblem(x, mode);
        if (impact != null) {
            return impact;
        }
        if (mode.config() && holds(x.config, device)) {
            return "invalid argument: device is already in the domain configuration";
        }
        if (mode.live()) {
            for (Map.Entry<String, Dom> e : d.domains.entrySet()) {
                if (e.getValue().running && holds(e.getValue().live, device)) {
                    return "Requested operation is not valid: PCI device " + device + " is in use by driver "
                            + (e.getValue().hypervisor.equals("xen") ? "xenlight" : "QEMU") + ", domain " + e.getKey();
                }
            }
        }
        return null;
    }

    static String detachProblem(Dom x, PciAddress device, Mode mode) {
        String impact = impactProblem(x, mode);
        if (impact != null) {
            return impact;
        }
        if (mode.live() && !holds(x.live, device)) {
            return "operation failed: host pci device " + device + " not found";
        }
        if (mode.config() && !holds(x.config, device)) {
            return "invalid argument: device not present in domain configuration";
        }
        return null;
    }

    /** The config copy goes at once; the live one as the domain's faults say (at once by default). */
    static void detach(Dom x, PciAddress device, Mode mode) {
        if (mode.config()) {
            remove(x.config, device);
        }
        if (!mode.live() || x.detachNeverLeaves) {
            return;
        }
        if (x.detachLeavesAfterReads > 0) {
            x.leaving.putIfAbsent(device.toString(), x.detachLeavesAfterReads);
        } else {
            remove(x.live, device);
        }
    }

    /** One read of the live devices: a leaving device with no reads left goes; the others have one read less. */
    static void countDownLeaving(Dom x) {
        for (Iterator<Map.Entry<String, Integer>> it = x.leaving.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Integer> e = it.next();
            if (e.getValue() <= 0) {
                remove(x.live, PciAddress.parse(e.getKey()));
                it.remove();
            } else {
                e.setValue(e.getValue() - 1);
            }
        }
    }

    private static String impactProblem(Dom x, Mode mode) {
        if (mode.live() && !x.running) {
            return "Requested operation is not valid: domain is not running";
        }
        if (mode.config() && !x.persistent) {
            return "Requested operation is not valid: transient domains do not have any persistent config";
        }
        return null;
    }

    static boolean holds(List<Dev> devs, PciAddress device) {
        return devs.stream().anyMatch(v -> v.address.equals(device.toString()));
    }

    static void remove(List<Dev> devs, PciAddress device) {
        devs.removeIf(v -> v.address.equals(device.toString()));
    }
}
