package org.pcipass.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.sysfs.Usage;

/** Computes every device's verdict (DESIGN.md's rules, first match wins) with reasons in words. */
final class Assessor {
    private final HostSnapshot host;
    private final Map<PciAddress, List<String>> critical = new HashMap<>();

    Assessor(HostSnapshot host) {
        this.host = host;
    }

    Map<PciAddress, Assessment> assessAll() {
        for (PciDevice d : host.devices().values()) {
            critical.put(d.address(), host.criticalReasons(d));
        }
        Map<PciAddress, Assessment> out = new HashMap<>();
        for (PciDevice d : host.devices().values()) {
            out.put(d.address(), assess(d));
        }
        return out;
    }

    private Assessment assess(PciDevice d) {
        String notEndpoint = notEndpointReason(d);
        if (notEndpoint != null) {
            return new Assessment(Verdict.NOT_ENDPOINT, List.of(notEndpoint));
        }
        List<String> crit = critical.get(d.address());
        if (!crit.isEmpty()) {
            return new Assessment(Verdict.HOST_CRITICAL, crit);
        }
        List<String> blocked = groupBlockers(d);
        if (!blocked.isEmpty()) {
            return new Assessment(Verdict.GROUP_BLOCKED, blocked);
        }
        org.pcipass.store.Owners.Owner owner = host.owner(d.address());
        if (owner != null) {
            return new Assessment(Verdict.ASSIGNED, List.of("assigned to guest " + owner.guest() + (owner.external()
                    ? " by another tool (external)" : "")));
        }
        Hypervisor hv = host.hypervisor();
        if (hv != Hypervisor.XEN_DOM0) {
            if (!host.iommuActive()) {
                return new Assessment(Verdict.NO_IOMMU, List.of(
                        "no active IOMMU: vfio-pci refuses every device; enable VT-d/AMD-Vi in the firmware and boot"
                                + " with intel_iommu=on (Intel; AMD's IOMMU is on unless amd_iommu=off)"));
            }
            if (d.iommuGroup() == null) {
                return new Assessment(Verdict.NO_IOMMU, List.of(
                        "in no IOMMU group although the IOMMU is active: vfio-pci refuses it"));
            }
        }
        List<String> reasons = new ArrayList<>();
        List<String> siblings = siblingsOnHostDrivers(d);
        reasons.addAll(siblings);
        reasons.addAll(notes(d));
        if (hv == Hypervisor.XEN_DOM0) {
            reasons.add("Xen dom0: a PV guest given this device can reach dom0 memory by DMA unless Xen's IOMMU"
                    + " is on (see pcipass check)");
        }
        boolean onStub = hv.stubDriver().equals(d.driver());
        if (onStub && siblings.isEmpty()) {
            Integer g = d.iommuGroup();
            reasons.add(0, "on " + d.driver() + (g == null ? "" : "; IOMMU group " + g + " is viable"));
            return new Assessment(Verdict.READY, reasons);
        }
        return new Assessment(Verdict.ASSIGNABLE, reasons);
    }

    private static String notEndpointReason(PciDevice d) {
        if (d.isPciBridge()) {
            return "PCI-to-PCI bridge (" + header(d) + "): stays with the host";
        }
        if (d.isCardBusBridge()) {
            return "CardBus bridge (" + header(d) + "): stays with the host";
        }
        if (d.isHostOrIsaBridge()) {
            return (d.classCode() >>> 8 == 0x0600 ? "host bridge" : "ISA/LPC bridge")
                    + String.format(Locale.ROOT, " (class %04x): never handed to a guest", d.classCode() >>> 8);
        }
        return null;
    }

    /** What makes it a bridge: its header type, or its class when {@code config} could not be read. */
    private static String header(PciDevice d) {
        return d.headerType() != null ? "header type " + d.headerType()
                : String.format(Locale.ROOT, "class %04x; config unreadable", d.classCode() >>> 8);
    }

    /** Group members that can never leave the host: host-critical devices and bound host/ISA bridges. */
    private List<String> groupBlockers(PciDevice d) {
        List<String> out = new ArrayList<>();
        for (PciAddress a : host.groupMembers(d)) {
            PciDevice m = host.devices().get(a);
            if (m == null || a.equals(d.address())) {
                continue;
            }
            List<String> why = critical.get(a);
            if (!why.isEmpty()) {
                out.add("IOMMU group " + d.iommuGroup() + " also holds host-critical " + a + " (" + why.get(0) + ")");
            } else if (m.isHostOrIsaBridge() && m.driver() != null && !m.isBridgeHeader()) {
                String kind = m.classCode() >>> 8 == 0x0600 ? "host bridge" : "ISA/LPC bridge";
                out.add("IOMMU group " + d.iommuGroup() + " also holds " + kind + " " + a + " bound to driver "
                        + m.driver());
            }
        }
        return out;
    }

    private List<String> siblingsOnHostDrivers(PciDevice d) {
        List<String> out = new ArrayList<>();
        for (PciAddress a : host.groupMembers(d)) {
            if (!a.equals(d.address()) && host.blocksViability(a)) {
                out.add("needs --with-group: shares group " + d.iommuGroup() + " with " + a + " (driver "
                        + host.devices().get(a).driver() + ")");
            }
        }
        return out;
    }

    /** Facts worth knowing before hiding the device. */
    private List<String> notes(PciDevice d) {
        List<String> out = new ArrayList<>();
        Hypervisor hv = host.hypervisor();
        if ("pci-stub".equals(d.driver()) && !hv.stubDriver().equals("pci-stub")) {
            out.add("on pci-stub: hidden from the host, but " + hv.label() + " guests need " + hv.stubDriver());
        } else if ("vfio-pci".equals(d.driver()) && hv == Hypervisor.XEN_DOM0) {
            out.add("on vfio-pci: hidden from dom0, but Xen guests need pciback");
        } else if ("pciback".equals(d.driver()) && hv != Hypervisor.XEN_DOM0) {
            out.add("on pciback: hidden from the host, but " + hv.label() + " guests need vfio-pci");
        }
        for (Usage u : host.usage(d.address())) {
            if (!u.isCritical() && u.kind().equals(Usage.BLOCK) && u.detail().startsWith("mounted at ")) {
                out.add("in use by the host: " + u.name() + " " + u.detail() + " (unmount it before hiding)");
            } else if (!u.isCritical() && u.kind().equals(Usage.SWAP)) {
                out.add("in use by the host: " + u.detail());
            } else if (!u.isCritical() && u.kind().equals(Usage.NET) && u.detail().startsWith("reaches the ")) {
                out.add("in use by the host: " + u.name() + " " + u.detail() + " (unmount it before hiding)");
            }
        }
        return out;
    }
}
