package org.pcipass.apply;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.DeviceState;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.Plan;
import org.pcipass.plan.Step;

/**
 * The write-ahead journal of the plan being applied ({@code STATE/journal}): one JSON line with
 * the whole plan and every touched device's state before it, then {@code {"start":k}} before and
 * {@code {"done":k}} after each step, each line written whole and forced to disk before the step it
 * announces runs; {@code {"failed":k,"error":E}} when step k failed (k = the number of steps: the bookkeeping after
 * the last one) and its rollback begins. It
 * exists only while a plan runs: one left behind means a crash (or a rollback that could not
 * finish), and {@code recover} reads it.
 *
 * <p>Why a journal without a single newline holds nothing to undo: the plan line and its newline
 * are written whole ({@link #writeFully}) and forced before {@link #begin} returns, and step 0
 * starts only after its own start line was forced behind it. So any start line, torn or not, comes
 * after a complete first line; a file with no newline at all was cut inside the plan line itself.
 */
public final class Journal implements AutoCloseable {
    public static final String FILE = "journal";

    private final Path file;
    private FileChannel channel;
    /** A line could not be written: the journal is no longer appended to (recover reads what reached the disk). */
    private boolean broken;

    private Journal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * What a journal says: the plan, how many of its steps were finished and started, and the
     * step that failed (null: none did; the process stopped) with the error it gave.
     */
    public record Entry(Plan plan, int done, int started, Integer failed, String error) {}

    public static Path path(Path stateDir) {
        return stateDir.resolve(FILE);
    }

    /** Starts the journal of {@code plan}: nothing has been done yet. */
    public static Journal begin(Path stateDir, Plan plan) {
        Path file = path(stateDir);
        Map<String, Object> head = JsonTree.object();
        head.put("version", 1);
        head.put("pid", ProcessHandle.current().pid());
        head.put("command", plan.command());
        head.put("steps", PlanJson.steps(plan.steps()));
        List<Object> before = new ArrayList<>();
        plan.before().values().forEach(d -> before.add(PlanJson.state(d)));
        head.put("before", before);
        List<Object> after = new ArrayList<>();
        plan.hiddenAfter().values().forEach(h -> after.add(PlanJson.hidden(h)));
        head.put("hiddenAfter", after);
        if (!plan.assignments().isEmpty()) {
            head.put("assignments", PlanJson.assignmentChanges(plan.assignments()));
        }
        FileChannel ch;
        try {
            Files.createDirectories(stateDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new PcipassException("a journal of an interrupted plan is in " + file + "; run 'pcipass recover'");
        } catch (IOException e) {
            throw new PcipassException("cannot write the journal " + file + ": " + e.getMessage(), e);
        }
        Journal j = new Journal(file, ch);
        try {
            j.append(JsonTree.compact(head));
        } catch (PcipassException e) {
            j.close();
            try {
                Files.deleteIfExists(file); // nothing ran: a cut plan line would only be swept later
            } catch (IOException ignored) {
                // recover deletes a journal without a whole first line
            }
            throw e;
        }
        org.pcipass.store.StateFiles.syncDirectory(stateDir);
        return j;
    }

    public void started(int step) {
        append("{\"start\":" + step + "}");
    }

    public void done(int step) {
        append("{\"done\":" + step + "}");
    }

    /**
     * Records that step {@code step} failed and the rollback starts, so that a recovery can say so;
     * best effort: a journal that cannot take the line is left as it is.
     */
    public void failed(int step, String error) {
        if (broken) {
            return;
        }
        Map<String, Object> line = JsonTree.object();
        line.put("failed", step);
        line.put("error", error);
        try {
            append(JsonTree.compact(line));
        } catch (PcipassException e) {
            // recover still finds the plan and its start lines, and rolls back
        }
    }

    private void append(String line) {
        if (broken) {
            throw new PcipassException("the journal " + file + " could not be written before; nothing more is added");
        }
        try {
            writeFully(channel, ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.force(false);
        } catch (IOException e) {
            broken = true;
            throw new PcipassException("cannot write the journal " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes every byte: a channel may take fewer than asked (a signal, a nearly full disk) and say so. */
    static void writeFully(java.nio.channels.WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** The plan finished or was rolled back: the journal goes. */
    public void finish() {
        close();
        delete(file);
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
            org.pcipass.store.StateFiles.syncDirectory(file.getParent());
        } catch (IOException e) {
            throw new PcipassException("cannot remove the journal " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } catch (IOException e) {
            // nothing more to write
        }
    }

    /**
     * Reads a journal left behind, or null when there is none.
     *
     * @throws PcipassException (exit 1) naming the file when it is garbled; nothing is changed
     */
    public static Entry read(Path stateDir) {
        Path file = path(stateDir);
        if (!Files.exists(file)) {
            return null;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw garbled(file, e.getMessage());
        }
        if (text.indexOf('\n') < 0) {
            // cut while its plan line was written: no step can have run (see the class comment)
            delete(file);
            return null;
        }
        List<String> lines = text.lines().toList();
        try {
            Object first = JsonTree.parse(lines.get(0));
            if (!(first instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("line 1 is not a plan");
            }
            Map<String, Object> head = JsonTree.asObject(first, "line 1");
            List<Step> steps = new ArrayList<>();
            JsonTree.list(head, "steps").forEach(n -> steps.add(PlanJson.step(n)));
            Map<PciAddress, DeviceState> before = new LinkedHashMap<>();
            JsonTree.list(head, "before").forEach(n -> {
                DeviceState d = PlanJson.state(n);
                before.put(d.address(), d);
            });
            Map<PciAddress, HiddenDevice> after = new TreeMap<>();
            JsonTree.list(head, "hiddenAfter").forEach(n -> {
                HiddenDevice h = PlanJson.hidden(n);
                after.put(h.address(), h);
            });
            if (!head.containsKey("command") || !head.containsKey("steps")) {
                throw new IllegalArgumentException("line 1 is not a plan");
            }
            int done = 0;
            int started = 0;
            Integer failed = null;
            String error = null;
            // a line counts once its newline is on disk: a last line without one was cut by the crash
            // itself (its step never ran: steps start only after their whole line was forced)
            int whole = text.endsWith("\n") ? lines.size() : lines.size() - 1;
            for (int i = 1; i < whole; i++) {
                String l = lines.get(i);
                Object parsed = JsonTree.parse(l);
                Map<String, Object> n = parsed instanceof Map<?, ?> ? JsonTree.asObject(parsed, "line " + (i + 1)) : Map.of();
                if (n.containsKey("start")) {
                    started = Math.max(started, JsonTree.integer(n, "start") + 1);
                } else if (n.containsKey("done")) {
                    done = Math.max(done, JsonTree.integer(n, "done") + 1);
                } else if (n.containsKey("failed")) {
                    failed = JsonTree.integer(n, "failed");
                    error = n.get("error") instanceof String e ? e : "no error recorded";
                } else {
                    throw new IllegalArgumentException("line " + (i + 1) + " is neither start, done nor failed");
                }
            }
            if (done > steps.size() || started > steps.size() || (failed != null && failed > steps.size())) {
                throw new IllegalArgumentException("it counts more steps than its plan has");
            }
            List<org.pcipass.store.AssignmentChange> changes = new ArrayList<>();
            JsonTree.list(head, "assignments").forEach(n -> changes.add(PlanJson.assignmentChange(n)));
            Plan plan = new Plan(JsonTree.text(head, "command"), steps, before, after, List.of(), changes);
            return new Entry(plan, done, started, failed, error);
        } catch (IOException | RuntimeException e) {
            throw garbled(file, e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static PcipassException garbled(Path file, String why) {
        return new PcipassException("the journal " + file + " is garbled (" + why + "); nothing was changed:"
                + " check each device with 'pcipass list', then remove the journal");
    }
}
