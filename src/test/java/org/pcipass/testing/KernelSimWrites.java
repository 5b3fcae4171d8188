package org.pcipass.testing;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.pcipass.testing.KernelSimState.Fault;

/**
 * The write path of the {@link KernelSim kernel simulator}: turns an absolute path (possibly
 * through links, e.g. {@code SYSFS/bus/pci/devices/A/driver/unbind}) into the attribute it names,
 * applies path faults (write errors, pause-before, crash-after), dispatches to the driver core,
 * logs every write. Any other existing regular file just stores the value, as a plain attribute.
 */
final class KernelSimWrites {
    /** Set by {@link SimMain}: a crash fault halts the JVM (exit 137, like SIGKILL) instead of throwing. */
    private static volatile boolean haltOnCrash;

    private final Path sysfs;
    private final KernelSimTree tree;
    private final KernelSimCore core;
    private final KernelSimState state;

    KernelSimWrites(Path sysfs, KernelSimTree tree, KernelSimCore core, KernelSimState state) {
        this.sysfs = sysfs;
        this.tree = tree;
        this.core = core;
        this.state = state;
    }

    static void haltOnCrash() {
        haltOnCrash = true;
    }

    private interface Op {
        void run() throws IOException;
    }

    private record Target(Path real, String rel) {
    }

    void write(Path file, String value) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        String as = relative(abs);
        String resolved = as;
        try {
            resolved = state.locked(() -> resolve(abs).rel());
        } catch (IOException missing) {
            // reported below, under the lock
        }
        pauseIfAsked(as, resolved, value);
        try {
            state.locked(() -> {
                try {
                    Target t = resolve(abs);
                    Fault f = state.fault(x -> x.kind().equals("write")
                            && (as.equals(x.target()) || t.rel.equals(x.target())));
                    if (f != null) {
                        throw KernelSimErrno.named(f.value()).exception();
                    }
                    dispatch(t, value);
                    state.logWrite(new KernelSim.Write(as, value, null));
                } catch (IOException e) {
                    KernelSimErrno errno = KernelSimErrno.ofMessage(e.getMessage());
                    state.logWrite(new KernelSim.Write(as, value, errno == null ? e.getMessage() : errno.name()));
                    throw e;
                }
                return null;
            });
        } finally {
            crashIfAsked(as, resolved);
        }
    }

    /** The path relative to the sysfs root as written; refuses anything outside the tree. */
    private String relative(Path abs) {
        Path real = tree.sys();
        if (abs.startsWith(sysfs) && !abs.equals(sysfs)) {
            return sysfs.relativize(abs).toString();
        }
        if (abs.startsWith(real) && !abs.equals(real)) {
            return real.relativize(abs).toString();
        }
        throw new IllegalArgumentException("KernelSim: " + abs + " is outside the simulated sysfs " + sysfs
                + " (tests must never write the real /sys)");
    }

    /** What the path names, through links; FileNotFoundException as the JDK's open(2) reports it. */
    private Target resolve(Path abs) throws IOException {
        Path real;
        try {
            real = abs.getParent().toRealPath().resolve(abs.getFileName());
            real = Files.exists(real) ? real.toRealPath() : null;
        } catch (NoSuchFileException e) {
            real = null;
        }
        if (real == null) {
            throw new FileNotFoundException(abs + " (No such file or directory)");
        }
        if (!real.startsWith(tree.sys())) {
            throw new IllegalArgumentException("KernelSim: " + abs + " leads outside the simulated sysfs: " + real);
        }
        if (Files.isDirectory(real)) {
            throw new FileNotFoundException(abs + " (Is a directory)");
        }
        return new Target(real, tree.sys().relativize(real).toString());
    }

    private void dispatch(Target t, String value) throws IOException {
        String[] p = t.rel.split("/");
        if (t.rel.equals("bus/pci/drivers_probe")) {
            core.driversProbe(value);
            return;
        }
        if (p.length == 5 && p[0].equals("bus") && p[1].equals("pci") && p[2].equals("drivers")) {
            String d = p[3];
            boolean pciback = d.equals("pciback");
            switch (p[4]) {
                case "bind" -> core.bind(d, value);
                case "unbind" -> core.unbind(d, value);
                case "new_id" -> core.newId(d, value);
                case "remove_id" -> core.removeId(d, value);
                case "new_slot" -> store(t, value, pciback, () -> core.newSlot(value));
                case "remove_slot" -> store(t, value, pciback, () -> core.removeSlot(value));
                default -> store(t, value, false, null);
            }
            return;
        }
        String device = t.real.getParent().getFileName().toString();
        if (p[p.length - 1].equals("driver_override") && t.real.getParent().equals(tree.deviceDir(device))) {
            int nl = value.indexOf('\n');            // the kernel cuts at the first newline
            String name = nl >= 0 ? value.substring(0, nl) : value;
            tree.override(device, name.isEmpty() ? null : name);
            return;
        }
        store(t, value, false, null);
    }

    private static void store(Target t, String value, boolean special, Op op) throws IOException {
        if (special) {
            op.run();
        } else {
            Files.writeString(t.real, value, StandardCharsets.UTF_8);
        }
    }

    private static boolean pathFault(Fault f, String kind, String as, String resolved) {
        return f.kind().equals(kind) && (Objects.equals(as, f.target()) || Objects.equals(resolved, f.target()));
    }

    /** A pause-before fault (consumed; for one value only, if it names one): writes SIM/paused and waits until it is gone (2 min at most). */
    private void pauseIfAsked(String as, String resolved, String value) throws IOException {
        Path flag = state.dir().resolve("paused");
        Fault f = state.locked(() -> {
            Fault x = state.fault(y -> pathFault(y, "pause-before", as, resolved)
                    && (y.value() == null || y.value().equals(value.strip())));
            if (x != null) {
                state.removeFaults(x::equals);
                Path tmp = Fs.write(state.dir().resolve("paused.tmp"), as + "\n");
                Files.move(tmp, flag, java.nio.file.StandardCopyOption.ATOMIC_MOVE);   // never seen half-written
            }
            return x;
        });
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (f != null && Files.exists(flag) && System.nanoTime() < end) {
            sleep(10);
        }
    }

    /** A crash-after fault (consumed): halt under SimMain, else throw {@link KernelSim.SimulatedCrash}. */
    private void crashIfAsked(String as, String resolved) throws IOException {
        Fault f = state.locked(() -> {
            Fault x = state.fault(y -> pathFault(y, "crash-after", as, resolved));
            if (x != null) {
                state.removeFaults(x::equals);
            }
            return x;
        });
        if (f != null) {
            if (haltOnCrash) {
                Runtime.getRuntime().halt(137);
            }
            throw new KernelSim.SimulatedCrash(as);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
