package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_GPU;
import static org.pcipass.testing.HostTrees.WS_GPU_AUDIO;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;
import static org.pcipass.testing.HostTrees.WS_VF0;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.SimMain;

/**
 * Issue 9, suspicions b and c: the journal and the registry are written to a real disk that can be
 * full. A journal line or the registry that cannot be written after the host changed makes the
 * same command roll back at once (exit 1, no journal left), and a journal is never cut in a way
 * that hides a step that ran.
 *
 * <p>The disk is made full for real: a child pcipass runs under {@code prlimit --fsize=N}, so its
 * writes past byte N of any file get a short count and then EFBIG (the JVM ignores SIGXFSZ), at a
 * chosen place in the journal; for the registry, the owners file that the store writes inside its
 * transaction gets a temporary file that is a link to {@code /dev/full} (ENOSPC), which rolls the
 * store's transaction back.
 */
class BookkeepingFailureTest {
    static final Duration CHILD = Duration.ofSeconds(60);
    static final List<String> HIDE = List.of("hide", WS_GPU, "--with-group");

    @TempDir
    Path tmp;

    /** The journal's lines for HIDE on a fresh host, as this JVM writes them (a child's pid may have other digits). */
    private static List<String> journalLines(CrashHost h) throws IOException {
        int n = 9;
        CrashHost probe = h;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> probe.run(Map.of("PCIPASS_TEST_CRASH_AFTER_STEP",
                Integer.toString(n)), HIDE)).isInstanceOf(Hooks.SimulatedCrash.class);
        List<String> lines = Files.readAllLines(h.journal());
        assertThat(lines).hasSize(1 + 2 * n);
        return lines;
    }

    /**
     * Where the journal runs out of room, by the line it cuts: inside the plan line, inside the
     * start line of step 1, of step 5 (the audio function's first write) and of step 8 (the
     * GPU group's wait), inside the done line of step 7 (after the audio function's bind), and
     * inside the last done line. Each time the host ends as it was, with no journal, and the next
     * command has nothing to recover.
     */
    @ParameterizedTest(name = "journal full inside line {0}")
    @ValueSource(ints = {0, 1, 9, 15, 14, 18})
    void aJournalThatRunsOutOfRoomRollsBackAtOnce(int line) throws IOException {
        // a twin host whose paths have the same lengths, so that its journal lines have this host's lengths
        List<String> lines = journalLines(CrashHost.kvm(tmp.resolve("twin")));
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        long limit = 0;
        for (int i = 0; i < line; i++) {
            limit += lines.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
        }
        limit += line == 0 ? lines.get(0).length() / 2 : 6;
        ChildPcipass.Outcome o;
        try (ChildPcipass p = ChildPcipass.startUnder(List.of("prlimit", "--fsize=" + limit, "--"), SimMain.class,
                CrashHost.childEnv(), List.of(h.argv(HIDE)))) {
            o = p.waitFor(CHILD);
        }
        assertThat(o.exitCode()).as("stdout %s stderr %s", o.stdout(), o.stderr()).isEqualTo(1);
        assertThat(o.stderr()).as("stderr").contains("cannot write the journal " + h.journal() + ": File too large");
        if (line == 0) {
            // the audit log cannot grow under the same file-size limit: said, and the exit code stays the plan's
            assertThat(o.stderr().lines().filter(l -> !l.startsWith("pcipass: warning: the audit log was not written: ")))
                    .as("nothing was done").hasSize(1);
            assertThat(h.sim.writes()).isEmpty();
        } else {
            assertThat(o.stderr()).contains("; rolled back: ");
        }
        assertThat(h.journal()).as("no journal is left behind").doesNotExist();
        for (String a : List.of(WS_GPU, WS_GPU_AUDIO)) {
            assertThat(h.override(a)).as("%s override", a).isNull();
        }
        assertThat(h.driver(WS_GPU)).isEqualTo("nouveau");
        assertThat(h.driver(WS_GPU_AUDIO)).isEqualTo("snd_hda_intel");
        assertThat(h.registry()).isEmpty();
        Cli.Result rec = h.run("recover");
        assertThat(rec.out()).isEqualTo("nothing to recover: no interrupted plan\n");
    }

    @Test
    void aRegistryThatCannotBeWrittenRollsBackAtOnce() throws IOException {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        Path tmpFile = h.fillRegistryDisk();
        Cli.Result r = h.run("hide", WS_UNKNOWN);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("pcipass: every step was done, but cannot write " + h.state.resolve("owners")
                + ": No space left on device; rolled back: " + WS_UNKNOWN + " back on no driver\n");
        assertThat(h.driver(WS_UNKNOWN)).isNull();
        assertThat(h.override(WS_UNKNOWN)).isNull();
        assertThat(h.journal()).doesNotExist();
        assertThat(h.registry()).as("the store's transaction was rolled back").isEmpty();

        Files.delete(tmpFile); // room again
        Cli.Result again = h.run("hide", WS_UNKNOWN);
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(h.registry()).hasSize(1);
    }

    /**
     * The registry cannot be written after every step was done, and the rollback then fails before it
     * could unbind (the kernel refuses the override write): the device still sits on the stub. The
     * journal says the plan failed, so that recover — once the cause is fixed — undoes it rather than
     * "completing" a plan whose command said it failed and whose files are back to their old text.
     */
    @Test
    void aPlanThatFailedAfterItsLastStepIsNeverCompletedByRecover() throws IOException {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        Path tmpFile = h.fillRegistryDisk();
        String override = h.host.sysfs() + "/bus/pci/devices/" + WS_VF0 + "/driver_override";
        boolean[] bound = {false};
        org.pcipass.sysfs.KernelWriter refusesTheOverrideOnceBound = (file, value) -> {
            if (bound[0] && file.toString().equals(override)) {
                throw new IOException("Input/output error");
            }
            h.sim.write(file, value);
            bound[0] |= file.toString().endsWith("/drivers/vfio-pci/bind");
        };
        Cli.Result r = h.run(refusesTheOverrideOnceBound, h.sim, Map.of(), List.of("hide", WS_VF0));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("pcipass: every step was done, but cannot write ").contains("the rollback failed too");
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");
        assertThat(h.journal()).exists();

        Files.delete(tmpFile);
        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: 'pcipass hide " + WS_VF0 + "' failed: every step was done, but")
                .endsWith("; its rollback did not finish; rolled back: " + WS_VF0 + " back on igbvf\n");
        assertThat(h.driver(WS_VF0)).isEqualTo("igbvf");
        assertThat(h.override(WS_VF0)).isNull();
        assertThat(h.registry()).isEmpty();
    }

    /** A channel may take fewer bytes than asked (a signal, a nearly full disk): the journal writes every byte. */
    @Test
    void journalLinesAreWrittenWholeThroughShortWrites() throws IOException {
        List<Byte> got = new ArrayList<>();
        WritableByteChannel dribble = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = Math.min(3, src.remaining());
                for (int i = 0; i < n; i++) {
                    got.add(src.get());
                }
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        byte[] line = "{\"start\":12}\n".getBytes(StandardCharsets.UTF_8);
        Journal.writeFully(dribble, ByteBuffer.wrap(line));
        byte[] out = new byte[got.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = got.get(i);
        }
        assertThat(out).isEqualTo(line);
    }

    /**
     * However a journal is cut (every byte length of a real one, the kill after step 9 of 9),
     * recovery reads a step as started whenever its start line is whole, and deletes the journal
     * as "nothing ran" only when it holds no newline at all, which no start line can follow.
     */
    @Test
    void noCutOfAJournalLosesAStartedStep() throws IOException {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        journalLines(h);
        byte[] whole = Files.readAllBytes(h.journal());
        String text = new String(whole, StandardCharsets.UTF_8);
        for (int len = 0; len <= whole.length; len++) {
            String prefix = text.substring(0, len);
            Files.writeString(h.journal(), prefix);
            int wholeStarts = (int) prefix.lines().filter(l -> l.startsWith("{\"start\":")).count()
                    - (prefix.endsWith("\n") || !lastLine(prefix).startsWith("{\"start\":") ? 0 : 1);
            Journal.Entry e;
            try {
                e = Journal.read(h.state);
            } catch (org.pcipass.PcipassException garbled) {
                throw new AssertionError("a cut at byte " + len + " reads as garbled: " + garbled.getMessage());
            }
            if (e == null) {
                assertThat(prefix).as("deleted at byte %d", len).doesNotContain("\n");
                assertThat(h.journal()).doesNotExist();
            } else {
                assertThat(e.started()).as("started steps at byte %d", len).isEqualTo(wholeStarts);
            }
        }
    }

    private static String lastLine(String s) {
        int nl = s.lastIndexOf('\n');
        return nl < 0 ? s : s.substring(nl + 1);
    }
}
