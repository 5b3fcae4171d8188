package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.pcipass.cli.Cli;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * Issue 9, acceptance b: random plans (hide or unhide of random devices, with or without
 * --persist) on three simulated hosts, with random faults — the kernel refusing a chosen write
 * (until the cause is "fixed"), a device unplugged before a chosen effect, a crash after a chosen
 * effect, a registry that cannot be written (ENOSPC) — then a recovery that may itself crash or lose a device, then the fix and
 * {@code recover}. Afterwards: no journal and no temporary file is left; every device the plan
 * did not reach is exactly as before; every surviving device of the plan is on its original
 * driver with its original override, or (all of them) on the intended one; the registry and every
 * file the plan edits say the same (old, or the plan's new text); and the next command works.
 * The crashes here are Errors in this JVM (nothing catches them); the SIGKILL tests kill real
 * processes.
 */
class FaultRecoveryPropertiesTest {
    private static final List<String> ERRNOS = List.of("EIO", "EBUSY", "ENODEV", "EINVAL", "ENOMEM");

    /** A simulated host and the devices a plan may take there. */
    enum Host {
        KVM(CrashHost.KVM_GROUP, List.of(HostTrees.WS_E1000, HostTrees.WS_UNKNOWN, HostTrees.WS_VF0, HostTrees.WS_VF1,
                HostTrees.WS_GPU, HostTrees.WS_SPARE_NIC)),
        XEN(CrashHost.XEN_TWO, List.of(HostTrees.XEN_BNX2, HostTrees.XEN_E1000_F0, HostTrees.XEN_PCIBACK)),
        RHEL5(CrashHost.RHEL5, List.of(HostTrees.R5_BNX2));

        final CrashHost.Scenario scenario;
        final List<String> candidates;

        Host(CrashHost.Scenario scenario, List<String> candidates) {
            this.scenario = scenario;
            this.candidates = candidates;
        }
    }

    @Property(tries = 50)
    void afterAnyFaultRecoverLeavesEveryDeviceOriginalOrIntendedAndNoJournal(
            @ForAll Host kind, @ForAll @IntRange(min = 1, max = 63) int pick, @ForAll boolean persist,
            @ForAll boolean unhide, @ForAll @IntRange(max = 12) int failWrite, @ForAll @IntRange(max = 4) int errno,
            @ForAll @IntRange(max = 14) int unplugBefore, @ForAll @IntRange(max = 7) int unplugWhich,
            @ForAll @IntRange(max = 14) int crashAfter, @ForAll @IntRange(max = 8) int recoveryCrashAfter,
            @ForAll @IntRange(max = 6) int recoveryUnplugBefore, @ForAll boolean registryFull) throws IOException {
        Path dir = Files.createTempDirectory("pcipass-faults");
        try {
            CrashHost h = CrashHost.create(kind.scenario, dir.resolve("h"));
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < kind.candidates.size(); i++) {
                if ((pick & (1 << i)) != 0) {
                    targets.add(kind.candidates.get(i));
                }
            }
            if (targets.isEmpty()) {
                targets.add(kind.candidates.get(0));
            }
            List<String> hide = words("hide", targets, persist);
            if (unhide) {
                Cli.Result first = h.run(Map.of(), hide);
                if (first.exitCode() != 0) {
                    return; // refused by policy: nothing to return
                }
            }
            List<String> op = unhide ? words("unhide", targets, persist) : hide;
            Before was = Before.read(h);
            List<String> dry = new ArrayList<>(op);
            dry.add("--dry-run");
            dry.add("--json");
            Cli.Result plan = h.run(Map.of(), dry);
            if (plan.exitCode() != 0 || plan.json().get("steps").isEmpty()) {
                Cli.Result r = h.run(Map.of(), op);
                assertThat(r.exitCode()).isIn(0, plan.exitCode());
                was.assertUnchangedExcept(h, Map.of());
                return;
            }
            JsonNode steps = plan.json().get("steps");
            Map<String, String> intended = intended(steps);
            List<String> reachable = new ArrayList<>(intended.keySet()); // and on the workstation, two group siblings
            if (kind == Host.KVM) {
                reachable.addAll(List.of(HostTrees.WS_GPU_AUDIO, HostTrees.WS_RTL8139));
            }
            String unplugged = reachable.isEmpty() ? null : reachable.get(unplugWhich % reachable.size()); // an edit-only plan
            String failing = writePath(h, steps, failWrite);
            if (failing != null) {
                h.sim.injectWriteError(failing, ERRNOS.get(errno));
            }
            Path registryTmp = registryFull ? h.fillRegistryDisk() : null;

            runExpectingAnything(h, CrashPoint.unplugging(h.sim, unplugBefore, unplugged, crashAfter), op);
            if (recoveryCrashAfter > 0 || recoveryUnplugBefore > 0) {
                runExpectingAnything(h, CrashPoint.unplugging(h.sim, recoveryUnplugBefore, unplugged,
                        recoveryCrashAfter), List.of("recover"));
            }
            h.sim.clearFaults(); // the admin fixes the cause
            if (registryTmp != null) {
                Files.deleteIfExists(registryTmp); // a recovery may have swept it as a temporary file already
            }
            Cli.Result rec = h.run("recover");
            assertThat(rec.exitCode()).as("recover: %s%s", rec.out(), rec.err()).isZero();
            assertThat(h.journal()).as("no journal left").doesNotExist();
            assertThat(h.temporaryFiles()).isEmpty();
            boolean done = was.assertOriginalOrIntended(h, intended, kind.scenario.stub(), unhide, steps);
            if (!done || !unhide) {
                // the state is one pcipass can work from: the same hide works on the devices that are still there
                List<String> left = targets.stream().filter(a -> present(h.sim, a)).toList();
                if (!left.isEmpty()) {
                    Cli.Result again = h.run(Map.of(), words(unhide ? "unhide" : "hide", left, persist));
                    assertThat(again.exitCode()).as("again: %s", again.err()).isIn(0, 3);
                    assertThat(h.journal()).doesNotExist();
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static List<String> words(String command, List<String> devices, boolean persist) {
        List<String> w = new ArrayList<>(List.of(command));
        w.addAll(devices);
        w.add("--with-group");
        if (persist) {
            w.add("--persist");
        }
        return w;
    }

    /** Runs {@code words}; a simulated crash (an Error) ends it as a kill would. */
    private static void runExpectingAnything(CrashHost h, CrashPoint chaos, List<String> words) {
        try {
            h.run(chaos, chaos, Map.of(), words);
        } catch (CrashPoint.Crash | KernelSim.SimulatedCrash | Hooks.SimulatedCrash killed) {
            // the process died here
        }
    }

    /** The driver a device returned through drivers_probe may end on: whichever the kernel picks. */
    private static final String KERNELS_CHOICE = "(the kernel's choice)";

    /**
     * Every device the plan moves, with the driver its expect-driver step wants, or
     * {@link #KERNELS_CHOICE} for one it writes to without expecting a driver (drivers_probe).
     */
    private static Map<String, String> intended(JsonNode steps) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode s : steps) {
            if (s.get("op").asText().equals("write")) {
                PciAddress a = new org.pcipass.plan.Step.Write(s.get("path").asText(), s.get("value").asText()).device();
                if (a != null) {
                    out.putIfAbsent(a.toString(), KERNELS_CHOICE);
                }
            }
        }
        for (JsonNode s : steps) {
            if (s.get("op").asText().equals("expect-driver")) {
                out.put(s.get("device").asText(), s.get("driver").isNull() ? null : s.get("driver").asText());
            }
        }
        return out;
    }

    /** The path (relative to sysfs) of the plan's k-th write, or null for k = 0 or beyond the last. */
    private static String writePath(CrashHost h, JsonNode steps, int k) {
        int n = 0;
        for (JsonNode s : steps) {
            if (s.get("op").asText().equals("write") && ++n == k) {
                return h.host.sysfs().relativize(Path.of(s.get("path").asText())).toString();
            }
        }
        return null;
    }

    private static boolean present(KernelSim sim, String a) {
        return Files.isDirectory(sim.sysfs().resolve("bus/pci/devices").resolve(a));
    }

    /** The host before the faulty command: every device's driver and override, the registry, the edited files. */
    private record Before(Map<String, String> drivers, Map<String, String> overrides,
            Map<PciAddress, HiddenDevice> registry, Map<Path, byte[]> files) {
        static Before read(CrashHost h) throws IOException {
            Map<String, String> drivers = new TreeMap<>();
            Map<String, String> overrides = new TreeMap<>();
            try (Stream<Path> s = Files.list(h.host.sysfs().resolve("bus/pci/devices"))) {
                for (Path p : s.toList()) {
                    String a = p.getFileName().toString();
                    drivers.put(a, h.driver(a));
                    overrides.put(a, h.override(a));
                }
            }
            Map<Path, byte[]> files = new LinkedHashMap<>();
            for (String f : List.of(h.scenario.configFile(), "etc/modprobe.d/pcipass.conf",
                    "etc/systemd/system/pcipass-apply-boot.service")) {
                Path p = h.host.configRoot().resolve(f);
                files.put(p, CrashHost.bytes(p));
            }
            return new Before(drivers, overrides, h.registry(), files);
        }

        void assertUnchangedExcept(CrashHost h, Map<String, String> moved) {
            drivers.forEach((a, d) -> {
                if (!moved.containsKey(a) && present(h.sim, a)) {
                    assertThat(h.driver(a)).as("%s, which the plan did not move", a).isEqualTo(d);
                    assertThat(h.override(a)).as("%s override", a).isEqualTo(overrides.get(a));
                }
            });
        }

        /**
         * Asserts the plan was wholly undone or wholly done, for the devices still there (a device the
         * kernel was to pick a driver for counts as done on any driver with its override cleared); true when done.
         */
        boolean assertOriginalOrIntended(CrashHost h, Map<String, String> intended, String stub, boolean unhide,
                JsonNode steps) {
            assertUnchangedExcept(h, intended);
            List<String> survivors = intended.keySet().stream().filter(a -> present(h.sim, a)).toList();
            boolean allOriginal = survivors.stream().allMatch(a -> Objects.equals(h.driver(a), drivers.get(a))
                    && Objects.equals(h.override(a), overrides.get(a)));
            boolean allIntended = survivors.stream().allMatch(a -> (intended.get(a) == KERNELS_CHOICE
                    || Objects.equals(h.driver(a), intended.get(a))) && Objects.equals(h.override(a), unhide ? null : stub));
            Map<String, String> now = new TreeMap<>();
            survivors.forEach(a -> now.put(a, h.driver(a) + " (override " + h.override(a) + ")"));
            assertThat(allOriginal || allIntended).as("every device back as it was %s, or every one moved %s: %s",
                    drivers, intended, now).isTrue();
            boolean done = allIntended && !allOriginal || survivors.isEmpty() && !h.registry().equals(registry);
            if (allOriginal && !allIntended) {
                assertThat(h.registry()).as("the registry as before").isEqualTo(registry);
            } else if (done && !unhide) {
                intended.keySet().forEach(a -> assertThat(h.registry()).as("%s recorded", a)
                        .containsKey(PciAddress.parse(a)));
            }
            boolean either = allOriginal && allIntended;
            for (JsonNode s : steps) {
                if (s.get("op").asText().equals("edit")) {
                    Path f = Path.of(s.get("file").asText());
                    String after = s.get("after").isNull() ? null : s.get("after").asText();
                    String old = files.get(f) == null ? null : new String(files.get(f), StandardCharsets.UTF_8);
                    byte[] bytes = CrashHost.bytes(f);
                    String text = bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
                    if (either) {
                        assertThat(text).as("%s holds its old or its new text", f).isIn(old, after);
                    } else {
                        assertThat(text).as("%s holds its %s text", f, done ? "new" : "old").isEqualTo(done ? after : old);
                    }
                }
            }
            return done;
        }
    }
}
