package org.pcipass.realkernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One run of a QEMU stage script ({@code realkernel/stage.sh}, {@code realkernel/xen-stage.sh}) and what
 * its machine wrote down: {@code OUT/results/facts} (KEY=VALUE lines) and, per command the scenarios
 * ran, {@code NAME.out}, {@code NAME.err} and {@code NAME.exit}. The stage exits 3 when something it
 * needs is missing: the tests skip then, except with CI=true, where they fail.
 */
final class Stage {
    static final boolean CI = "true".equals(System.getenv("CI"));
    /** the QEMU stage's target: every machine's boots and scenarios, from the first boot (issue 11) */
    static final int TARGET_SECONDS = 480;
    /** what every machine's stage script needs on PATH (a machine may need more) */
    static final List<String> MACHINE_TOOLS = List.of("qemu-system-x86_64", "busybox", "depmod", "cpio", "apt-get",
            "dpkg-deb");

    /** MACHINE_TOOLS and what one machine needs besides */
    static List<String> tools(String... more) {
        List<String> all = new ArrayList<>(MACHINE_TOOLS);
        all.addAll(List.of(more));
        return all;
    }
    private static final AtomicLong FIRST_START = new AtomicLong(Long.MAX_VALUE);
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path out;
    final Path results;
    private final Map<String, String> facts = new LinkedHashMap<>();

    private Stage(Path out) throws IOException {
        this.out = out;
        this.results = out.resolve("results");
        for (String line : Files.readAllLines(results.resolve("facts"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                facts.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
    }

    /**
     * Runs {@code realkernel/SCRIPT OUT ARGS...} with OUT = target/OUTDIR after checking that TOOLS are
     * on PATH; its output goes to OUT/stage.log and to this test's output.
     */
    static Stage run(String script, String outDir, List<String> tools, String... args) throws Exception {
        List<String> missing = new ArrayList<>();
        for (String tool : tools) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty() && CI) {
            fail(script + " needs " + missing + ", and CI=true (./test installs them as root with apt)");
        }
        Assumptions.assumeTrue(missing.isEmpty(), script + " needs " + missing);

        Path repo = Path.of("").toAbsolutePath();
        Path out = repo.resolve("target").resolve(outDir);
        Path log = Files.createDirectories(out).resolve("stage.log");
        long started = System.nanoTime();
        FIRST_START.accumulateAndGet(started, Math::min);
        List<String> command = new ArrayList<>(List.of(repo.resolve("realkernel").resolve(script).toString(),
                out.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("realkernel/" + script + " did not end in 15 minutes:\n" + Files.readString(log));
        }
        String stageLog = Files.readString(log);
        System.out.print(stageLog);
        if (p.exitValue() == 3) { // something the stage needs is missing: a tool or a package
            if (CI) {
                fail("realkernel/" + script + " lacks what it needs, and CI=true:\n" + stageLog);
            }
            Assumptions.abort(stageLog.strip());
        }
        assertThat(p.exitValue()).as("realkernel/%s exit code; its output:\n%s", script, stageLog).isZero();
        Stage stage = new Stage(out);
        stage.seconds = (System.nanoTime() - started) / 1_000_000_000L;
        return stage;
    }

    private long seconds = -1;

    /**
     * The benchmark figure: this machine's time and the wall time of the whole QEMU stage so far, from
     * the first machine's start (the machines run all at once; the last figure printed is the stage's).
     */
    static void printFigure(String what, Stage stage) {
        if (stage == null || stage.seconds < 0) {
            return;
        }
        long wall = (System.nanoTime() - FIRST_START.get()) / 1_000_000_000L;
        System.out.printf("qemu-stage benchmark: %s %d s; every machine so far, from the first boot: %d s of wall"
                + " time (target: under %d s%s)%n", what, stage.seconds, wall, TARGET_SECONDS,
                wall >= TARGET_SECONDS ? ", NOT met" : "");
    }

    static boolean onPath(String tool) {
        for (String dir : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    Map<String, String> facts() {
        return facts;
    }

    String fact(String key) {
        assertThat(facts).as("the machine's facts").containsKey(key);
        return facts.get(key);
    }

    /** The machine's boots' seconds from its first boot (run_boots's stage.seconds), or "?". */
    String bootSeconds() {
        try {
            return text("stage.seconds").strip();
        } catch (IOException e) {
            return "?";
        }
    }

    String text(String file) throws IOException {
        return Files.readString(results.resolve(file), StandardCharsets.UTF_8);
    }

    int exit(String step) throws IOException {
        return Integer.parseInt(text(step + ".exit").strip());
    }

    JsonNode json(String step) throws IOException {
        assertThat(exit(step)).as("exit code of %s; stderr: %s", step, text(step + ".err")).isZero();
        return JSON.readTree(text(step + ".out"));
    }

    JsonNode jsonOf(String file) throws IOException {
        return JSON.readTree(text(file));
    }

    /**
     * A failed test prints the files that show what the machine did: its console(s), the scenarios'
     * progress and whatever else LOGS names (relative to OUT; a directory: every file in it).
     */
    static TestWatcher printsOnFailure(Supplier<Stage> stage, String... logs) {
        return new TestWatcher() {
            private boolean printed;

            @Override
            public void testFailed(ExtensionContext context, Throwable cause) {
                Stage ran = stage.get();
                if (ran == null || printed) {
                    return;
                }
                printed = true;
                for (String name : logs) {
                    ran.print(ran.out.resolve(name));
                }
            }
        };
    }

    private void print(Path file) {
        if (Files.isDirectory(file)) {
            try (Stream<Path> files = Files.list(file)) {
                files.sorted().forEach(this::print);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        if (Files.isRegularFile(file)) {
            try {
                System.out.println("===== " + file + " =====");
                System.out.println(Files.readString(file, StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
