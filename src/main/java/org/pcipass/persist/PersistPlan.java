package org.pcipass.persist;

import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One {@code --persist} edit, planned and not yet applied.
 *
 * @param file the file under the config root
 * @param before its text now; null when there is no file
 * @param after its text after the edit; null when the file is to be removed
 * @param beforeSha256 SHA-256 of the bytes {@code before} was read from (null: no file), for {@link AtomicFile#replace}
 * @param charset how {@code after} becomes bytes: the file's own (UTF-8, or ISO-8859-1 for other bytes)
 * @param warnings malformed lines outside pcipass's block, left as they are
 * @param advice kernel command-line parameters to add
 * @param bootReapply devices that {@code pcipass apply-boot} must hide at boot
 * @param notes everything else to tell the user: why each boot re-apply is one, what pcipass took from
 *     the kernel command line, initramfs rebuild, parameters to remove or change back
 */
public record PersistPlan(Path file, String before, String after, String beforeSha256, Charset charset,
        List<String> warnings, List<CmdlineAdvice> advice, List<PersistedDevice> bootReapply, List<String> notes) {
    public PersistPlan {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(charset, "charset");
        warnings = List.copyOf(warnings);
        advice = List.copyOf(advice);
        bootReapply = List.copyOf(bootReapply);
        notes = List.copyOf(notes);
    }

    /** Whether the file changes at all. */
    public boolean changesFile() {
        return !Objects.equals(before, after);
    }

    /** The bytes to write, or null to remove the file. */
    public byte[] afterBytes() {
        return after == null ? null : after.getBytes(charset);
    }

    /** Applies the edit: {@link AtomicFile#replace}, refused when the file changed since this plan. */
    public void apply() {
        if (changesFile()) {
            AtomicFile.replace(file, beforeSha256, afterBytes());
        }
    }

    /** Rolls an applied edit back: puts {@code before} back (or removes the file), refused if the file changed since. */
    public void undo() {
        if (changesFile()) {
            byte[] afterBytes = afterBytes();
            AtomicFile.replace(file, afterBytes == null ? null : AtomicFile.sha256(afterBytes),
                    before == null ? null : before.getBytes(charset));
        }
    }
}
