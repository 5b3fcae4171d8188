package org.pcipass.persist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.pcipass.PcipassException;

/**
 * Plans a {@code --persist} edit: a pure function of the target (its file contents included)
 * and the persisted devices before and after the command.
 */
public final class PersistPlanner {
    private PersistPlanner() {}

    /**
     * Plans the edit that takes pcipass's block from {@code previous} to {@code next}.
     *
     * @param sharedIds vendor:device ids that devices outside {@code next} also carry
     * @throws PcipassException.Refused when lines outside pcipass's block (in the file or in another
     *     file modprobe reads with it) configure the same modules: every such line, each with the fix
     * @throws PcipassException.BadInput when the file's block markers are broken
     */
    public static PersistPlan plan(PersistTarget target, Collection<PersistedDevice> previous,
            Collection<PersistedDevice> next, Set<DeviceIds> sharedIds) {
        String name = target.path().toString();
        AtomicFile.Snapshot current = target.current();
        ModprobeFile file = ModprobeFile.parse(name, current.text());
        refuseConflicts(target, file, previous, next);
        KernelCmdline cmdline = KernelCmdline.of(target);
        ModprobeLines.Rendering now = ModprobeLines.render(next, target.pcibackModule(), target.builtInStubs(), sharedIds,
                cmdline);
        ModprobeLines.Rendering was = ModprobeLines.render(previous, target.pcibackModule(), target.builtInStubs(), Set.of(),
                cmdline);
        String after = file.withBlock(now.lines());
        boolean wasEmptyFile = current.exists() && current.text().isEmpty();
        if (after.isEmpty() && !wasEmptyFile && (target.ownsWholeFile() || !current.exists())) {
            after = null; // pcipass's own file with nothing left in it goes; an empty file that was there stays
        }
        String before = current.exists() ? current.text() : null;
        List<String> notes = new ArrayList<>(now.notes());
        if (!Objects.equals(before, after) && target.initramfs() != null) {
            List<String> modules = new ArrayList<>(originalModules(previous, next));
            if (!modules.isEmpty()) {
                notes.add(target.initramfs().note(modules, target.systemPath()));
            }
        }
        notes.addAll(withdrawnParameters(was, now));
        notes.addAll(ModprobeLines.stillOnCmdline(previous, next, target.pcibackModule(), target.builtInStubs(), cmdline));
        return new PersistPlan(target.path(), before, after, current.sha256(), current.charset(), file.warnings(),
                now.advice(), now.bootReapply(), notes);
    }

    private static void refuseConflicts(PersistTarget target, ModprobeFile file, Collection<PersistedDevice> previous,
            Collection<PersistedDevice> next) {
        List<PersistedDevice> both = new ArrayList<>(previous);
        both.addAll(next);
        Set<String> stubs = ModprobeLines.stubModules(both, target.pcibackModule());
        Set<String> originals = originalModules(previous, next);
        List<ModprobeFile.Conflict> conflicts = new ArrayList<>(file.conflicts(stubs, originals));
        for (Map.Entry<String, String> n : target.neighbours().entrySet()) {
            conflicts.addAll(ModprobeFile.parseForeign(n.getKey(), n.getValue()).conflicts(stubs, originals));
        }
        if (!conflicts.isEmpty()) {
            throw new PcipassException.Refused(conflicts.stream().map(ModprobeFile.Conflict::message)
                    .collect(Collectors.joining("\n")));
        }
    }

    private static Set<String> originalModules(Collection<PersistedDevice> previous, Collection<PersistedDevice> next) {
        Set<String> modules = new LinkedHashSet<>(ModprobeLines.originalModules(next));
        modules.addAll(ModprobeLines.originalModules(previous));
        return modules;
    }

    /** Command-line parameters pcipass advised before whose name no longer appears in the advice. */
    private static List<String> withdrawnParameters(ModprobeLines.Rendering was, ModprobeLines.Rendering now) {
        Set<String> still = now.advice().stream().map(CmdlineAdvice::name).collect(Collectors.toSet());
        return was.advice().stream().filter(a -> !still.contains(a.name())).map(CmdlineAdvice::withdrawal).toList();
    }
}
