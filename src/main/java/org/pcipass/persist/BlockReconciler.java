package org.pcipass.persist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;

/**
 * Edits pcipass's block when it does not say what the registry says (the registry was lost or
 * moved aside, a line was removed or added by hand): only the lines of the devices the command
 * changes are edited, and the block is the truth for every other device. Where that cannot be
 * done without dropping a device the registry does not know, it refuses (exit 1, nothing changed).
 */
final class BlockReconciler {
    private final PersistTarget target;
    private final String where;
    private final Map<PciAddress, PersistedDevice> previous;
    private final Map<PciAddress, PersistedDevice> next;
    private final PersistPlanner.Change change;
    private final Map<PciAddress, DeviceIds> present;
    private final PersistedBlock block;
    private final KernelCmdline cmdline;
    /** The rendering of {@code previous}: where the registry's records would put each device. */
    private final ModprobeLines.Rendering registry;
    /** The stubs whose lines hid each present device before the command. */
    private final Map<PciAddress, Set<Stub>> covered = new TreeMap<>();
    /** Every device hidden at boot after the command: by the registry or by the block. */
    private final Set<PciAddress> kept = new TreeSet<>();

    BlockReconciler(PersistTarget target, ModprobeFile file, Collection<PersistedDevice> previous,
            Collection<PersistedDevice> next, PersistPlanner.Change change, Map<PciAddress, DeviceIds> present,
            KernelCmdline cmdline, ModprobeLines.Rendering registry) {
        this.target = target;
        this.where = file.name() + "'s pcipass block";
        this.previous = PersistPlanner.byAddress(previous);
        this.next = PersistPlanner.byAddress(next);
        this.change = change;
        this.present = present;
        this.block = PersistedBlock.parse(file.blockBody());
        this.cmdline = cmdline;
        this.registry = registry;
        present.forEach((a, id) -> {
            Set<Stub> s = block.covering(a, id);
            if (!s.isEmpty()) {
                covered.put(a, s);
            }
        });
        kept.addAll(this.next.keySet());
        kept.addAll(covered.keySet());
        kept.removeAll(change.unpersist());
    }

    /** Ids of present devices that stay on the host: an ids= line would take them too. */
    Set<DeviceIds> shared() {
        return PersistPlanner.shared(present, kept);
    }

    /**
     * The block's new body: the changed devices' lines edited, everything else as it was.
     *
     * @param notes receives what the user should know about devices the file and the registry disagree on
     * @throws PcipassException (exit 1) where the edit would drop a device pcipass has no record of
     */
    List<String> body(List<String> notes) {
        List<String> refusals = new ArrayList<>();
        block.unreadableStubOptions().forEach(l -> refusals.add(where + " has the line '" + l.strip() + "', which"
                + " pcipass cannot read as the devices or ids it hides (pcipass writes one hide= entry per device and"
                + " vendor:device pairs): edit it by hand, then run again"));
        Set<PciAddress> targets = new TreeSet<>(change.unpersist());
        targets.addAll(change.persist());
        for (PciAddress a : targets) {
            uncover(a, refusals);
        }
        List<PersistedDevice> persisted = change.persist().stream().map(next::get).filter(d -> d != null).toList();
        block.add(PersistedBlock.parse(PersistPlanner.render(target, persisted, shared(), cmdline).lines()));
        for (PciAddress x : covered.keySet()) {
            // a registry device that loses its ids= line is hidden by apply-boot (the rendering's boot re-apply says so)
            if (!targets.contains(x) && !next.containsKey(x) && block.covering(x, present.get(x)).isEmpty()) {
                refusals.add(where + " kept " + x + " hidden at boot by its ids, which this change removes, and"
                        + " pcipass has no record of " + x + ": run 'pcipass hide " + x + " --persist' first so that"
                        + " pcipass records it (or, if it should not be hidden, remove its ids from the block by hand),"
                        + " then run this again");
            }
        }
        if (!refusals.isEmpty()) {
            throw new PcipassException(String.join("; ", refusals));
        }
        noteRegistryDevicesTheFileDropped(notes);
        List<PciAddress> unrecorded = present.keySet().stream().filter(x -> !next.containsKey(x)
                && !change.unpersist().contains(x) && !block.covering(x, present.get(x)).isEmpty()).toList();
        if (!unrecorded.isEmpty()) {
            String them = unrecorded.stream().map(PciAddress::toString).collect(Collectors.joining(", "));
            notes.add(where + " keeps " + them + " hidden at boot, and pcipass has no record of "
                    + (unrecorded.size() == 1 ? "it" : "them") + ": 'pcipass hide DEVICE --persist' records one,"
                    + " 'pcipass unhide DEVICE --persist' returns one for good");
        }
        block.dropIdleModuleLines();
        return block.lines(target.pcibackModule());
    }

    /** Removes the lines that hide {@code a} under any stub but the one it is persisted on now. */
    private void uncover(PciAddress a, List<String> refusals) {
        DeviceIds id = present.get(a);
        Stub keep = change.persist().contains(a) && next.containsKey(a) ? next.get(a).stub() : null;
        String pattern = block.patternCovering(a);
        if (pattern != null && keep != Stub.PCIBACK) {
            refusals.add(where + " hides " + a + " by the pattern (" + pattern + "), which can take other devices too:"
                    + " edit that line by hand, then run again");
        }
        if (keep == null) {
            block.otherLinesNaming(a, id).forEach(l -> refusals.add(where + " has the line '" + l.strip()
                    + "', which pcipass does not write and which names " + a + ": edit it by hand, then run again"));
        }
        for (Stub s : covered.getOrDefault(a, Set.of())) {
            if (s != keep) {
                block.uncover(a, id, s);
                dropModuleIfUnneeded(a, s);
            }
        }
    }

    /** Drops the line loading {@code a}'s original module before {@code stub} unless a device staying there may need it. */
    private void dropModuleIfUnneeded(PciAddress a, Stub stub) {
        PersistedDevice rec = previous.containsKey(a) ? previous.get(a) : next.get(a);
        String module = rec == null ? null : rec.module();
        if (module == null) {
            return; // not known: the line stays for whichever device needs it
        }
        for (PciAddress x : kept) {
            if (x.equals(a)) {
                continue;
            }
            PersistedDevice known = next.containsKey(x) ? next.get(x) : previous.get(x);
            boolean onStub = known != null ? known.stub() == stub : covered.getOrDefault(x, Set.of()).contains(stub);
            if (onStub && (known == null || module.equals(known.module()))) {
                return; // it needs the module, or it is a device of the file only, whose module pcipass does not know
            }
        }
        block.dropModule(module, stub);
    }

    /** Registry devices the file no longer hides (a line removed by hand): the file wins, said once. */
    private void noteRegistryDevicesTheFileDropped(List<String> notes) {
        Set<PciAddress> bootOnly = new TreeSet<>();
        registry.bootReapply().forEach(d -> bootOnly.add(d.address()));
        for (PersistedDevice d : next.values()) {
            PciAddress a = d.address();
            if (!change.persist().contains(a) && !bootOnly.contains(a) && present.containsKey(a)
                    && !covered.getOrDefault(a, Set.of()).contains(d.stub())) {
                notes.add(a + " is persisted in pcipass's registry, but " + where + " does not hide it (its line was"
                        + " removed by hand?): left as the file says; 'pcipass hide " + a + " --persist' writes it again");
            }
        }
    }
}
