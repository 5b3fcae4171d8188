package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;
import static org.pcipass.testing.HostTrees.WS_VF1;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.plan.HideRefusalTest;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * A {@code --state-dir} (or {@code PCIPASS_STATE_DIR}) that can never hold pcipass's state is bad
 * input (issue 9, defect 8): exit 2, one line naming the option or variable it came from and the
 * fix, nothing changed, for every command that reads the state dir, dry runs included. Tests run as
 * root, so permission bits prove nothing here: these are the paths root can get wrong.
 */
class StateDirTest {
    private static final String FIX = "; give a directory (pcipass creates it when missing)";
    /** Every command that reads the state dir; hide and unhide would change the host if they got that far. */
    private static final List<List<String>> COMMANDS = List.of(
            List.of("hide", WS_UNKNOWN, "--persist"),
            List.of("hide", WS_UNKNOWN, "--dry-run"),
            List.of("unhide", WS_VF1, "--persist"),
            List.of("unhide", WS_VF1, "--dry-run", "--json"),
            List.of("recover"),
            List.of("apply-boot"),
            List.of("config", WS_UNKNOWN, "--format", "modprobe"));

    @TempDir
    Path tmp;

    /** The bad state dir of each kind, and why it can never serve, as the message words it. */
    private record Bad(Path dir, String why) {}

    private Bad bad(String kind) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "not a directory\n");
        return switch (kind) {
            case "file" -> new Bad(file, "it is a file, not a directory");
            case "under-a-file" -> new Bad(file.resolve("state"), file + " is a file, not a directory");
            case "dangling-link" -> new Bad(Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("unmounted/pcipass")),
                    "it is a symbolic link to " + tmp.resolve("unmounted/pcipass") + ", which does not exist");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "under-a-file", "dangling-link"})
    void aStateDirThatCanNeverServeIsBadInputForEveryCommandThatReadsIt(String kind) throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        KernelSim sim = new KernelSim(h.sysfs(), h.configRoot());
        Bad bad = bad(kind);
        String bindings = HideRefusalTest.bindings(h);
        List<String> tree = tree();
        for (List<String> words : COMMANDS) {
            List<String> argv = new ArrayList<>(words);
            argv.addAll(List.of("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString()));
            List<String> byOption = new ArrayList<>(argv);
            byOption.addAll(List.of("--state-dir", bad.dir().toString()));
            Cli.Result opt = new Cli().kernel(sim).runner(sim).run(byOption.toArray(String[]::new));
            BadInputTest.assertOneLineError(opt);
            assertThat(opt.err()).as(String.join(" ", words))
                    .isEqualTo("pcipass: --state-dir " + bad.dir() + " is not usable: " + bad.why() + FIX + "\n");
            Cli.Result env = new Cli().kernel(sim).runner(sim).env("PCIPASS_STATE_DIR", bad.dir().toString())
                    .run(argv.toArray(String[]::new));
            BadInputTest.assertOneLineError(env);
            assertThat(env.err()).as(String.join(" ", words))
                    .isEqualTo("pcipass: PCIPASS_STATE_DIR " + bad.dir() + " is not usable: " + bad.why() + FIX + "\n");
        }
        assertThat(sim.writes()).as("no sysfs write").isEmpty();
        assertThat(sim.commandsRun()).as("no modprobe").isEmpty();
        assertThat(HideRefusalTest.bindings(h)).isEqualTo(bindings);
        assertThat(tree()).as("nothing created, nothing removed").isEqualTo(tree);
        assertThat(Fs.read(tmp.resolve("a-file"))).isEqualTo("not a directory\n");
    }

    /**
     * list, show, groups and check never read the state dir (guests' owners will come from the
     * store): a bad one is not their concern, and an environment that sets it for everything must
     * not break them.
     */
    @Test
    void commandsThatDoNotReadTheStateDirIgnoreIt() throws Exception {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        for (List<String> words : List.of(List.of("list"), List.of("show", WS_UNKNOWN), List.of("groups"),
                List.of("check"))) {
            List<String> argv = new ArrayList<>(words);
            argv.addAll(List.of("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(),
                    "--state-dir", file.toString()));
            Cli.Result r = Cli.exec(argv.toArray(String[]::new));
            assertThat(r.exitCode()).as(words + ": " + r.err()).isIn(0, 4);
            assertThat(r.err()).doesNotContain("state");
        }
    }

    /** Every path under tmp (the host trees, the bad state dir's surroundings). */
    private List<String> tree() throws Exception {
        try (var s = Files.walk(tmp)) {
            return s.map(Path::toString).sorted().toList();
        }
    }
}
