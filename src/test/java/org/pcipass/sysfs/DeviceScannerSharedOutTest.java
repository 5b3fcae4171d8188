package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.testing.FakeHost;

/**
 * A listing shares the devices out to the scan threads a few at a time: every device must be read
 * once, whole, whatever the count (none, fewer than one share, a share and a bit, many shares), and
 * each reads as the one-device scan that {@code show} makes reads it.
 */
class DeviceScannerSharedOutTest {
    @TempDir
    Path tmp;

    @Test
    void everyDeviceIsReadOnceAndWholeWhateverTheCount() {
        for (int count : new int[] {0, 1, 15, 16, 17, 33, 150}) {
            FakeHost h = FakeHost.create(tmp.resolve("n" + count)).kvm().withIommu();
            List<PciAddress> made = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String a = String.format("0000:%02x:%02x.%d", 1 + i / 256, (i / 8) % 32, i % 8);
                h.pci(a).ids(0x8086, 0x1000 + i).subsystem(0x8086, 0x2000 + i).pciClass(0x020000).rev(i % 256)
                        .driver("e1000e", "e1000e").iommuGroup(i).build();
                made.add(PciAddress.parse(a));
            }
            DeviceScanner scanner = new DeviceScanner(new Sysfs(h.sysfs()));
            Map<PciAddress, PciDevice> all = scanner.scanDevices(false);
            assertThat(all.keySet()).as("%d devices", count).containsExactlyElementsOf(made);
            for (PciAddress a : made) {
                PciDevice listed = all.get(a);
                PciDevice shown = scanner.scanDevice(a);
                int i = made.indexOf(a);
                assertThat(listed.deviceId()).as("%s of %d", a, count).isEqualTo(0x1000 + i);
                assertThat(listed.subsystemDeviceId()).isEqualTo(shown.subsystemDeviceId()).isEqualTo(0x2000 + i);
                assertThat(listed.revision()).isEqualTo(shown.revision());
                assertThat(listed.iommuGroup()).isEqualTo(shown.iommuGroup()).isEqualTo(i);
                assertThat(listed.driver()).isEqualTo(shown.driver()).isEqualTo("e1000e");
                assertThat(listed.headerType()).isEqualTo(shown.headerType()).isZero();
            }
        }
    }
}
