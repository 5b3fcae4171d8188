package org.pcipass.testing;

import java.nio.file.Path;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.GuestException;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;

/**
 * One {@link FakeLibvirt} call from another process, for FakeLibvirtTest:
 * {@code FakeLibvirtMain DIR URI attach|detach GUEST DEVICE MODE} prints {@code ok} and exits 0, or
 * prints the GuestException's message and exits 1.
 */
public final class FakeLibvirtMain {
    private FakeLibvirtMain() {}

    public static void main(String[] args) {
        try (GuestBackend b = FakeLibvirt.at(Path.of(args[0])).backends().open("libvirt", args[1])) {
            PciAddress device = PciAddress.parse(args[4]);
            Mode mode = Mode.parse(args[5]);
            if (args[2].equals("attach")) {
                b.attach(args[3], device, mode);
            } else {
                b.detach(args[3], device, mode);
            }
            System.out.println("ok");
        } catch (GuestException e) {
            System.out.println(e.getMessage());
            System.exit(1);
        }
    }
}
