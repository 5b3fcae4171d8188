package org.pcipass.apply;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.pcipass.host.CommandRunner;
import org.pcipass.sysfs.KernelWriter;
import org.pcipass.testing.KernelSim;

/**
 * The kernel simulator with a crash at one effect (a sysfs write or a host command, counted
 * together from 1): {@link #before(KernelSim, int)} dies before effect n reaches the kernel,
 * {@link #after(KernelSim, int)} right after the kernel handled it, before pcipass can journal
 * anything more. The crash is a {@link Crash} Error, so that nothing in pcipass catches it or rolls
 * back; what is left on disk is what a kill at that instant leaves (the host lock, an fcntl lock,
 * is dropped either way). Used for the crash points the step hook cannot reach: before the first
 * step, and inside a step. {@link #unplugging} also hot-unplugs a device just before a chosen
 * effect, as a card pulled (or a VF removed) mid-plan.
 */
final class CrashPoint implements KernelWriter, CommandRunner {
    /** The simulated death. */
    static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash(String what) {
            super("simulated crash " + what);
        }
    }

    private final KernelSim sim;
    private final int effect;
    private final boolean after;
    private final int unplugBefore;
    private final String unplug;
    private int seen;

    private CrashPoint(KernelSim sim, int effect, boolean after, int unplugBefore, String unplug) {
        this.sim = sim;
        this.effect = effect;
        this.after = after;
        this.unplugBefore = unplugBefore;
        this.unplug = unplug;
    }

    static CrashPoint before(KernelSim sim, int effect) {
        return new CrashPoint(sim, effect, false, 0, null);
    }

    static CrashPoint after(KernelSim sim, int effect) {
        return new CrashPoint(sim, effect, true, 0, null);
    }

    /** Unplugs {@code device} (if still there) just before effect {@code unplugBefore}, and dies after effect {@code crashAfter} (0: neither). */
    static CrashPoint unplugging(KernelSim sim, int unplugBefore, String device, int crashAfter) {
        return new CrashPoint(sim, crashAfter, true, unplugBefore, device);
    }

    private void count() {
        seen++;
        if (seen == unplugBefore && unplug != null
                && java.nio.file.Files.isDirectory(sim.sysfs().resolve("bus/pci/devices").resolve(unplug))) {
            sim.unplug(unplug);
        }
    }

    private void maybeCrash(boolean afterEffect, String what) {
        if (seen == effect && afterEffect == after) {
            throw new Crash((after ? "after " : "before ") + what);
        }
    }

    @Override
    public void write(Path file, String value) throws IOException {
        count();
        maybeCrash(false, "writing " + file);
        try {
            sim.write(file, value);
        } finally {
            maybeCrash(true, "writing " + file);
        }
    }

    @Override
    public Result run(List<String> argv) {
        count();
        maybeCrash(false, "running " + argv);
        Result r = sim.run(argv);
        maybeCrash(true, "running " + argv);
        return r;
    }

    @Override
    public boolean available(String program) {
        return sim.available(program);
    }
}
