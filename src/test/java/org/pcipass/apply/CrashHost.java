package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.pcipass.cli.Cli;
import org.pcipass.host.CommandRunner;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.sysfs.KernelWriter;
import org.pcipass.store.HiddenRegistry;
import org.pcipass.store.Owners;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * One fake host for the crash and concurrency tests: a fresh {@link HostTrees} tree in its own
 * directory ({@code DIR/sys}, {@code DIR/root}), a {@link KernelSim} on it, and a state dir
 * {@code DIR/state}. Runs pcipass in this JVM ({@link #run}) or gives the argv for a child
 * ({@link #argv}), and reads back what a recovery must leave behind.
 */
final class CrashHost {
    /** A multi-device {@code hide --persist} on one named host, and what "back" and "hidden" mean there. */
    record Scenario(String name, Function<Path, FakeHost> tree, List<String> hide, List<String> unhide,
            Map<String, String> original, String stub, String configFile) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** e1000 and 8139cp of IOMMU group 17 to vfio-pci, etc/modprobe.d/pcipass.conf (new). 10 steps. */
    static final Scenario KVM_GROUP = new Scenario("kvmWorkstation hide --with-group --persist",
            HostTrees::kvmWorkstation, List.of("hide", HostTrees.WS_E1000, "--with-group", "--persist"),
            List.of("unhide", HostTrees.WS_E1000, "--with-group", "--persist"),
            ordered(HostTrees.WS_E1000, "e1000", HostTrees.WS_RTL8139, "8139cp"), "vfio-pci",
            "etc/modprobe.d/pcipass.conf");

    /**
     * bnx2 and e1000 to pciback in a Xen dom0, etc/modprobe.d/pcipass.conf (new). 9 steps. The dom0
     * boots without the tree's xen-pciback.hide= (which would replace the line's hide= when
     * xen-pciback loads, so that --persist writes the boot unit too: HideUnhideTest shows that).
     */
    static final Scenario XEN_TWO = new Scenario("xenDom0 hide two --persist", dir -> {
        FakeHost h = HostTrees.xenDom0(dir);
        h.rootfs().cmdline("root=LABEL=root-abcdef ro nolvm hpet=disable console=hvc0");
        return h;
    },
            List.of("hide", HostTrees.XEN_BNX2, HostTrees.XEN_E1000_F0, "--persist"),
            List.of("unhide", HostTrees.XEN_BNX2, HostTrees.XEN_E1000_F0, "--persist"),
            ordered(HostTrees.XEN_BNX2, "bnx2", HostTrees.XEN_E1000_F0, "e1000"), "pciback",
            "etc/modprobe.d/pcipass.conf");

    /**
     * bnx2 to pciback on RHEL 5 (modprobe pciback first; the existing etc/modprobe.conf is edited).
     * Its modprobe.conf starts with a non-ASCII comment, so that "original bytes" means bytes. (Not
     * Latin-1: the simulator's modprobe reads the configuration as strict UTF-8.) 6 steps.
     */
    static final Scenario RHEL5 = new Scenario("rhel5Root hide --persist (modprobe, existing modprobe.conf)",
            dir -> {
                FakeHost h = HostTrees.rhel5Root(dir);
                Path conf = h.configRoot().resolve("etc/modprobe.conf");
                try {
                    byte[] old = Files.readAllBytes(conf);
                    byte[] note = "# r\u00e9seau: eth0 d\u2019abord\n".getBytes(StandardCharsets.UTF_8);
                    byte[] all = Arrays.copyOf(note, note.length + old.length);
                    System.arraycopy(old, 0, all, note.length, old.length);
                    Files.write(conf, all);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return h;
            },
            List.of("hide", HostTrees.R5_BNX2, "--persist"), List.of("unhide", HostTrees.R5_BNX2, "--persist"),
            ordered(HostTrees.R5_BNX2, "bnx2"), "pciback", "etc/modprobe.conf");

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    final Scenario scenario;
    final FakeHost host;
    final KernelSim sim;
    final Path state;
    /** The configuration file's bytes before anything ran; null when it did not exist. */
    final byte[] configBefore;

    private CrashHost(Scenario scenario, FakeHost host, Path state) {
        this.scenario = scenario;
        this.host = host;
        this.sim = new KernelSim(host.sysfs(), host.configRoot());
        this.state = state;
        this.configBefore = bytes(config());
    }

    /** A fresh tree of {@code scenario} in {@code dir} (which must not hold one yet). */
    static CrashHost create(Scenario scenario, Path dir) {
        return new CrashHost(scenario, scenario.tree().apply(dir), dir.resolve("state"));
    }

    /** A fresh kvmWorkstation in {@code dir}, for tests of other devices than a scenario's. */
    static CrashHost kvm(Path dir) {
        return create(KVM_GROUP, dir);
    }

    /** The global options naming this host's trees and state dir. */
    List<String> globals() {
        return List.of("--sysfs", host.sysfs().toString(), "--config-root", host.configRoot().toString(),
                "--state-dir", state.toString());
    }

    /** {@code words} followed by the global options: a command line for pcipass here. */
    String[] argv(List<String> words) {
        List<String> a = new ArrayList<>(words);
        a.addAll(globals());
        return a.toArray(String[]::new);
    }

    String[] argv(String... words) {
        return argv(List.of(words));
    }

    /** A child environment: the test hooks and lock timeout unset unless given. */
    static Map<String, String> childEnv(String... kv) {
        Map<String, String> env = new HashMap<>();
        env.put("PCIPASS_TEST_PAUSE_AFTER_STEP", null);
        env.put("PCIPASS_TEST_CRASH_AFTER_STEP", null);
        env.put("PCIPASS_LOCK_TIMEOUT", null);
        env.put("PCIPASS_STATE_DIR", null);
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return env;
    }

    /** pcipass in this JVM against the simulator, with {@code env}. */
    Cli.Result run(Map<String, String> env, List<String> words) {
        return run(sim, sim, env, words);
    }

    Cli.Result run(KernelWriter kernel, CommandRunner runner, Map<String, String> env, List<String> words) {
        Cli cli = new Cli().kernel(kernel).runner(runner);
        env.forEach(cli::env);
        return cli.run(argv(words));
    }

    Cli.Result run(String... words) {
        return run(Map.of(), List.of(words));
    }

    /** The scenario's plan, from {@code hide ... --dry-run --json}: its "steps" array. */
    JsonNode dryRunSteps() {
        List<String> w = new ArrayList<>(scenario.hide());
        w.add("--dry-run");
        w.add("--json");
        Cli.Result r = run(Map.of(), w);
        assertThat(r.exitCode()).as("dry run: %s", r.err()).isZero();
        JsonNode steps = r.json().get("steps");
        assertThat(steps.isArray()).isTrue();
        return steps;
    }

    /**
     * Makes the registry unwritable as a full disk would: the owners file, which the store writes
     * inside its transaction, gets a temporary file that is a link to /dev/full, so writing it fails
     * with ENOSPC and the store's transaction is rolled back. Delete the returned link to give the
     * room back.
     */
    Path fillRegistryDisk() {
        try {
            Files.createDirectories(state);
            return Files.createSymbolicLink(state.resolve("." + Owners.FILE + ".tmp"), Path.of("/dev/full"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path journal() {
        return Journal.path(state);
    }

    Path config() {
        return host.configRoot().resolve(scenario.configFile());
    }

    /** "start" and "done" counts of the journal left behind, as recover reads it. */
    Journal.Entry journalEntry() {
        return Journal.read(state);
    }

    String driver(String a) {
        return sim.driverOf(a);
    }

    String override(String a) {
        return sim.driverOverride(a);
    }

    Map<PciAddress, HiddenDevice> registry() {
        return HiddenRegistry.load(state);
    }

    /** Every file under the state dir and the config root's etc whose name says it is a temporary file. */
    List<Path> temporaryFiles() {
        List<Path> out = new ArrayList<>();
        for (Path dir : List.of(state, host.configRoot().resolve("etc"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> {
                    String n = p.getFileName().toString();
                    return n.endsWith(".tmp") || n.endsWith(".pcipass-tmp");
                }).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    static byte[] bytes(Path file) {
        try {
            return Files.exists(file) ? Files.readAllBytes(file) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
