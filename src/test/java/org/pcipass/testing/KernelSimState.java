package org.pcipass.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.pcipass.testing.KernelSim.PciId;

/**
 * What the simulated kernel keeps in memory, kept in files of the sim directory instead (so that
 * another process on the same directories sees the same kernel). Every access happens under
 * {@link #locked}: a JVM-wide lock plus an exclusive {@code flock} on {@code SIM/lock}.
 *
 * <pre>
 * SIM/ids       static id tables:   "DRIVER VVVV:DDDD" per line (from the tree as first seen, and claims())
 * SIM/dynids    dynamic ids:        "DRIVER VVVV:DDDD" per line (new_id, module option ids=)
 * SIM/order     driver registration (= probe) order, one name per line
 * SIM/faults    injected faults:    "KIND DRIVER TARGET VALUE" per line, "-" for an empty field
 * SIM/commands  commands run:       argv joined by TAB, \\ \t \n escaped
 * SIM/writes    writes seen:        "PATH TAB VALUE TAB ok|ERRNO", VALUE escaped
 * SIM/paused    present while a write waits at a pause-before fault (holds the path)
 * </pre>
 */
final class KernelSimState {
    /** One injected fault; {@code driver}, {@code target}, {@code value} may be null. */
    record Fault(String kind, String driver, String target, String value) {
        static Fault parse(String line) {
            String[] f = line.strip().split(" ");
            return new Fault(f[0], field(f, 1), field(f, 2), field(f, 3));
        }

        String line() {
            return kind + " " + dash(driver) + " " + dash(target) + " " + dash(value);
        }

        private static String field(String[] f, int i) {
            return i < f.length && !f[i].equals("-") ? f[i] : null;
        }

        private static String dash(String s) {
            return s == null ? "-" : s;
        }
    }

    /** A call that may fail as the kernel would. */
    interface IoCall<T> {
        T call() throws IOException;
    }

    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private final Path dir;

    KernelSimState(Path dir) {
        this.dir = dir;
        Fs.mkdirs(dir);
    }

    Path dir() {
        return dir;
    }

    /** Runs {@code body} holding the kernel lock (re-entrant within this JVM). */
    <T> T locked(IoCall<T> body) throws IOException {
        JVM_LOCK.lock();
        try {
            if (JVM_LOCK.getHoldCount() > 1) {
                return body.call();
            }
            try (FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                FileLock lock = ch.lock();
                try {
                    return body.call();
                } finally {
                    lock.release();
                }
            }
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** True once the id tables were computed from the tree. */
    boolean initialized() {
        return Files.exists(dir.resolve("ids"));
    }

    // ---- id tables ------------------------------------------------------------------------

    /** The ids of {@code driver}: static, dynamic, or both ({@code dynamic} null). */
    Set<PciId> ids(String driver, Boolean dynamic) {
        Set<PciId> out = new LinkedHashSet<>();
        for (String file : dynamic == null ? List.of("ids", "dynids") : List.of(dynamic ? "dynids" : "ids")) {
            for (String line : lines(file)) {
                String[] f = line.split(" ");
                if (f.length == 2 && f[0].equals(driver)) {
                    out.add(PciId.parse(f[1]));
                }
            }
        }
        return out;
    }

    void addId(String driver, PciId id, boolean dynamic) {
        String line = driver + " " + id;
        if (!lines(dynamic ? "dynids" : "ids").contains(line)) {
            append(dynamic ? "dynids" : "ids", line);
        }
    }

    /** Removes a dynamic id; false when it was not there. */
    boolean removeDynamicId(String driver, PciId id) {
        String line = driver + " " + id;
        return removeLines("dynids", line::equals);
    }

    /** Forgets the dynamic ids of a driver (its module was unloaded). */
    void dropDynamicIds(String driver) {
        removeLines("dynids", l -> l.startsWith(driver + " "));
    }

    /** Creates the static table file (possibly empty): marks the state initialized. */
    void initIds(List<String> lines) {
        write("ids", lines);
        if (!Files.exists(dir.resolve("dynids"))) {
            write("dynids", List.of());
        }
    }

    // ---- registration order ---------------------------------------------------------------

    /**
     * The registered drivers in probe order: those named in {@code SIM/order} first, in that order,
     * then any other registered driver by name.
     */
    List<String> order(List<String> registered) {
        List<String> out = new ArrayList<>();
        for (String d : lines("order")) {
            if (registered.contains(d) && !out.contains(d)) {
                out.add(d);
            }
        }
        registered.stream().filter(d -> !out.contains(d)).sorted().forEach(out::add);
        return out;
    }

    void setOrder(List<String> drivers) {
        write("order", drivers);
    }

    // ---- faults ---------------------------------------------------------------------------

    List<Fault> faults() {
        return lines("faults").stream().filter(l -> !l.isBlank()).map(Fault::parse).toList();
    }

    /** The first fault that {@code test} accepts, or null. */
    Fault fault(Predicate<Fault> test) {
        return faults().stream().filter(test).findFirst().orElse(null);
    }

    void addFault(Fault f) {
        append("faults", f.line());
    }

    /** Removes the faults that {@code test} accepts; true if any. */
    boolean removeFaults(Predicate<Fault> test) {
        return removeLines("faults", l -> !l.isBlank() && test.test(Fault.parse(l)));
    }

    // ---- logs -----------------------------------------------------------------------------

    void logCommand(List<String> argv) {
        append("commands", String.join("\t", argv.stream().map(KernelSimState::escape).toList()));
    }

    List<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        for (String line : lines("commands")) {
            out.add(List.of(line.split("\t", -1)).stream().map(KernelSimState::unescape).toList());
        }
        return out;
    }

    void logWrite(KernelSim.Write w) {
        append("writes", w.path() + "\t" + escape(w.value()) + "\t" + (w.error() == null ? "ok" : w.error()));
    }

    List<KernelSim.Write> writes() {
        List<KernelSim.Write> out = new ArrayList<>();
        for (String line : lines("writes")) {
            String[] f = line.split("\t", -1);
            out.add(new KernelSim.Write(f[0], unescape(f[1]), f[2].equals("ok") ? null : f[2]));
        }
        return out;
    }

    // ---- files ----------------------------------------------------------------------------

    List<String> lines(String name) {
        Path f = dir.resolve(name);
        try {
            return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    void write(String name, List<String> lines) {
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l).append('\n'));
        Fs.write(dir.resolve(name), sb.toString());
    }

    private void append(String name, String line) {
        Fs.append(dir.resolve(name), line + "\n");
    }

    private boolean removeLines(String name, Predicate<String> test) {
        List<String> all = lines(name);
        List<String> kept = all.stream().filter(test.negate()).toList();
        if (kept.size() != all.size()) {
            write(name, kept);
            return true;
        }
        return false;
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
