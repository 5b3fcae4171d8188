package org.pcipass.apply;

import java.nio.file.Path;
import java.util.Objects;
import org.pcipass.persist.AtomicFile;
import org.pcipass.plan.Step;

/**
 * Applies and undoes {@link Step.Edit}s: whole-file replacements through {@link AtomicFile}
 * (temporary file, fsync, rename, {@code FILE.pcipass.bak}), refused when the file changed since
 * the plan was made.
 */
final class FileEdit {
    private FileEdit() {}

    static void apply(Step.Edit e) throws Executor.StepFailed {
        Path file = Path.of(e.file());
        replace(file, read(file), e.before(), e.after(), "since the plan was made");
    }

    /** Puts the old text back if the file holds the new one; false when there was nothing to undo. */
    static boolean restore(Step.Edit e) throws Executor.StepFailed {
        Path file = Path.of(e.file());
        AtomicFile.Snapshot now = read(file);
        if (!Objects.equals(text(now), e.after()) || Objects.equals(e.before(), e.after())) {
            return false;
        }
        replace(file, now, e.after(), e.before(), "during the plan");
        return true;
    }

    private static void replace(Path file, AtomicFile.Snapshot now, String expected, String text, String when)
            throws Executor.StepFailed {
        if (!Objects.equals(text(now), expected)) {
            throw new Executor.StepFailed(file + " changed " + when + "; nothing of it was written: run the command"
                    + " again");
        }
        try {
            AtomicFile.replace(file, now, text == null ? null : now.encode(text));
        } catch (RuntimeException ex) {
            throw new Executor.StepFailed(ex.getMessage());
        }
    }

    private static AtomicFile.Snapshot read(Path file) throws Executor.StepFailed {
        try {
            return AtomicFile.read(file);
        } catch (RuntimeException ex) {
            throw new Executor.StepFailed(ex.getMessage());
        }
    }

    private static String text(AtomicFile.Snapshot s) {
        return s.exists() ? s.text() : null;
    }
}
