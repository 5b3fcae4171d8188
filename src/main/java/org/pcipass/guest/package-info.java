/**
 * Guests: the hypervisor backends (libvirt through libvirt-java, Xen's xl through the command
 * runner) behind {@link org.pcipass.guest.GuestBackend}, assignments, the hotplug guard, hostdev XML
 * and xl's PCI spec strings.
 */
package org.pcipass.guest;
