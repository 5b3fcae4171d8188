package org.pcipass.guest;

import java.util.List;
import org.pcipass.pci.PciAddress;

/**
 * Xen's xl by hand: the xl.cfg lines that give a guest its devices when it is created, and the
 * {@code xl pci-attach} commands that hot-plug them into a running one.
 */
public final class XlConfig {
    /**
     * Lets the guest take hot-plugged devices later too: without it a guest created with no
     * {@code pci} list answers {@code xc_assign_device failed: Operation not supported}.
     */
    public static final String PASSTHROUGH = "passthrough = \"enabled\"";

    private XlConfig() {}

    /**
     * xl.cfg(5)'s {@code pci = [ '0000:09:00.0', '0000:06:01.0' ]} (bare addresses: no options) and
     * {@link #PASSTHROUGH}, a line each.
     */
    public static String cfg(List<PciAddress> devices) {
        StringBuilder b = new StringBuilder("pci = [ ");
        for (int i = 0; i < devices.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('\'').append(devices.get(i)).append('\'');
        }
        return b.append(" ]\n").append(PASSTHROUGH).append('\n').toString();
    }

    /**
     * {@code xl pci-attach GUEST 0000:09:00.0}, one per device.
     *
     * @param guest a name {@link GuestName} accepted, or null for {@link LibvirtConfig#GUEST_PLACEHOLDER}
     */
    public static String attach(List<PciAddress> devices, String guest) {
        String g = ShellWord.quote(guest == null ? LibvirtConfig.GUEST_PLACEHOLDER : GuestName.check(guest));
        StringBuilder b = new StringBuilder();
        devices.forEach(d -> b.append("xl pci-attach ").append(g).append(' ').append(d).append('\n'));
        return b.toString();
    }
}
