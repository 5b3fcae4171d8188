package org.pcipass.host;

import org.pcipass.sysfs.Sysfs;

/** What this host runs as, which decides the stub driver a guest's device must sit on. */
public enum Hypervisor {
    XEN_DOM0("Xen dom0", "pciback"),
    XEN_GUEST("Xen guest (domU)", "pciback"),
    KVM("KVM", "vfio-pci"),
    NONE("none", "vfio-pci");

    private final String label;
    private final String stub;

    Hypervisor(String label, String stub) {
        this.label = label;
        this.stub = stub;
    }

    public String label() {
        return label;
    }

    /** The driver a device must be on to be ready for this hypervisor's guests. */
    public String stubDriver() {
        return stub;
    }

    /**
     * Xen when {@code hypervisor/type} says so, dom0 when {@code /proc/xen/capabilities} holds
     * {@code control_d}; KVM when {@code /dev/kvm} exists.
     */
    public static Hypervisor detect(Sysfs sys, Sysfs root) {
        if ("xen".equals(sys.read("hypervisor/type"))) {
            String caps = root.read("proc/xen/capabilities");
            return caps != null && caps.contains("control_d") ? XEN_DOM0 : XEN_GUEST;
        }
        return root.exists("dev/kvm") ? KVM : NONE;
    }
}
