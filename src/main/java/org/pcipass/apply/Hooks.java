package org.pcipass.apply;

import java.io.PrintStream;
import java.util.Map;

/**
 * Test-only hooks that stop a plan part-way, as a crash would. {@code PCIPASS_TEST_PAUSE_AFTER_STEP=k}
 * announces itself on stderr after step k and sleeps until the process is killed;
 * {@code PCIPASS_TEST_CRASH_AFTER_STEP=k} throws {@link SimulatedCrash}, which no rollback catches
 * (in-process tests of recovery). Unset in production.
 */
public final class Hooks {
    private final Integer pauseAfter;
    private final Integer crashAfter;
    private final PrintStream err;

    Hooks(Map<String, String> env, PrintStream err) {
        this.pauseAfter = number(env.get("PCIPASS_TEST_PAUSE_AFTER_STEP"));
        this.crashAfter = number(env.get("PCIPASS_TEST_CRASH_AFTER_STEP"));
        this.err = err;
    }

    private static Integer number(String s) {
        try {
            return s == null || s.isBlank() ? null : Integer.valueOf(s.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Called once {@code done} steps are finished and journaled. */
    void afterStep(int done) {
        if (crashAfter != null && crashAfter == done) {
            throw new SimulatedCrash(done);
        }
        if (pauseAfter != null && pauseAfter == done) {
            err.println("pcipass: test hook: paused after step " + done);
            err.flush();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SimulatedCrash(done);
            }
        }
    }

    /** A crash part-way through a plan, for tests: an Error, so that nothing rolls back. */
    public static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(int done) {
            super("simulated crash after step " + done);
        }
    }
}
