package org.pcipass.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pcipass.plan.Step;

/** Applies and undoes {@link Step.Edit}s: whole-file replacements, refused when the file changed since the plan. */
final class FileEdit {
    private FileEdit() {}

    static void apply(Step.Edit e) throws Executor.StepFailed {
        Path file = Path.of(e.file());
        String now = read(file);
        if (!eq(now, e.before())) {
            throw new Executor.StepFailed(file + " changed since the plan was made; nothing of it was written: run the"
                    + " command again");
        }
        replace(file, e.after());
    }

    /** Puts the old text back if the file holds the new one; false when there was nothing to undo. */
    static boolean restore(Step.Edit e) throws Executor.StepFailed {
        Path file = Path.of(e.file());
        String now = read(file);
        if (eq(now, e.before()) || !eq(now, e.after())) {
            return false;
        }
        replace(file, e.before());
        return true;
    }

    private static void replace(Path file, String text) throws Executor.StepFailed {
        try {
            if (text == null) {
                Files.deleteIfExists(file);
                return;
            }
            if (Files.isRegularFile(file)) {
                Files.copy(file, file.resolveSibling(file.getFileName() + ".pcipass.bak"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            org.pcipass.store.StateFiles.writeAtomically(file, text);
        } catch (IOException | RuntimeException ex) {
            throw new Executor.StepFailed("cannot replace " + file + ": " + ex.getMessage());
        }
    }

    private static String read(Path file) throws Executor.StepFailed {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            throw new Executor.StepFailed("cannot read " + file + ": " + Errno.describe(e.getMessage()));
        }
    }

    private static boolean eq(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }
}
