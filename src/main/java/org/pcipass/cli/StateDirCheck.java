package org.pcipass.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.pcipass.PcipassException;

/**
 * Checks the state dir before a command that uses it: a path that can never hold pcipass's state
 * (a file, a path under a file, a dangling symbolic link, a directory this user cannot use) is bad
 * input, named by the option or variable it came from, rather than a failure half-way through
 * ("cannot take the host lock", "state file garbled").
 */
final class StateDirCheck {
    /** How a command uses the state dir. */
    enum Use {
        /** Never reads it (list, show, groups, check). */
        NONE,
        /** Reads it if it exists (dry runs, config). */
        READ,
        /** Writes it if it exists, answers without it otherwise (recover, apply-boot). */
        WRITE,
        /** Writes it, creating it when missing (hide, unhide). */
        CREATE
    }

    private StateDirCheck() {}

    /** @throws PcipassException.BadInput when the state dir cannot serve {@code use} */
    static void check(Args args, Context ctx, Use use) {
        if (use == Use.NONE) {
            return;
        }
        GlobalOptions.Named state = GlobalOptions.stateDir(args.globals, ctx.env());
        String why = problem(state.path().toAbsolutePath(), use);
        if (why != null) {
            throw new PcipassException.BadInput(state.name() + " " + state.path() + " is not usable: " + why
                    + "; give a directory (pcipass creates it when missing)");
        }
    }

    /** Why {@code dir} cannot serve, in words; null when it can. */
    private static String problem(Path dir, Use use) {
        Path p = dir;
        while (p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            p = p.getParent(); // the nearest part of the path that exists decides
        }
        if (p == null) {
            return null;
        }
        String it = p.equals(dir) ? "it" : p.toString();
        if (!Files.exists(p)) {
            return it + " is a symbolic link to " + target(p) + ", which does not exist";
        }
        if (!Files.isDirectory(p)) {
            return it + (Files.isRegularFile(p) ? " is a file, not a directory" : " is not a directory");
        }
        if (p.equals(dir)) {
            if (!Files.isReadable(p) || !Files.isExecutable(p)) {
                return "it is not readable by this user";
            }
            if (use != Use.READ && !Files.isWritable(p)) {
                return "it is not writable by this user (or its filesystem is read-only)";
            }
        } else if (use == Use.CREATE && !(Files.isWritable(p) && Files.isExecutable(p))) {
            return "it does not exist and cannot be created: " + p + " is not writable by this user (or its"
                    + " filesystem is read-only)";
        }
        return null;
    }

    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "a path that cannot be read";
        }
    }
}
