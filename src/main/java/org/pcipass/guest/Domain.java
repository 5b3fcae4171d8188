package org.pcipass.guest;

import java.util.Objects;

/**
 * A guest as its hypervisor describes it, what the planner needs to choose a mode and apply the
 * seed's limits.
 *
 * @param name the domain's name
 * @param hypervisor {@code xen} or {@code kvm} (libvirt's {@code <domain type>}: {@code qemu} counts as kvm;
 *     the test driver's {@code test} is kept as it is)
 * @param running whether it runs now (live changes are possible)
 * @param persistent whether it has a persistent definition (config changes are possible); xl: false
 * @param paravirtualized Xen PV (true), HVM or KVM (false)
 * @param hotplugReady Xen only: whether it can take a hot-plugged PCI device (created with PCI devices or
 *     with passthrough enabled, sync_pt or share_pt); null where the question does not apply or is unknown
 * @param osId the libosinfo OS id from the domain's metadata (e.g. {@code http://redhat.com/rhel/6.10}), or null
 */
public record Domain(String name, String hypervisor, boolean running, boolean persistent, boolean paravirtualized,
        Boolean hotplugReady, String osId) {
    public Domain {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hypervisor, "hypervisor");
    }

    public boolean xen() {
        return hypervisor.equals("xen");
    }
}
