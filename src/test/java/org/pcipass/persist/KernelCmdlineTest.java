package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The kernel command line's stub parameters, read as the kernel and kmod read them. */
class KernelCmdlineTest {
    private static KernelCmdline of(String text) {
        return new KernelCmdline(text, true);
    }

    @Test
    void dashesAndUnderscoresInTheModuleNameAreTheSame() {
        KernelCmdline c = of("ro vfio_pci.ids=10de:1b80 pci_stub.ids=8086:10c9 xen_pciback.hide=(0000:09:00.0)");

        assertThat(c.ids(Stub.VFIO_PCI)).containsExactly("10de:1b80");
        assertThat(c.ids(Stub.PCI_STUB)).containsExactly("8086:10c9");
        assertThat(c.hide("xen-pciback")).containsExactly("0000:09:00.0");
        assertThat(c.parameter("vfio-pci", "ids")).as("as the command line writes it").isEqualTo("vfio_pci.ids=10de:1b80");
    }

    @Test
    void theLastOccurrenceIsTheOneTheKernelKeeps() {
        KernelCmdline c = of("vfio-pci.ids=10de:1b80 quiet vfio-pci.ids=1b36:0005,1B36:0005,");

        assertThat(c.value("vfio-pci", "ids")).isEqualTo("1b36:0005,1B36:0005,");
        assertThat(c.ids(Stub.VFIO_PCI)).as("each once, empty entries dropped").containsExactly("1b36:0005");
    }

    @Test
    void quotesAreRemovedAndKeepSpacesInsideAValue() {
        KernelCmdline c = of("\"vfio-pci.ids=10de:1b80\" pci-stub.ids=\"8086:10c9\" "
                + "xen-pciback.hide=\"(0000:09:00.0) (0a:04.1)\"");

        assertThat(c.ids(Stub.VFIO_PCI)).containsExactly("10de:1b80");
        assertThat(c.ids(Stub.PCI_STUB)).containsExactly("8086:10c9");
        assertThat(c.hide("xen-pciback")).containsExactly("0000:09:00.0", "0000:0a:04.1");
    }

    @Test
    void hideEntriesBecomeFullAddressesAndWildcardsStayAsWritten() {
        KernelCmdline c = of("pciback.hide=(0A:04.1)(0000:0b:*.*)(09:00.0)(0000:09:00.0)");

        assertThat(c.hide("pciback")).containsExactly("0000:0a:04.1", "0000:0b:*.*", "0000:09:00.0");
        assertThat(c.hide("xen-pciback")).as("another module's parameter").isEmpty();
    }

    /**
     * Only what pcipass's own line can carry is merged (a block it cannot read back would get a second
     * options line at the next edit, and the kernel keeps the last): vendor:device pairs, also written
     * with "any" subvendor and subdevice; entries with their own subvendor, subdevice or class, or with
     * a quoted space, are left out and named.
     */
    @Test
    void onlyVendorDevicePairsAreMergedAndTheRestIsNamed() {
        KernelCmdline c = of("vfio-pci.ids=\"8086:10d3:ffffffff:ffffffff:020000:ffff00,8086:10D3,1b36:5,"
                + "10de:1b80:ffffffff:ffffffff,10de:1b81:1043:8599,8086:1533 foo\"");
        assertThat(c.ids(Stub.VFIO_PCI)).containsExactly("8086:10d3", "1b36:0005", "10de:1b80");
        assertThat(c.unusableIds(Stub.VFIO_PCI)).containsExactly("8086:10d3:ffffffff:ffffffff:020000:ffff00",
                "10de:1b81:1043:8599", "8086:1533 foo");
        KernelCmdline h = of("xen-pciback.hide=\"(09:00.0)(0a:*.*)(0000:0b:00.*)(a b)(zz:00.0)\"");
        assertThat(h.hide("xen-pciback")).containsExactly("0000:09:00.0", "0a:*.*", "0000:0b:00.*");
        assertThat(h.unusableHide("xen-pciback")).containsExactly("a b", "zz:00.0");
    }

    @Test
    void aParameterThatIsNotThereIsNull() {
        KernelCmdline c = of("BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=1234 ro quiet intel_iommu=on vfio-pci.disable_vga=1");

        assertThat(c.value("vfio-pci", "ids")).isNull();
        assertThat(c.parameter("vfio-pci", "ids")).isNull();
        assertThat(c.ids(Stub.VFIO_PCI)).isEmpty();
        assertThat(KernelCmdline.NONE.hide("pciback")).isEmpty();
        assertThat(new KernelCmdline(null, true).text()).isEmpty();
    }
}
