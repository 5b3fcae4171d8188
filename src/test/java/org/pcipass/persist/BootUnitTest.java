package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BootUnitTest {
    @Test
    void theUnitRunsApplyBootBeforeNetworkingAndTheHypervisor() {
        String unit = BootUnit.text("/usr/local/bin/pcipass --state-dir /var/lib/pcipass");

        assertThat(unit).contains("ExecStart=/usr/local/bin/pcipass --state-dir /var/lib/pcipass apply-boot\n")
                .contains("DefaultDependencies=no\n")
                .contains("Before=sysinit.target shutdown.target network-pre.target libvirtd.service xencommons.service")
                .contains("WantedBy=sysinit.target\n");
        assertThat(BootUnit.FILE).isEqualTo("etc/systemd/system/pcipass-apply-boot.service");
    }

    @Test
    void aRelativeCommandIsRejected() {
        assertThatThrownBy(() -> BootUnit.text("pcipass"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the boot unit needs pcipass's absolute path on one line, got 'pcipass'");
    }
}
