package org.pcipass.plan;

import java.util.List;
import java.util.Map;
import org.pcipass.pci.PciAddress;

/**
 * Turns the set of devices that must stay hidden across reboots into file edits (modprobe
 * configuration, boot re-apply records) and advice. Implemented in {@code persist}.
 */
public interface Persistence {
    /**
     * The edits that make the configuration say exactly {@code persisted}; none when it already
     * does.
     *
     * @param notes receives advice the user must act on (kernel command line, initramfs)
     * @throws org.pcipass.PcipassException.Refused when a line outside pcipass's block conflicts
     */
    List<Step.Edit> edits(Map<PciAddress, HiddenDevice> persisted, List<String> notes);

    /** No persistence: for plans that do not touch configuration. */
    Persistence NONE = (persisted, notes) -> List.of();
}
