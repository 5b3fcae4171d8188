package org.pcipass.cli;

import java.util.List;

/** What each verdict means, for {@code --help}. */
final class VerdictHelp {
    private VerdictHelp() {}

    static final List<String> NOTES = List.of("""
            Verdicts (first match wins):
              not-endpoint   a PCI-to-PCI or CardBus bridge, or a host or ISA/LPC bridge: stays with the host
              host-critical  the host depends on it: /, /boot, /usr or /var, active swap, the default route,
                             the boot console; or an SR-IOV PF whose enabled VFs depend on it
              group-blocked  its IOMMU group holds a host-critical device or a bound host/ISA bridge
              assigned       a guest owns it
              no-iommu       a KVM host without an active IOMMU: vfio-pci refuses every device
              ready          on the hypervisor's stub driver (pciback in a Xen dom0, vfio-pci on KVM), group viable
              assignable     hide would succeed; "needs --with-group" names siblings that must move with it""".strip());
}
