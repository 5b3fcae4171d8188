package org.pcipass.plan;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.pci.PciAddress;

/**
 * Turns what a command persists into file edits (modprobe configuration) and advice.
 * Implemented in {@code persist}.
 */
public interface Persistence {
    /**
     * The edits that make the configuration persist the devices in {@code persist} and no longer
     * persist those in {@code unpersist}, every other device's lines left as they are; none when
     * nothing changes.
     *
     * @param previous the registry's persisted records before the command
     * @param next the registry's persisted records after it
     * @param notes receives advice the user must act on (kernel command line, initramfs, boot re-apply)
     * @throws org.pcipass.PcipassException.Refused when a line outside pcipass's block conflicts
     * @throws org.pcipass.PcipassException (exit 1) when the configuration and the registry disagree
     *     in a way the edit cannot reconcile
     */
    List<Step.Edit> edits(Map<PciAddress, HiddenDevice> previous, Map<PciAddress, HiddenDevice> next,
            Set<PciAddress> persist, Set<PciAddress> unpersist, List<String> notes);

    /**
     * The module the configuration loads before {@code stub} for a device pcipass finds there but did
     * not hide, when it can only be that device's; null when the configuration names none, or
     * several devices could be its.
     *
     * @param registry the registry as it is (its records account for their own modules)
     */
    default String adoptedModule(PciAddress device, String stub, Map<PciAddress, HiddenDevice> registry) {
        return null;
    }

    /** No persistence: for plans that do not touch configuration. */
    Persistence NONE = (previous, next, persist, unpersist, notes) -> List.of();
}
