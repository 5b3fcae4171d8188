package org.pcipass.guest;

import java.util.List;
import org.pcipass.pci.PciAddress;

/**
 * What people paste into libvirt by hand: the domain's {@code <hostdev>} elements, the virsh
 * commands that detach and attach them, virt-install's options.
 *
 * <p>{@code managed='no'} unless asked: pcipass (or the admin) owns the binding, and libvirt must
 * not give the device back to the host when the guest stops. The Xen form carries
 * {@code <driver name='xen'/>} (pciback); the KVM form none (libvirt picks VFIO, vfio-pci).
 */
public final class LibvirtConfig {
    /** Used where the format takes a guest and none was given. */
    public static final String GUEST_PLACEHOLDER = "GUEST";

    private LibvirtConfig() {}

    /** Each device's {@code <hostdev>} element, one after another, for a domain's {@code <devices>}. */
    public static String hostdevs(List<PciAddress> devices, boolean xen, boolean managed) {
        StringBuilder b = new StringBuilder();
        devices.forEach(d -> b.append(hostdev(d, xen, managed)));
        return b.toString();
    }

    /** The domain XML's hostdev ({@link HostdevXml}, the element pcipass itself attaches), with a newline. */
    static String hostdev(PciAddress d, boolean xen, boolean managed) {
        return HostdevXml.hostdev(d, xen, managed) + "\n";
    }

    /**
     * A shell script: per device, {@code virsh nodedev-detach} (unless managed: libvirt detaches it
     * then), the hostdev written to {@code hostdev-0000_09_00_0.xml} by a here-document, and
     * {@code virsh attach-device GUEST FILE --live --config}.
     *
     * @param guest a name {@link GuestName} accepted, or null for {@link #GUEST_PLACEHOLDER}
     */
    public static String virsh(List<PciAddress> devices, String guest, boolean xen, boolean managed) {
        String g = ShellWord.quote(guest == null ? GUEST_PLACEHOLDER : GuestName.check(guest));
        StringBuilder b = new StringBuilder();
        for (PciAddress d : devices) {
            String file = ShellWord.quote("hostdev-" + d.nodedevName().substring("pci_".length()) + ".xml");
            if (!managed) {
                b.append("virsh nodedev-detach ").append(d.nodedevName()).append(" --driver ")
                        .append(xen ? "xen" : "vfio").append('\n');
            }
            // a quoted delimiter: the shell expands nothing in the document
            b.append("cat > ").append(file).append(" <<'EOF'\n").append(hostdev(d, xen, managed)).append("EOF\n");
            b.append("virsh attach-device ").append(g).append(' ').append(file).append(" --live --config\n");
        }
        return b.toString();
    }

    /**
     * virt-install's {@code --host-device=pci_0000_09_00_0}, one per device. virt-install writes
     * {@code managed='no'} on a Xen connection and {@code managed='yes'} elsewhere and has no
     * sub-option for it: where its default is not what is asked, an {@code xpath.set} (virt-install
     * 4.0 and newer) sets it.
     */
    public static String virtInstall(List<PciAddress> devices, boolean xen, boolean managed) {
        String fix = managed == xen ? ",xpath.set=./@managed=" + (managed ? "yes" : "no") : "";
        StringBuilder b = new StringBuilder();
        devices.forEach(d -> b.append("--host-device=").append(d.nodedevName()).append(fix).append('\n'));
        return b.toString();
    }
}
