package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcipass.apply.CrashHost.Scenario;
import org.pcipass.cli.Cli;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.sysfs.KernelWriter;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.HostTrees;

/**
 * Crash recovery (issue acceptance b): a multi-device {@code hide --persist} stopped after every
 * step k = 0..N as a kill would stop it, inside a step (after the kernel acted, before the journal
 * said so), in its file edit, and by a real SIGKILL of a child process; then {@code pcipass
 * recover}. Afterwards every device is back on its original driver with driver_override cleared,
 * or — only when every step had been done — fully hidden with the registry saying so; the
 * configuration file holds its original bytes or exactly the plan's new text; no journal and no
 * temporary file is left; and the same hide then succeeds. A garbled journal stops every mutating
 * command (exit 1) and changes nothing.
 */
class CrashRecoveryTest {
    static final Duration CHILD = Duration.ofSeconds(60);
    static final List<Scenario> SCENARIOS = List.of(CrashHost.KVM_GROUP, CrashHost.XEN_TWO, CrashHost.RHEL5);

    @TempDir
    Path tmp;

    // ---- in-process sweeps ------------------------------------------------------------------------

    /**
     * For every k in 0..N: stop the plan after k steps. k ≥ 1 uses PCIPASS_TEST_CRASH_AFTER_STEP=k
     * (the hook fires once step k is done and journaled); the hook has no k = 0 (it runs only
     * after a step), so k = 0 dies at the first step's start, before its write or command reached
     * the kernel: a journal with its plan, {"start":0} and no done line, and an untouched host.
     */
    @TestFactory
    Stream<DynamicContainer> crashAfterEveryStepThenRecover() {
        return SCENARIOS.stream().map(s -> {
            int steps = CrashHost.create(s, tmp.resolve(slug(s) + "-probe")).dryRunSteps().size();
            return DynamicContainer.dynamicContainer(s.name() + " (" + steps + " steps)",
                    IntStream.rangeClosed(0, steps).mapToObj(k -> DynamicTest.dynamicTest(
                            "crash after step " + k + " of " + steps,
                            () -> crashAfterStep(s, k, steps, tmp.resolve(slug(s) + "-k" + k)))));
        });
    }

    private void crashAfterStep(Scenario s, int k, int n, Path dir) {
        CrashHost h = CrashHost.create(s, dir);
        JsonNode steps = h.dryRunSteps();
        assertThat(steps).as("the plan").hasSize(n);
        s.original().forEach((a, d) -> assertThat(h.driver(a)).as(a).isEqualTo(d));
        if (k == 0) {
            CrashPoint crash = CrashPoint.before(h.sim, 1);
            assertThatThrownBy(() -> h.run(crash, crash, Map.of(), s.hide())).isInstanceOf(CrashPoint.Crash.class);
        } else {
            assertThatThrownBy(() -> h.run(Map.of("PCIPASS_TEST_CRASH_AFTER_STEP", Integer.toString(k)), s.hide()))
                    .isInstanceOf(Hooks.SimulatedCrash.class).hasMessage("simulated crash after step " + k);
        }

        Journal.Entry left = h.journalEntry();
        assertThat(left).as("a crash leaves the journal").isNotNull();
        assertThat(left.done()).as("done lines").isEqualTo(k);
        assertThat(left.started()).as("start lines").isEqualTo(k == 0 ? 1 : k);
        assertThat(left.plan().command()).isEqualTo(commandLine(s.hide()));
        assertEffectsOfFirstSteps(h, steps, k);

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as("recover: %s", rec.err()).isZero();
        assertThat(rec.err()).isEmpty();
        if (k < n) {
            assertThat(rec.out()).startsWith("recovered: '" + commandLine(s.hide()) + "' was interrupted after " + k
                    + " of " + n + " steps; rolled back: ").endsWith("\n").hasLineCount(1);
            assertRolledBack(h);
        } else {
            assertThat(rec.out()).isEqualTo("recovered: an interrupted plan had done every step; verified and completed\n");
            assertHidden(h, editAfter(steps));
        }
        hideAgainThenUnhide(h, steps, k == n);
    }

    /**
     * A crash inside a step: the kernel did the step's write (or modprobe ran) but the process died
     * before its "done" line. Recovery must undo the half-journaled step too.
     */
    @TestFactory
    Stream<DynamicContainer> crashInsideEveryWriteOrCommandThenRecover() {
        return SCENARIOS.stream().map(s -> {
            JsonNode steps = CrashHost.create(s, tmp.resolve(slug(s) + "-effects")).dryRunSteps();
            List<Integer> effectSteps = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++) {
                String op = steps.get(i).get("op").asText();
                if (op.equals("write") || op.equals("run")) {
                    effectSteps.add(i);
                }
            }
            return DynamicContainer.dynamicContainer(s.name(), IntStream.range(0, effectSteps.size())
                    .mapToObj(e -> DynamicTest.dynamicTest("crash inside step " + (effectSteps.get(e) + 1) + " of "
                            + steps.size() + ", after its " + steps.get(effectSteps.get(e)).get("op").asText(),
                            () -> crashInsideStep(s, e + 1, effectSteps.get(e), steps.size(),
                                    tmp.resolve(slug(s) + "-e" + (e + 1))))));
        });
    }

    private void crashInsideStep(Scenario s, int effect, int stepIndex, int n, Path dir) {
        CrashHost h = CrashHost.create(s, dir);
        JsonNode steps = h.dryRunSteps();
        CrashPoint crash = CrashPoint.after(h.sim, effect);
        assertThatThrownBy(() -> h.run(crash, crash, Map.of(), s.hide())).isInstanceOf(CrashPoint.Crash.class);
        Journal.Entry left = h.journalEntry();
        assertThat(left.done()).isEqualTo(stepIndex);
        assertThat(left.started()).isEqualTo(stepIndex + 1);
        assertEffectsOfFirstSteps(h, steps, stepIndex + 1);

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as("recover: %s", rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: '" + commandLine(s.hide()) + "' was interrupted after " + stepIndex
                + " of " + n + " steps; rolled back: ");
        assertRolledBack(h);
        hideAgainThenUnhide(h, steps, false);
    }

    static Stream<Scenario> scenarios() {
        return SCENARIOS.stream();
    }

    /**
     * The file edit (the last step) replaced the file, then the process died before journaling
     * "done": the journal of a crash after step N with its last line taken off. Recovery puts the
     * file's original bytes back (none: the file goes) and the devices on their drivers.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void crashInsideTheFileEditThenRecover(Scenario s) throws Exception {
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        JsonNode steps = h.dryRunSteps();
        int n = steps.size();
        assertThat(steps.get(n - 1).get("op").asText()).as("the edit is the last step").isEqualTo("edit");
        assertThatThrownBy(() -> h.run(Map.of("PCIPASS_TEST_CRASH_AFTER_STEP", Integer.toString(n)), s.hide()))
                .isInstanceOf(Hooks.SimulatedCrash.class);
        List<String> lines = Files.readAllLines(h.journal());
        assertThat(lines.get(lines.size() - 1)).isEqualTo("{\"done\":" + (n - 1) + "}");
        Files.writeString(h.journal(), String.join("\n", lines.subList(0, lines.size() - 1)) + "\n");
        assertThat(CrashHost.bytes(h.config())).as("the new text is in place")
                .isEqualTo(encodeLike(h.configBefore, editAfter(steps)));

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as("recover: %s", rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: '" + commandLine(s.hide()) + "' was interrupted after " + (n - 1)
                + " of " + n + " steps; rolled back: " + h.config() + " restored, ");
        assertRolledBack(h);
        hideAgainThenUnhide(h, steps, false);
    }

    /** A line cut by the crash itself (a torn append) is not a garbled journal: the step it names never ran. */
    @Test
    void aTornLastJournalLineIsIgnored() throws Exception {
        CrashHost h = CrashHost.create(CrashHost.XEN_TWO, tmp.resolve("host"));
        JsonNode steps = h.dryRunSteps();
        assertThatThrownBy(() -> h.run(Map.of("PCIPASS_TEST_CRASH_AFTER_STEP", "5"), CrashHost.XEN_TWO.hide()))
                .isInstanceOf(Hooks.SimulatedCrash.class);
        Files.writeString(h.journal(), "{\"sta", java.nio.file.StandardOpenOption.APPEND);
        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: '" + commandLine(CrashHost.XEN_TWO.hide())
                + "' was interrupted after 5 of " + steps.size() + " steps; rolled back: ");
        assertRolledBack(h);
    }

    /**
     * Not a crash: the kernel writer throws an unchecked exception (here an UncheckedIOException)
     * at the plan's second write. DESIGN.md: exit 1 means "whatever was done was rolled back".
     */
    @Test
    void anUnexpectedExceptionInsideAStepIsRolledBackAtOnce() {
        Scenario s = CrashHost.XEN_TWO;
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        int[] writes = {0};
        KernelWriter failing = (file, value) -> {
            if (++writes[0] == 2) {
                throw new java.io.UncheckedIOException(new java.io.IOException("simulated driver-core failure"));
            }
            h.sim.write(file, value);
        };
        Cli.Result r = h.run(failing, h.sim, Map.of(), s.hide());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).hasLineCount(1).contains("rolled back");
        assertRolledBack(h);
    }

    // ---- real processes, SIGKILL ------------------------------------------------------------------

    /**
     * A child pcipass paused by the test hook after step 3 (e1000 bound to vfio-pci, the 8139 not
     * touched yet) is SIGKILLed while it holds the host lock; a second child's {@code recover},
     * allowed to wait only 1 s for the lock, is not blocked (the kernel dropped the dead holder's
     * fcntl lock) and rolls the plan back.
     */
    @Test
    void sigkillAfterTheFirstDeviceMovedThenRecoverInAnotherProcess() {
        Scenario s = CrashHost.KVM_GROUP;
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        int n = h.dryRunSteps().size();
        try (ChildPcipass p = ChildPcipass.start(CrashHost.childEnv("PCIPASS_TEST_PAUSE_AFTER_STEP", "3"),
                h.argv(s.hide()))) {
            assertThat(p.awaitOutput("pcipass: test hook: paused after step 3\n", CHILD))
                    .as("stdout: %s stderr: %s", p.stdout(), p.stderr()).isTrue();
            assertThat(p.isAlive()).isTrue();
            assertThat(h.driver(HostTrees.WS_E1000)).isEqualTo("vfio-pci");
            assertThat(h.driver(HostTrees.WS_RTL8139)).isEqualTo("8139cp");
            assertThat(h.journalEntry().done()).isEqualTo(3);
            assertThat(CrashHost.read(h.state.resolve(HostLock.FILE)))
                    .isEqualTo("pid " + p.pid() + ": " + commandLine(s.hide()) + "\n");
            ChildPcipass.Outcome killed = p.kill();
            assertThat(killed.exitCode()).as("SIGKILL").isEqualTo(ChildPcipass.SIGKILL_EXIT);
            assertThat(killed.stdout()).isEmpty();
        }
        assertThat(h.journal()).exists();

        int writesBefore = h.sim.writes().size();
        ChildPcipass.Outcome rec = ChildPcipass.run(CHILD, CrashHost.childEnv("PCIPASS_LOCK_TIMEOUT", "1"),
                h.argv("recover"));
        assertThat(rec.exitCode()).as("recover: %s", rec.stderr()).isZero();
        assertThat(rec.stderr()).isEmpty();
        assertThat(rec.stdout()).isEqualTo("recovered: '" + commandLine(s.hide()) + "' was interrupted after 3 of " + n
                + " steps; rolled back: " + HostTrees.WS_E1000 + " back on e1000\n");
        assertThat(h.sim.writes().subList(writesBefore, h.sim.writes().size()))
                .as("the 8139, which the plan had not reached, is left alone: not even its override is rewritten")
                .noneMatch(w -> w.path().contains(HostTrees.WS_RTL8139) || w.value().contains(HostTrees.WS_RTL8139));
        assertRolledBack(h);

        Cli.Result again = h.run(Map.of(), s.hide());
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.err()).isEmpty();
        s.original().keySet().forEach(a -> assertThat(h.driver(a)).as(a).isEqualTo("vfio-pci"));
    }

    /**
     * A child paused after its last step (every device moved, the configuration written; only the
     * registry and the journal's removal remained) is SIGKILLed; the next {@code hide} in another
     * process is not blocked by the dead holder's lock, completes the interrupted plan first, and
     * then finds both devices already hidden.
     */
    @Test
    void sigkillAfterTheLastStepThenTheNextHideCompletesThePlan() {
        Scenario s = CrashHost.XEN_TWO;
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        JsonNode steps = h.dryRunSteps();
        int n = steps.size();
        try (ChildPcipass p = ChildPcipass.start(CrashHost.childEnv("PCIPASS_TEST_PAUSE_AFTER_STEP",
                Integer.toString(n)), h.argv(s.hide()))) {
            assertThat(p.awaitOutput("pcipass: test hook: paused after step " + n + "\n", CHILD))
                    .as("stderr: %s", p.stderr()).isTrue();
            assertThat(CrashHost.read(h.config())).isEqualTo(editAfter(steps));
            assertThat(h.registry()).as("not yet recorded").isEmpty();
            assertThat(p.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }

        ChildPcipass.Outcome next = ChildPcipass.run(CHILD, CrashHost.childEnv("PCIPASS_LOCK_TIMEOUT", "1"),
                h.argv(s.hide()));
        assertThat(next.exitCode()).as("hide: %s", next.stderr()).isZero();
        assertThat(next.stderr())
                .isEqualTo("pcipass: recovered: an interrupted plan had done every step; verified and completed\n");
        assertThat(next.stdout()).isEqualTo("note: " + HostTrees.XEN_BNX2 + " is already hidden on pciback\n"
                + "note: " + HostTrees.XEN_E1000_F0 + " is already hidden on pciback\n");
        assertHidden(h, editAfter(steps));
    }

    /**
     * k = 0 with a real kill: the child has journaled its plan and {"start":0}, and is held by the
     * simulator just before its first write reaches the kernel; SIGKILL; recovery finds nothing done.
     */
    @Test
    void sigkillBeforeTheFirstWriteReachedTheKernel() {
        Scenario s = CrashHost.XEN_TWO;
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        JsonNode steps = h.dryRunSteps();
        String first = relative(h, steps.get(0).get("path").asText());
        h.sim.pauseBeforeWrite(first);
        try (ChildPcipass p = ChildPcipass.start(CrashHost.childEnv(), h.argv(s.hide()))) {
            assertThat(h.sim.awaitPause(CHILD)).as("stderr: %s", p.stderr()).isEqualTo(first);
            Journal.Entry e = h.journalEntry();
            assertThat(e.started()).isEqualTo(1);
            assertThat(e.done()).isZero();
            assertThat(p.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        } finally {
            h.sim.resume();
        }
        assertThat(h.sim.writes()).as("the write never happened").isEmpty();

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: '" + commandLine(s.hide()) + "' was interrupted after 0 of "
                + steps.size() + " steps; rolled back: ");
        assertRolledBack(h);
        hideAgainThenUnhide(h, steps, false);
    }

    // ---- a garbled journal --------------------------------------------------------------------------

    /**
     * {@code pcipass recover} and {@code pcipass hide} both stop (exit 1) with one line saying the
     * journal is garbled; nothing on the host changes and the journal stays for a human. Kinds:
     * junk; junk in a middle line; more done steps than the plan has; a first line that is not a plan.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"junk", "junk-middle-line", "too-many-done", "no-plan"})
    void aGarbledJournalStopsEveryMutatingCommandAndChangesNothing(String kind) throws Exception {
        Scenario s = CrashHost.XEN_TWO;
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        // a real journal of this host with nothing done (died before the first write), to garble
        CrashPoint crash = CrashPoint.before(h.sim, 1);
        assertThatThrownBy(() -> h.run(crash, crash, Map.of(), s.hide())).isInstanceOf(CrashPoint.Crash.class);
        List<String> real = Files.readAllLines(h.journal());
        assertThat(real).hasSize(2);
        String head = real.get(0);
        String text = switch (kind) {
            case "junk" -> "this is not a journal\n\u0000\u0001\n";
            case "junk-middle-line" -> head + "\n{\"start\":0}\nPARTIAL GARBAGE\n{\"done\":0}\n";
            case "too-many-done" -> head + "\n{\"start\":0}\n{\"done\":41}\n";
            case "no-plan" -> "{\"version\":1,\"pid\":1}\n{\"start\":0}\n";
            default -> throw new IllegalArgumentException(kind);
        };
        Files.writeString(h.journal(), text);
        byte[] journalBytes = Files.readAllBytes(h.journal());
        String prefix = "pcipass: the journal " + h.journal() + " is garbled (";
        String suffix = "); nothing was changed: check each device with 'pcipass list', then remove the journal\n";

        for (List<String> words : List.of(List.of("recover"), s.hide())) {
            Cli.Result r = h.run(Map.of(), words);
            assertThat(r.exitCode()).as("%s: %s", words, r.err()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).as("one line").hasLineCount(1).startsWith(prefix).endsWith(suffix)
                    .contains("is garbled").as("in pcipass's words, not Jackson's internals")
                    .doesNotContain("Source").doesNotContain("REDACTED").doesNotContain("StreamReadFeature");
            assertThat(Files.readAllBytes(h.journal())).as("the journal stays as it was").isEqualTo(journalBytes);
        }
        assertThat(h.sim.writes()).as("no write reached the kernel").isEmpty();
        assertThat(h.sim.commandsRun()).isEmpty();
        s.original().forEach((a, d) -> {
            assertThat(h.driver(a)).as(a).isEqualTo(d);
            assertThat(h.override(a)).as(a).isNull();
        });
        assertThat(h.registry()).isEmpty();
        assertThat(CrashHost.bytes(h.config())).isEqualTo(h.configBefore);

        // what the message says to do works
        Files.delete(h.journal());
        Cli.Result after = h.run(Map.of(), s.hide());
        assertThat(after.exitCode()).as(after.err()).isZero();
    }

    /**
     * A kill while Journal.begin writes the plan line leaves an empty journal, or a first line cut
     * short without its newline. No step can have run (steps start only after that line is forced
     * to disk), so recovery has nothing to undo and should clear it, as it already ignores a cut
     * last line; today such a journal is "garbled" and blocks every mutating command (exit 1) until
     * someone removes it by hand.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"empty", "plan-line-cut"})
    void aJournalCutWhileItsPlanLineWasWrittenMeansNothingWasDone(String kind) throws Exception {
        Scenario s = CrashHost.XEN_TWO;
        CrashHost h = CrashHost.create(s, tmp.resolve("host"));
        CrashPoint crash = CrashPoint.before(h.sim, 1);
        assertThatThrownBy(() -> h.run(crash, crash, Map.of(), s.hide())).isInstanceOf(CrashPoint.Crash.class);
        String head = Files.readAllLines(h.journal()).get(0);
        Files.writeString(h.journal(), kind.equals("empty") ? "" : head.substring(0, head.length() / 2));

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(h.sim.writes()).isEmpty();
        assertRolledBack(h);
        hideAgainThenUnhide(h, h.dryRunSteps(), false);
    }

    // ---- shared checks ------------------------------------------------------------------------------

    /** The kernel saw exactly the writes, and the runner exactly the commands, of the first {@code k} steps. */
    private static void assertEffectsOfFirstSteps(CrashHost h, JsonNode steps, int k) {
        List<String> writes = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            JsonNode st = steps.get(i);
            if (st.get("op").asText().equals("write")) {
                writes.add(relative(h, st.get("path").asText()) + " <- " + st.get("value").asText());
            } else if (st.get("op").asText().equals("run")) {
                List<String> argv = new ArrayList<>();
                st.get("argv").forEach(x -> argv.add(x.asText()));
                commands.add(argv);
            }
        }
        assertThat(h.sim.writes()).as("writes of the first %d steps", k).allMatch(w -> w.error() == null)
                .extracting(w -> w.path() + " <- " + w.value()).containsExactlyElementsOf(writes);
        assertThat(h.sim.commandsRun()).containsExactlyElementsOf(commands);
    }

    /** Every device on its original driver, nothing pcipass-made left. */
    private static void assertRolledBack(CrashHost h) {
        Scenario s = h.scenario;
        s.original().forEach((a, d) -> {
            assertThat(h.driver(a)).as("%s back on its driver", a).isEqualTo(d);
            assertThat(h.override(a)).as("%s driver_override cleared", a).isNull();
            assertThat(h.sim.pcibackSlots()).as("pciback slots").doesNotContain(a);
        });
        assertThat(h.registry()).as("registry").isEmpty();
        assertThat(CrashHost.bytes(h.config())).as("%s holds its original bytes", h.config()).isEqualTo(h.configBefore);
        assertClean(h);
    }

    /** Every device on the stub, recorded as hidden and persisted, the configuration exactly the plan's new text. */
    private static void assertHidden(CrashHost h, String configAfter) {
        Scenario s = h.scenario;
        Map<PciAddress, HiddenDevice> reg = h.registry();
        assertThat(reg.keySet()).extracting(PciAddress::toString)
                .containsExactlyInAnyOrderElementsOf(s.original().keySet());
        s.original().forEach((a, d) -> {
            assertThat(h.driver(a)).as("%s hidden", a).isEqualTo(s.stub());
            assertThat(h.override(a)).as("%s driver_override", a).isEqualTo(s.stub());
            HiddenDevice rec = reg.get(PciAddress.parse(a));
            assertThat(rec.stub()).isEqualTo(s.stub());
            assertThat(rec.originalDriver()).isEqualTo(d);
            assertThat(rec.persisted()).isTrue();
        });
        assertThat(CrashHost.bytes(h.config())).as("%s holds exactly the new text", h.config())
                .isEqualTo(encodeLike(h.configBefore, configAfter));
        assertClean(h);
    }

    private static void assertClean(CrashHost h) {
        assertThat(h.journal()).doesNotExist();
        assertThat(h.temporaryFiles()).as("temporary files").isEmpty();
    }

    /**
     * The state is consistent: the same hide succeeds (finding the devices hidden when recovery
     * completed the plan), and unhide --persist then gives back exactly the original host.
     */
    private static void hideAgainThenUnhide(CrashHost h, JsonNode steps, boolean alreadyHidden) {
        Scenario s = h.scenario;
        Cli.Result again = h.run(Map.of(), s.hide());
        assertThat(again.exitCode()).as("hide again: %s", again.err()).isZero();
        assertThat(again.err()).isEmpty();
        if (alreadyHidden) {
            // only the devices named on the command line are noted (a hidden group sibling is no longer a sibling to move)
            s.hide().stream().filter(w -> w.startsWith("0000:")).forEach(a -> assertThat(again.out())
                    .contains("note: " + a + " is already hidden on " + s.stub() + "\n"));
        } else {
            s.original().forEach((a, d) -> assertThat(again.out()).contains(a + ": " + d + " -> " + s.stub() + "\n"));
        }
        assertHidden(h, editAfter(steps));

        Cli.Result back = h.run(Map.of(), s.unhide());
        assertThat(back.exitCode()).as("unhide: %s", back.err()).isZero();
        assertThat(back.err()).isEmpty();
        s.original().forEach((a, d) -> {
            assertThat(h.driver(a)).as("%s after unhide", a).isEqualTo(d);
            assertThat(h.override(a)).as("%s driver_override after unhide", a).isNull();
        });
        assertThat(h.registry()).isEmpty();
        assertThat(CrashHost.bytes(h.config())).as("%s after unhide --persist", h.config()).isEqualTo(h.configBefore);
        assertClean(h);
    }

    private static String editAfter(JsonNode steps) {
        JsonNode last = steps.get(steps.size() - 1);
        assertThat(last.get("op").asText()).isEqualTo("edit");
        return last.get("after").asText();
    }

    /** {@code text} in the encoding of the file it replaces: UTF-8, or ISO-8859-1 when the old bytes were not UTF-8. */
    private static byte[] encodeLike(byte[] old, String text) {
        if (old == null) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(old));
            return text.getBytes(StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            return text.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    /** What Mutation records as the command: "pcipass hide", the devices, then the flags sorted. */
    private static String commandLine(List<String> words) {
        StringBuilder b = new StringBuilder("pcipass");
        words.stream().filter(w -> !w.startsWith("--")).forEach(w -> b.append(' ').append(w));
        words.stream().filter(w -> w.startsWith("--")).sorted().forEach(w -> b.append(' ').append(w));
        return b.toString();
    }

    private static String relative(CrashHost h, String path) {
        String prefix = h.host.sysfs() + "/";
        assertThat(path).startsWith(prefix);
        return path.substring(prefix.length());
    }

    private static String slug(Scenario s) {
        return s.name().substring(0, s.name().indexOf(' '));
    }
}
