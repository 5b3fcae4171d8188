package org.pcipass.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;
import org.pcipass.host.Readiness;
import org.pcipass.persist.AtomicFile;

/**
 * The guide's "RHEL 5 KVM guests need acpiphp for hotplug": without the ACPI PCI hotplug module a
 * RHEL 5 guest never sees a device hot-plugged into it. RHEL 5's rc.sysinit runs every executable
 * {@code /etc/sysconfig/modules/*.modules} at boot, so one such file loads it at every boot. Nothing
 * of pcipass runs inside a RHEL 5 guest: the file is written on the guest's mounted root
 * ({@link #install}), or a POSIX sh script that does the same is printed to run there ({@link #script}).
 */
public final class Acpiphp {
    /** Where the file goes, relative to the guest's root. */
    public static final String FILE = "etc/sysconfig/modules/acpiphp.modules";
    /** The first comment line: a file that carries it is pcipass's own, which pcipass may replace. */
    static final String MARKER = "# pcipass guest-setup acpiphp";
    /** rc.sysinit runs only executable .modules files. */
    public static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    /** The file's exact content. */
    public static final String CONTENT = "#!/bin/sh\n"
            + MARKER + ": pcipass replaces this file only while this line is in it.\n"
            + "# Loads ACPI PCI hotplug at boot, so that PCI devices hot-plugged into this KVM guest appear\n"
            + "# in it (rc.sysinit runs every executable /etc/sysconfig/modules/*.modules).\n"
            + "/sbin/modprobe acpiphp >/dev/null 2>&1\n";

    /** {@link Readiness#rhel5Minor}'s rule as a POSIX extended regular expression, for the script. */
    private static final String RHEL5_ERE =
            "^(Red Hat Enterprise Linux|CentOS|Scientific Linux|Enterprise Linux).* release 5([.][0-9]+)?([^.0-9]|$)";
    /** {@link #LOADS_IT} as a POSIX extended regular expression, for the script. */
    private static final String LOADS_IT_ERE =
            "^[[:blank:]]*(/sbin/)?modprobe([[:blank:]]+-[^[:blank:]]+)*[[:blank:]]+acpiphp([[:blank:];>|&]|$)";
    private static final Pattern OURS = Pattern.compile("(?m)^" + Pattern.quote(MARKER));
    /** A hand-written file that already loads the module: {@code modprobe [options] acpiphp}. */
    private static final Pattern LOADS_IT =
            Pattern.compile("(?m)^[ \\t]*(?:/sbin/)?modprobe(?:[ \\t]+-[^ \\t\\n]+)*[ \\t]+acpiphp(?:[ \\t;>|&]|$)");

    private Acpiphp() {}

    /** What {@link #install} found and did. */
    public enum Outcome {
        /** There was no file: written. */
        WROTE,
        /** pcipass's own file with other content (an older pcipass): replaced, the old one kept as .pcipass.bak. */
        REPLACED,
        /** pcipass's content already, but not executable: only the mode was set. */
        MODE_SET,
        /** pcipass's content and mode already: nothing changed. */
        UNCHANGED,
        /** Someone else's executable file that already loads acpiphp: left as it is. */
        FOREIGN_LOADS_IT
    }

    /** The outcome, the file's path, and its mode before (null when there was no file). */
    public record Result(Outcome outcome, Path file, Set<PosixFilePermission> modeBefore) {}

    /**
     * Puts the file under {@code root}, atomically, unless it is there already.
     *
     * @throws PcipassException (exit 1, nothing changed) when a file pcipass did not write is in the
     *     way, or a path under {@code root} is a symbolic link (inside a guest's root it would lead into
     *     this host's own files)
     */
    public static Result install(Path root) {
        Path file = root.resolve(FILE);
        refuseLinks(root);
        AtomicFile.Snapshot now = AtomicFile.read(file);
        byte[] content = CONTENT.getBytes(StandardCharsets.UTF_8);
        Set<PosixFilePermission> before = now.exists() ? mode(file) : null;
        Outcome outcome;
        if (!now.exists()) {
            outcome = Outcome.WROTE;
        } else if (Arrays.equals(now.bytes(), content)) {
            outcome = MODE.equals(before) ? Outcome.UNCHANGED : Outcome.MODE_SET;
        } else if (OURS.matcher(now.text()).find()) {
            outcome = Outcome.REPLACED;
        } else if (LOADS_IT.matcher(now.text()).find() && before.contains(PosixFilePermission.OWNER_EXECUTE)) {
            return new Result(Outcome.FOREIGN_LOADS_IT, file, before);
        } else {
            throw new PcipassException(file + " exists and pcipass did not write it (no '" + MARKER + "' line);"
                    + " nothing changed: add '/sbin/modprobe acpiphp >/dev/null 2>&1' to it (and make it executable),"
                    + " or move it aside and run again");
        }
        if (outcome != Outcome.UNCHANGED) {
            AtomicFile.replace(file, now.sha256(), content, MODE);
        }
        return new Result(outcome, file, before);
    }

    /**
     * The guest root's release: its {@code etc/redhat-release} line, and whether it is RHEL 5 (or a
     * rebuild: CentOS, Scientific Linux, Oracle's Enterprise Linux). {@code text} is null when the
     * file is absent.
     */
    public record Release(String text, boolean rhel5) {}

    public static Release release(Path root) {
        Path f = root.resolve("etc/redhat-release");
        if (Files.isSymbolicLink(f)) {
            return new Release(null, false); // not followed, as every path under a guest root
        }
        String text = AtomicFile.read(f).text().strip();
        if (text.isEmpty()) {
            return new Release(null, false);
        }
        int nl = text.indexOf('\n');
        String line = nl < 0 ? text : text.substring(0, nl);
        return new Release(line, Readiness.rhel5Minor(line) != null);
    }

    /**
     * A POSIX sh script that does inside the guest what {@link #install} does on its mounted root
     * (the same file, byte for byte, mode 0755; the same refusal of a file pcipass did not write),
     * then loads acpiphp now and checks {@code /proc/modules} (or {@code /sys/module/acpiphp} for a
     * built-in one): exit 1 when it did not load. Every path is under {@code $ROOT}, empty unless set,
     * so that the script can be tried on a copy of a root; modprobe is found on {@code PATH}, with
     * {@code /sbin} added last.
     */
    public static String script() {
        return """
                #!/bin/sh
                # pcipass guest-setup acpiphp: run as root inside a RHEL 5 KVM guest. Loads ACPI PCI hotplug
                # (acpiphp) now and at every boot, so that PCI devices hot-plugged into the guest appear in it.
                # Every path is under $ROOT (default: empty, this system's own root).
                ROOT=${ROOT:-}
                PATH=$PATH:/sbin:/usr/sbin
                export PATH
                dir="$ROOT/etc/sysconfig/modules"
                file="$dir/acpiphp.modules"
                loaded() {
                    grep -q '^acpiphp ' "$ROOT/proc/modules" 2>/dev/null || [ -d "$ROOT/sys/module/acpiphp" ]
                }

                if ! grep -Eq '%s' "$ROOT/etc/redhat-release" 2>/dev/null; then
                    echo "pcipass: warning: $ROOT/etc/redhat-release does not say RHEL 5: only RHEL 5 guests need this" >&2
                fi
                for p in "$ROOT/etc" "$ROOT/etc/sysconfig" "$dir" "$file"; do
                    if [ -L "$p" ]; then
                        echo "pcipass: $p is a symbolic link; nothing changed: make it a directory or file" >&2
                        exit 1
                    fi
                done
                mkdir -p "$dir" || exit 1
                tmp="$dir/.acpiphp.modules.pcipass-tmp.$$"
                trap 'rm -f "$tmp"' 0
                cat >"$tmp" <<'PCIPASS_EOF' || exit 1
                %sPCIPASS_EOF
                chmod 0755 "$tmp" || exit 1
                if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
                    chmod 0755 "$file" || exit 1
                    echo "pcipass: $file is in place already (mode 0755)"
                elif [ ! -e "$file" ] || grep -q '^%s' "$file"; then
                    how=wrote
                    [ -e "$file" ] && how=replaced
                    mv -f "$tmp" "$file" || exit 1
                    echo "pcipass: $how $file (mode 0755): acpiphp loads at every boot"
                elif [ -x "$file" ] && grep -Eq '%s' "$file"; then
                    echo "pcipass: $file already loads acpiphp (pcipass did not write it): left as it is"
                else
                    echo "pcipass: $file exists and pcipass did not write it; nothing changed: add" \\
                        "'/sbin/modprobe acpiphp >/dev/null 2>&1' to it (and make it executable), or move it aside" >&2
                    exit 1
                fi

                modprobe acpiphp
                status=$?
                if loaded; then
                    echo "pcipass: acpiphp is loaded"
                else
                    echo "pcipass: acpiphp did not load (modprobe acpiphp: exit $status); see dmesg" >&2
                    exit 1
                fi
                """.formatted(RHEL5_ERE, CONTENT, MARKER, LOADS_IT_ERE);
    }

    /** Every existing path from {@code root}'s {@code etc} down to the file must be what it says, not a link. */
    private static void refuseLinks(Path root) {
        Path p = root;
        for (Path name : Path.of(FILE)) {
            p = p.resolve(name);
            if (Files.isSymbolicLink(p)) {
                throw new PcipassException(p + " is a symbolic link (to " + linkTarget(p) + "); nothing changed:"
                        + " pcipass follows no link inside a guest's root (an absolute one leads into this host's"
                        + " own files); make it a directory or file, or write " + FILE + " by hand");
            }
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
        }
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    private static Set<PosixFilePermission> mode(Path file) {
        try {
            return Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new PcipassException("cannot read the mode of " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code rwxr-xr-x} as {@code 0755}. */
    public static String octal(Set<PosixFilePermission> mode) {
        int m = 0;
        for (PosixFilePermission p : mode) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("0%o", m);
    }
}
