package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;

class XlConfigTest {
    private static final List<PciAddress> TWO = List.of(PciAddress.parse("09:00.0"), PciAddress.parse("06:01.0"));

    @Test
    void theCfgLinesAreTheBareAddressesAndPassthrough() {
        assertThat(XlConfig.cfg(TWO)).isEqualTo("pci = [ '0000:09:00.0', '0000:06:01.0' ]\npassthrough = \"enabled\"\n");
        assertThat(XlConfig.cfg(TWO.subList(0, 1))).isEqualTo("pci = [ '0000:09:00.0' ]\npassthrough = \"enabled\"\n");
    }

    @Test
    void attachIsOneCommandPerDevice() {
        assertThat(XlConfig.attach(TWO, "web-01")).isEqualTo("xl pci-attach web-01 0000:09:00.0\n"
                + "xl pci-attach web-01 0000:06:01.0\n");
        assertThat(XlConfig.attach(TWO.subList(0, 1), null)).isEqualTo("xl pci-attach GUEST 0000:09:00.0\n");
    }

    @Test
    void aHostileGuestNeverReachesTheCommand() {
        assertThatThrownBy(() -> XlConfig.attach(TWO, "$(reboot)")).isInstanceOf(PcipassException.BadInput.class);
    }
}
