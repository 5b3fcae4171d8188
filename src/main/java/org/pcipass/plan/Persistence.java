package org.pcipass.plan;

import java.util.List;
import java.util.Map;
import org.pcipass.pci.PciAddress;

/**
 * Turns the set of devices that must stay hidden across reboots into file edits (modprobe
 * configuration) and advice. Implemented in {@code persist}.
 */
public interface Persistence {
    /**
     * The edits that take the configuration from saying {@code previous} to saying {@code next};
     * none when nothing changes.
     *
     * @param notes receives advice the user must act on (kernel command line, initramfs, boot re-apply)
     * @throws org.pcipass.PcipassException.Refused when a line outside pcipass's block conflicts
     */
    List<Step.Edit> edits(Map<PciAddress, HiddenDevice> previous, Map<PciAddress, HiddenDevice> next,
            List<String> notes);

    /** No persistence: for plans that do not touch configuration. */
    Persistence NONE = (previous, next, notes) -> List.of();
}
