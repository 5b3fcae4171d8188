package org.pcipass.plan;

import java.util.List;
import java.util.Map;
import org.pcipass.pci.PciAddress;

/**
 * What a mutating command will do, made by the {@link Planner} from one snapshot and applied by the
 * executor. Besides its steps it carries what the executor needs to undo them: each touched
 * device's state before the plan, and the registry of hidden devices the plan leaves behind.
 *
 * @param command the command line, for the journal and the host lock's holder
 * @param steps in execution order
 * @param before every device the plan touches, as it was
 * @param hiddenAfter the hidden-device registry once the plan is done
 * @param notes what the user should know (skipped devices, advice); printed, not executed
 * @param assignments what the plan changes in the assignments table, committed with the registry once
 *     every step is done
 */
public record Plan(String command, List<Step> steps, Map<PciAddress, DeviceState> before,
        Map<PciAddress, HiddenDevice> hiddenAfter, List<String> notes,
        List<org.pcipass.store.AssignmentChange> assignments) {
    public Plan {
        steps = List.copyOf(steps);
        assignments = List.copyOf(assignments);
        // address order: output, journal and rollback all follow it
        before = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(before));
        hiddenAfter = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(hiddenAfter));
        notes = List.copyOf(notes);
    }

    public Plan(String command, List<Step> steps, Map<PciAddress, DeviceState> before,
            Map<PciAddress, HiddenDevice> hiddenAfter, List<String> notes) {
        this(command, steps, before, hiddenAfter, notes, List.of());
    }

    /** The same plan with these assignment changes. */
    public Plan withAssignments(List<org.pcipass.store.AssignmentChange> changes) {
        return new Plan(command, steps, before, hiddenAfter, notes, changes);
    }

    /** The same plan with more steps at its end (and more notes). */
    public Plan plus(List<Step> more, List<String> moreNotes) {
        List<Step> s = new java.util.ArrayList<>(steps);
        s.addAll(more);
        List<String> n = new java.util.ArrayList<>(notes);
        n.addAll(moreNotes);
        return new Plan(command, s, before, hiddenAfter, n, assignments);
    }

    public boolean isEmpty() {
        return steps.isEmpty();
    }

    /**
     * The devices of {@link #before()} that the first {@code reached} steps wrote to (their
     * attributes, or a driver's bind, unbind or slot file naming them): what a rollback restores.
     * A device the plan had not reached yet keeps whatever it has now, an admin's change included.
     */
    public java.util.Set<PciAddress> touchedBy(int reached) {
        java.util.Set<PciAddress> out = new java.util.TreeSet<>();
        for (Step s : steps.subList(0, Math.min(reached, steps.size()))) {
            if (s instanceof Step.Write w) {
                PciAddress a = w.device();
                if (a != null && before.containsKey(a)) {
                    out.add(a);
                }
            }
        }
        return out;
    }
}
