package org.pcipass.cli;

import java.io.PrintStream;
import java.util.List;
import org.pcipass.PcipassException;
import org.pcipass.guest.LibvirtConfig;
import org.pcipass.guest.NodedevXml;
import org.pcipass.guest.XlConfig;
import org.pcipass.host.Assessment;
import org.pcipass.host.HostSnapshot;
import org.pcipass.host.Hypervisor;
import org.pcipass.host.RedHatRelease;
import org.pcipass.host.Verdict;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;

/**
 * {@code pcipass config}'s guest formats: libvirt, nodedev, virsh, virt-install, xl, xl-attach. Prints
 * for any device on any host (exit 0); what would stop the configuration from working goes to
 * stderr as warnings, so that stdout is only what is pasted or run.
 *
 * @param guest a name {@link org.pcipass.guest.GuestName} accepted, or null
 * @param driver the {@code --driver} given, or null: pciback asks for the Xen form, vfio-pci the KVM one
 */
record GuestConfig(String format, String guest, String driver, boolean managed) {
    static final List<String> FORMATS = List.of("libvirt", "nodedev", "virsh", "virt-install", "xl", "xl-attach");
    private static final List<String> LIBVIRT = List.of("libvirt", "virsh", "virt-install");
    private static final List<String> XL = List.of("xl", "xl-attach");

    /** Checks that the options fit the format; bad input (exit 2) otherwise. */
    GuestConfig {
        checkManaged(format, managed);
        if (driver != null) {
            checkDriver(format, driver);
        }
    }

    /** {@code --managed} is libvirt's attribute: with any other format (modprobe included) it is bad input. */
    static void checkManaged(String format, boolean managed) {
        if (managed && !LIBVIRT.contains(format)) {
            throw new PcipassException.BadInput("--managed applies to --format libvirt, virsh and virt-install"
                    + " (libvirt's managed='yes'), not to --format " + format + "; leave it out");
        }
    }

    private static void checkDriver(String format, String driver) {
        if (format.equals("nodedev")) {
            throw new PcipassException.BadInput("--driver does not apply to --format nodedev: it describes the"
                    + " device as it is; leave --driver out");
        }
        if (XL.contains(format) && !driver.equals("pciback")) {
            throw new PcipassException.BadInput("--driver " + driver + " does not apply to --format " + format
                    + ": xl gives guests only devices pciback holds; give --driver pciback or leave it out");
        }
        if (driver.equals("pci-stub")) {
            throw new PcipassException.BadInput("--driver pci-stub does not apply to --format " + format
                    + ": libvirt gives KVM guests devices from vfio-pci and Xen guests devices from pciback;"
                    + " give --driver vfio-pci or --driver pciback");
        }
    }

    int print(HostSnapshot host, List<PciAddress> devices, PrintStream out, PrintStream err) {
        List<PciDevice> found = devices.stream().map(host::device).toList(); // an unknown address is bad input
        if (format.equals("nodedev")) {
            devices.forEach(a -> out.print(NodedevXml.render(host, host.deviceInFull(a))));
            return 0;
        }
        boolean xen = XL.contains(format) || (driver == null ? host.hypervisor() == Hypervisor.XEN_DOM0
                : driver.equals("pciback"));
        out.print(switch (format) {
            case "libvirt" -> LibvirtConfig.hostdevs(devices, xen, managed);
            case "virsh" -> LibvirtConfig.virsh(devices, guest, xen, managed);
            case "virt-install" -> LibvirtConfig.virtInstall(devices, xen, managed);
            case "xl" -> XlConfig.cfg(devices);
            default -> XlConfig.attach(devices, guest);
        });
        new Warnings(host, devices, err).all(found, xen ? "pciback" : "vfio-pci");
        if (format.equals("xl")) {
            String whose = guest == null ? "the guest's" : guest + "'s";
            err.println("pcipass: note: add these lines to " + whose + " xl.cfg; they take effect when "
                    + (guest == null ? "it" : guest) + " is next created (xl create); for a running guest use"
                    + " --format xl-attach");
        }
        return 0;
    }

    /** What would keep the printed configuration from working, one stderr line each. */
    private final class Warnings {
        private final HostSnapshot host;
        private final List<PciAddress> devices;
        private final PrintStream err;

        Warnings(HostSnapshot host, List<PciAddress> devices, PrintStream err) {
            this.host = host;
            this.devices = devices;
            this.err = err;
        }

        void all(List<PciDevice> found, String stub) {
            for (PciDevice d : found) {
                Assessment a = host.assessment(d.address());
                if (blocks(a.verdict())) {
                    warn(d.address() + " is " + a.verdict().json() + ": " + String.join("; ", a.reasons()));
                    continue;
                }
                groupSiblings(d);
                stub(d, stub);
            }
            rhel5(host);
        }

        private static boolean blocks(Verdict v) {
            return v != Verdict.READY && v != Verdict.ASSIGNABLE;
        }

        /** A group member left on a host driver keeps the group from being viable (KVM). */
        private void groupSiblings(PciDevice d) {
            for (PciAddress m : host.groupMembers(d)) {
                if (!m.equals(d.address()) && !devices.contains(m) && host.blocksViability(m)) {
                    warn(d.address() + " shares IOMMU group " + d.iommuGroup() + " with " + m + " (driver "
                            + host.devices().get(m).driver() + "): give the guest both (list " + m
                            + " too; pcipass hide " + d.address() + " --with-group)");
                }
            }
        }

        /**
         * A {@code managed='no'} hostdev and xl need the device on the stub before the guest gets it;
         * virsh's script detaches it itself, and libvirt does so for a managed one.
         */
        private void stub(PciDevice d, String stub) {
            if (managed || format.equals("virsh") || stub.equals(d.driver())) {
                return;
            }
            String now = d.driver() == null ? "has no driver" : "is on " + d.driver();
            String why = XL.contains(format) ? "xl gives guests only devices pciback holds"
                    : "libvirt leaves a managed='no' device where it is, and the guest needs it on " + stub;
            warn(d.address() + " " + now + ", not " + stub + ": " + why + "; first run: pcipass hide " + d.address()
                    + " --driver " + stub);
        }

        /** The seed's limit, for a RHEL 5 root seen through --config-root. */
        private void rhel5(HostSnapshot host) {
            RedHatRelease r = RedHatRelease.of(host.configRoot());
            if (r != null && r.lacksHvmPassthrough()) {
                warn(host.configRoot().path(RedHatRelease.FILE) + " says " + r + ": HVM (fully virtualized) guests"
                        + " can be given PCI devices from RHEL 5.4 on, para-virtualized guests on any RHEL 5;"
                        + " update to RHEL 5.4 or newer before giving these devices to an HVM guest");
            }
        }

        private void warn(String text) {
            err.println("pcipass: warning: " + text);
        }
    }
}
