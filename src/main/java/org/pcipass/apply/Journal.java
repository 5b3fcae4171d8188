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
 * {@code {"done":k}} after each step, each line forced to disk. It exists only while a plan runs:
 * one left behind means a crash, and {@code recover} reads it.
 */
public final class Journal implements AutoCloseable {
    public static final String FILE = "journal";

    private final Path file;
    private FileChannel channel;

    private Journal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** What a journal says: the plan, and how many of its steps were finished. */
    public record Entry(Plan plan, int done, int started) {}

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
        try {
            Files.createDirectories(stateDir);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Journal j = new Journal(file, ch);
            j.append(JsonTree.compact(head));
            org.pcipass.store.StateFiles.syncDirectory(stateDir);
            return j;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new PcipassException("a journal of an interrupted plan is in " + file + "; run 'pcipass recover'");
        } catch (IOException e) {
            throw new PcipassException("cannot write the journal " + file + ": " + e.getMessage(), e);
        }
    }

    public void started(int step) {
        append("{\"start\":" + step + "}");
    }

    public void done(int step) {
        append("{\"done\":" + step + "}");
    }

    private void append(String line) {
        try {
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.force(false);
        } catch (IOException e) {
            throw new PcipassException("cannot write the journal " + file + ": " + e.getMessage(), e);
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
        List<String> lines;
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.indexOf('\n') < 0) {
                // cut while its plan line was written: no step can have run
                delete(file);
                return null;
            }
            lines = text.lines().toList();
        } catch (IOException e) {
            throw garbled(file, e.getMessage());
        }
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
            for (int i = 1; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.isEmpty() && i == lines.size() - 1) {
                    continue;
                }
                Object parsed;
                try {
                    parsed = JsonTree.parse(l);
                } catch (IOException e) {
                    if (i == lines.size() - 1) {
                        break; // a line cut by the crash itself: the step it names was not recorded
                    }
                    throw e;
                }
                Map<String, Object> n = parsed instanceof Map<?, ?> ? JsonTree.asObject(parsed, "line " + (i + 1)) : Map.of();
                if (n.containsKey("start")) {
                    started = Math.max(started, JsonTree.integer(n, "start") + 1);
                } else if (n.containsKey("done")) {
                    done = Math.max(done, JsonTree.integer(n, "done") + 1);
                } else {
                    throw new IllegalArgumentException("line " + (i + 1) + " is neither start nor done");
                }
            }
            if (done > steps.size() || started > steps.size()) {
                throw new IllegalArgumentException("it counts more steps than its plan has");
            }
            Plan plan = new Plan(JsonTree.text(head, "command"), steps, before, after, List.of());
            return new Entry(plan, done, started);
        } catch (IOException | RuntimeException e) {
            throw garbled(file, e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static PcipassException garbled(Path file, String why) {
        return new PcipassException("the journal " + file + " is garbled (" + why + "); nothing was changed:"
                + " check each device with 'pcipass list', then remove the journal");
    }
}
