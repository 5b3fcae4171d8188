package org.pcipass.persist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.TreeMap;
import java.util.TreeSet;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;

/**
 * Plans a {@code --persist} edit: a pure function of the target (its file contents included),
 * the persisted devices before and after the command, and the devices on the host.
 */
public final class PersistPlanner {
    private PersistPlanner() {}

    /**
     * What one command changes: the devices it persists (hide --persist: on their stub now) and the
     * devices it stops persisting (unhide --persist).
     */
    public record Change(Set<PciAddress> persist, Set<PciAddress> unpersist) {
        public Change {
            persist = Set.copyOf(persist);
            unpersist = Set.copyOf(unpersist);
        }

        /** The change that takes the registry's persisted records from {@code previous} to {@code next}. */
        public static Change between(Collection<PersistedDevice> previous, Collection<PersistedDevice> next) {
            Map<PciAddress, PersistedDevice> was = byAddress(previous);
            Map<PciAddress, PersistedDevice> now = byAddress(next);
            Set<PciAddress> persist = new TreeSet<>();
            now.forEach((a, d) -> {
                if (!d.equals(was.get(a))) {
                    persist.add(a);
                }
            });
            Set<PciAddress> unpersist = new TreeSet<>(was.keySet());
            unpersist.removeAll(now.keySet());
            return new Change(persist, unpersist);
        }
    }

    /**
     * Plans the edit a command makes to pcipass's block. Where the block says what the registry's
     * {@code previous} records say, the block becomes the rendering of {@code next}; where they
     * disagree (the registry lost or moved aside, lines removed or added by hand), only the lines of
     * the devices in {@code change} are edited ({@link BlockReconciler}).
     *
     * @param previous the registry's persisted records before the command
     * @param next the registry's persisted records after it
     * @param present every device on the host now with its ids (an ids= line takes every device with them)
     * @throws PcipassException.Refused when lines outside pcipass's block (in the file or in another
     *     file modprobe reads with it) configure the same modules: every such line, each with the fix
     * @throws PcipassException.BadInput when the file's block markers are broken
     * @throws PcipassException (exit 1) when block and registry disagree in a way the edit cannot reconcile
     */
    public static PersistPlan plan(PersistTarget target, Collection<PersistedDevice> previous,
            Collection<PersistedDevice> next, Change change, Map<PciAddress, DeviceIds> present) {
        String name = target.path().toString();
        AtomicFile.Snapshot current = target.current();
        ModprobeFile file = ModprobeFile.parse(name, current.text());
        refuseConflicts(target, file, previous, next);
        KernelCmdline cmdline = KernelCmdline.of(target);
        List<String> reconciled = new ArrayList<>();
        ModprobeLines.Rendering now;
        List<String> body;
        // what the registry's records say the block should be now: agreement picks the path
        ModprobeLines.Rendering registry = render(target, previous, shared(present, byAddress(previous).keySet()), cmdline);
        if (file.blockBody().equals(registry.lines())) {
            now = render(target, next, shared(present, byAddress(next).keySet()), cmdline);
            body = now.lines();
        } else {
            BlockReconciler reconciler = new BlockReconciler(target, file, previous, next, change, present, cmdline,
                    registry);
            body = reconciler.body(reconciled);
            now = render(target, next, reconciler.shared(), cmdline);
        }
        ModprobeLines.Rendering was = render(target, previous, Set.of(), cmdline);
        String after = file.withBlock(body);
        boolean wasEmptyFile = current.exists() && current.text().isEmpty();
        if (after.isEmpty() && !wasEmptyFile && (target.ownsWholeFile() || !current.exists())) {
            after = null; // pcipass's own file with nothing left in it goes; an empty file that was there stays
        }
        String before = current.exists() ? current.text() : null;
        List<String> notes = new ArrayList<>(now.notes());
        notes.addAll(reconciled);
        if (!Objects.equals(before, after) && target.initramfs() != null) {
            List<String> modules = new ArrayList<>(originalModules(previous, next));
            if (!modules.isEmpty()) {
                notes.add(target.initramfs().note(modules, target.systemPath()));
            }
        }
        notes.addAll(withdrawnParameters(was, now));
        notes.addAll(ModprobeLines.stillOnCmdline(previous, next, target.pcibackModule(), target.builtInStubs(), cmdline));
        List<String> warnings = new ArrayList<>(file.warnings());
        target.neighbours().forEach((path, text) -> {
            if (text == null) {
                warnings.add(path + " could not be read (an I/O error, or larger than "
                        + (ModprobeConfigFiles.MAX_BYTES >> 20) + " MiB), so pcipass could not check it for lines that"
                        + " configure the modules of its own block; check it by hand");
            }
        });
        return new PersistPlan(target.path(), before, after, current.sha256(), current.charset(), warnings,
                now.advice(), now.bootReapply(), notes);
    }

    static ModprobeLines.Rendering render(PersistTarget target, Collection<PersistedDevice> devices,
            Set<DeviceIds> shared, KernelCmdline cmdline) {
        return ModprobeLines.render(devices, target.pcibackModule(), target.builtInStubs(), shared, cmdline);
    }

    /** The ids of the devices in {@code present} outside {@code kept}. */
    static Set<DeviceIds> shared(Map<PciAddress, DeviceIds> present, Set<PciAddress> kept) {
        Set<DeviceIds> out = new TreeSet<>();
        present.forEach((a, id) -> {
            if (id != null && !kept.contains(a)) {
                out.add(id);
            }
        });
        return out;
    }

    static Map<PciAddress, PersistedDevice> byAddress(Collection<PersistedDevice> devices) {
        Map<PciAddress, PersistedDevice> out = new TreeMap<>();
        devices.forEach(d -> out.put(d.address(), d));
        return out;
    }

    private static void refuseConflicts(PersistTarget target, ModprobeFile file, Collection<PersistedDevice> previous,
            Collection<PersistedDevice> next) {
        List<PersistedDevice> both = new ArrayList<>(previous);
        both.addAll(next);
        Set<String> stubs = ModprobeLines.stubModules(both, target.pcibackModule());
        Set<String> originals = originalModules(previous, next);
        List<ModprobeFile.Conflict> conflicts = new ArrayList<>(file.conflicts(stubs, originals));
        for (Map.Entry<String, String> n : target.neighbours().entrySet()) {
            if (n.getValue() == null) {
                continue; // unreadable: a warning of the plan
            }
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
