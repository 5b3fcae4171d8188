/**
 * Persistence of hides across reboots: pcipass's block in the modprobe configuration (the seed's
 * {@code install}/{@code options pciback hide=} lines, {@code options vfio-pci ids=} and
 * {@code softdep}), kernel command-line advice, boot re-apply, and the one atomic file writer.
 */
package org.pcipass.persist;
