package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;

class LibvirtConfigTest {
    private static final PciAddress BNX2 = PciAddress.parse("0000:09:00.0");
    private static final PciAddress E1000 = PciAddress.parse("0000:0a:04.1");
    private static final PciAddress VMD = PciAddress.parse("10000:e1:1f.7");

    @Test
    void theXenFormCarriesTheXenDriverAndIsUnmanaged() {
        assertThat(LibvirtConfig.hostdevs(List.of(BNX2), true, false)).isEqualTo("""
                <hostdev mode='subsystem' type='pci' managed='no'>
                  <driver name='xen'/>
                  <source>
                    <address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>
                  </source>
                </hostdev>
                """);
    }

    @Test
    void theKvmFormHasNoDriverLineAndManagedIsAsked() {
        assertThat(LibvirtConfig.hostdevs(List.of(E1000, VMD), false, true)).isEqualTo("""
                <hostdev mode='subsystem' type='pci' managed='yes'>
                  <source>
                    <address domain='0x0000' bus='0x0a' slot='0x04' function='0x1'/>
                  </source>
                </hostdev>
                <hostdev mode='subsystem' type='pci' managed='yes'>
                  <source>
                    <address domain='0x10000' bus='0xe1' slot='0x1f' function='0x7'/>
                  </source>
                </hostdev>
                """);
    }

    @Test
    void virshDetachesWritesTheFileAndAttachesLiveAndConfig() {
        assertThat(LibvirtConfig.virsh(List.of(BNX2), "vm1", false, false)).isEqualTo("""
                virsh nodedev-detach pci_0000_09_00_0 --driver vfio
                cat > hostdev-0000_09_00_0.xml <<'EOF'
                <hostdev mode='subsystem' type='pci' managed='no'>
                  <source>
                    <address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>
                  </source>
                </hostdev>
                EOF
                virsh attach-device vm1 hostdev-0000_09_00_0.xml --live --config
                """);
    }

    @Test
    void aManagedHostdevIsDetachedByLibvirtNotByTheScriptAndNoGuestIsAPlaceholder() {
        String s = LibvirtConfig.virsh(List.of(BNX2), null, true, true);

        assertThat(s).doesNotContain("nodedev-detach").contains("managed='yes'")
                .endsWith("virsh attach-device GUEST hostdev-0000_09_00_0.xml --live --config\n");
    }

    @Test
    void aHostileGuestNeverReachesTheScript() {
        assertThatThrownBy(() -> LibvirtConfig.virsh(List.of(BNX2), "vm1; reboot", true, false))
                .isInstanceOf(PcipassException.BadInput.class).hasMessageStartingWith("guest name 'vm1; reboot' holds ';'");
    }

    @Test
    void virtInstallSetsManagedOnlyWhereItsDefaultDiffers() {
        // virt-install writes managed='no' on a Xen connection and managed='yes' elsewhere
        assertThat(LibvirtConfig.virtInstall(List.of(BNX2, E1000), true, false))
                .isEqualTo("--host-device=pci_0000_09_00_0\n--host-device=pci_0000_0a_04_1\n");
        assertThat(LibvirtConfig.virtInstall(List.of(BNX2), false, false))
                .isEqualTo("--host-device=pci_0000_09_00_0,xpath.set=./@managed=no\n");
        assertThat(LibvirtConfig.virtInstall(List.of(BNX2), true, true))
                .isEqualTo("--host-device=pci_0000_09_00_0,xpath.set=./@managed=yes\n");
        assertThat(LibvirtConfig.virtInstall(List.of(BNX2), false, true)).isEqualTo("--host-device=pci_0000_09_00_0\n");
    }
}
