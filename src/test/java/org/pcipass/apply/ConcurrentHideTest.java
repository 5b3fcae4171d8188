package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * Two separate OS processes (child JVMs running pcipass against one simulated kernel, one state
 * dir) at once (issue acceptance f): hiding different devices, both succeed, one plan after the
 * other (the host lock); hiding the same device, one hides it and the other finds it hidden; a
 * waiter gives up after PCIPASS_LOCK_TIMEOUT naming the holder's pid and command.
 *
 * <p>Devices of the kvmWorkstation, each alone in its IOMMU group: {@link HostTrees#WS_UNKNOWN}
 * (no driver, group 8) and {@link HostTrees#WS_VF0} (igbvf, group 6).
 */
class ConcurrentHideTest {
    static final Duration CHILD = Duration.ofSeconds(60);
    static final String A = HostTrees.WS_UNKNOWN;
    static final String B = HostTrees.WS_VF0;

    @TempDir
    Path tmp;

    /** The writes a lone {@code hide A} makes (no driver: override, bind). */
    static List<String> writesOfA() {
        return List.of("bus/pci/devices/" + A + "/driver_override <- vfio-pci", "bus/pci/drivers/vfio-pci/bind <- " + A);
    }

    /** The writes a lone {@code hide B} makes (on igbvf: override, unbind, bind). */
    static List<String> writesOfB() {
        return List.of("bus/pci/devices/" + B + "/driver_override <- vfio-pci",
                "bus/pci/devices/" + B + "/driver/unbind <- " + B, "bus/pci/drivers/vfio-pci/bind <- " + B);
    }

    static List<String> writes(KernelSim sim) {
        assertThat(sim.writes()).allMatch(w -> w.error() == null);
        return sim.writes().stream().map(w -> w.path() + " <- " + w.value()).toList();
    }

    static List<String> concat(List<String> x, List<String> y) {
        List<String> out = new ArrayList<>(x);
        out.addAll(y);
        return out;
    }

    @Test
    void twoProcessesHidingDifferentDevicesAtOnceBothSucceedOneAfterTheOther() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        ChildPcipass.Outcome oa;
        ChildPcipass.Outcome ob;
        try (ChildPcipass a = ChildPcipass.start(CrashHost.childEnv(), h.argv("hide", A));
                ChildPcipass b = ChildPcipass.start(CrashHost.childEnv(), h.argv("hide", B))) {
            oa = a.waitFor(CHILD);
            ob = b.waitFor(CHILD);
        }
        assertThat(oa.exitCode()).as("A: %s", oa.stderr()).isZero();
        assertThat(ob.exitCode()).as("B: %s", ob.stderr()).isZero();
        assertThat(oa.stderr()).isEmpty();
        assertThat(ob.stderr()).isEmpty();
        assertThat(oa.stdout()).isEqualTo(A + ": no driver -> vfio-pci\n");
        assertThat(ob.stdout()).isEqualTo(B + ": igbvf -> vfio-pci\n");
        assertBothHidden(h);
        // serialized: one plan's writes entirely before the other's, never interleaved
        assertThat(writes(h.sim)).isIn(concat(writesOfA(), writesOfB()), concat(writesOfB(), writesOfA()));
    }

    /**
     * Deterministic serialization: A is held by the simulator in the middle of its plan (its
     * override written, its bind waiting), holding the host lock. B, started then, opens the lock
     * file and waits: it writes nothing while A is held. Once A goes on, both finish, A's writes
     * first.
     */
    @Test
    void theSecondProcessWaitsForTheLockWhileTheFirstIsMidPlan() throws Exception {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        Path lock = h.state.resolve(HostLock.FILE);
        h.sim.pauseBeforeWrite("bus/pci/drivers/vfio-pci/bind");
        ChildPcipass.Outcome oa;
        ChildPcipass.Outcome ob;
        try (ChildPcipass a = ChildPcipass.start(CrashHost.childEnv(), h.argv("hide", A))) {
            assertThat(h.sim.awaitPause(CHILD)).as("A: %s", a.stderr()).isEqualTo("bus/pci/drivers/vfio-pci/bind");
            assertThat(CrashHost.read(lock)).isEqualTo("pid " + a.pid() + ": pcipass hide " + A + "\n");
            try (ChildPcipass b = ChildPcipass.start(CrashHost.childEnv(), h.argv("hide", B))) {
                assertThat(awaitOpen(b, lock, CHILD)).as("B opened the lock file; stderr: %s", b.stderr()).isTrue();
                assertThat(b.finishedWithin(Duration.ofMillis(700))).as("B waits for the lock").isFalse();
                assertThat(writes(h.sim)).as("B wrote nothing while A held the lock").containsExactly(writesOfA().get(0));
                assertThat(h.driver(B)).isEqualTo("igbvf");
                assertThat(CrashHost.read(lock)).as("A still holds it").isEqualTo("pid " + a.pid() + ": pcipass hide " + A + "\n");
                h.sim.resume();
                oa = a.waitFor(CHILD);
                ob = b.waitFor(CHILD);
            }
        } finally {
            h.sim.resume();
        }
        assertThat(oa.exitCode()).as("A: %s", oa.stderr()).isZero();
        assertThat(ob.exitCode()).as("B: %s", ob.stderr()).isZero();
        assertThat(ob.stderr()).isEmpty();
        assertBothHidden(h);
        assertThat(writes(h.sim)).containsExactlyElementsOf(concat(writesOfA(), writesOfB()));
        assertThat(CrashHost.read(lock)).as("the last holder emptied it").isEmpty();
    }

    @Test
    void twoProcessesHidingTheSameDeviceOneHidesItTheOtherFindsItHidden() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        ChildPcipass.Outcome o1;
        ChildPcipass.Outcome o2;
        try (ChildPcipass p1 = ChildPcipass.start(CrashHost.childEnv(), h.argv("hide", A));
                ChildPcipass p2 = ChildPcipass.start(CrashHost.childEnv(), h.argv("hide", A))) {
            o1 = p1.waitFor(CHILD);
            o2 = p2.waitFor(CHILD);
        }
        assertThat(o1.exitCode()).as(o1.stderr()).isZero();
        assertThat(o2.exitCode()).as(o2.stderr()).isZero();
        assertThat(o1.stderr()).isEmpty();
        assertThat(o2.stderr()).isEmpty();
        assertThat(Set.of(o1.stdout(), o2.stdout())).as("one applied the plan, the other found it done")
                .containsExactlyInAnyOrder(A + ": no driver -> vfio-pci\n",
                        "note: " + A + " is already hidden on vfio-pci\n");
        assertThat(writes(h.sim)).as("the plan ran once").containsExactlyElementsOf(writesOfA());
        assertThat(h.driver(A)).isEqualTo("vfio-pci");
        Map<PciAddress, HiddenDevice> reg = h.registry();
        assertThat(reg).containsOnlyKeys(PciAddress.parse(A));
        assertThat(reg.get(PciAddress.parse(A)).originalDriver()).isNull();
        assertThat(h.journal()).doesNotExist();
    }

    /**
     * A holds the lock (paused by the test hook after its first step); B, allowed to wait 1 s,
     * gives up: exit 1, one line naming A's pid and command line, nothing of B done. Then A is
     * killed and recovery puts A's device back; B's hide then goes through.
     */
    @Test
    void aWaiterGivesUpAfterTheLockTimeoutNamingTheHolder() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        try (ChildPcipass a = ChildPcipass.start(CrashHost.childEnv("PCIPASS_TEST_PAUSE_AFTER_STEP", "1"),
                h.argv("hide", A))) {
            assertThat(a.awaitOutput("pcipass: test hook: paused after step 1\n", CHILD)).as(a.stderr()).isTrue();
            long t0 = System.nanoTime();
            ChildPcipass.Outcome ob = ChildPcipass.run(CHILD, CrashHost.childEnv("PCIPASS_LOCK_TIMEOUT", "1"),
                    h.argv("hide", B));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ob.exitCode()).as(ob.stderr()).isEqualTo(1);
            assertThat(ob.stdout()).isEmpty();
            assertThat(ob.stderr()).isEqualTo("pcipass: another pcipass holds the host lock " + h.state.resolve(HostLock.FILE)
                    + " (pid " + a.pid() + ": pcipass hide " + A + "); waited 1 s: try again when it has finished\n");
            assertThat(ms).as("it waited the timeout").isGreaterThanOrEqualTo(1000);
            assertThat(a.isAlive()).isTrue();
            assertThat(h.driver(B)).isEqualTo("igbvf");
            assertThat(h.override(B)).isNull();
            assertThat(writes(h.sim)).containsExactly(writesOfA().get(0));
            assertThat(a.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }
        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: 'pcipass hide " + A + "' was interrupted after 1 of 4 steps;"
                + " rolled back: ");
        assertThat(h.driver(A)).isNull();
        assertThat(h.override(A)).isNull();
        assertThat(h.journal()).doesNotExist();
        assertThat(h.registry()).isEmpty();

        Cli.Result hideB = h.run("hide", B);
        assertThat(hideB.exitCode()).as(hideB.err()).isZero();
        assertThat(h.driver(B)).isEqualTo("vfio-pci");
    }

    /**
     * Issue 9, defect 3: {@code unhide B --persist} is held mid-plan (before the bind to igbvf),
     * holding the lock; {@code apply-boot}, started then, must wait for it and read the registry
     * only once it holds the lock: by then B is no longer persisted, so there is nothing to re-apply.
     * (apply-boot reading the registry before the lock re-hid B on vfio-pci, both exiting 0.)
     */
    @Test
    void applyBootWaitingForAnUnhidePersistDoesNotReHideWhatItReturned() throws Exception {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        Cli.Result hide = h.run("hide", B, "--persist");
        assertThat(hide.exitCode()).as(hide.err()).isZero();
        assertThat(h.registry().get(PciAddress.parse(B)).persisted()).as("re-applied by apply-boot at boot").isTrue();
        Path lock = h.state.resolve(HostLock.FILE);
        h.sim.pauseBeforeWrite("bus/pci/drivers/igbvf/bind");
        ChildPcipass.Outcome unhide;
        ChildPcipass.Outcome boot;
        try (ChildPcipass u = ChildPcipass.start(CrashHost.childEnv(), h.argv("unhide", B, "--persist"))) {
            assertThat(h.sim.awaitPause(CHILD)).as("unhide: %s", u.stderr()).isEqualTo("bus/pci/drivers/igbvf/bind");
            try (ChildPcipass b = ChildPcipass.start(CrashHost.childEnv(), h.argv("apply-boot"))) {
                assertThat(awaitOpen(b, lock, CHILD)).as("apply-boot opened the lock file; stderr: %s", b.stderr())
                        .isTrue();
                assertThat(b.finishedWithin(Duration.ofMillis(700))).as("apply-boot waits for the lock").isFalse();
                h.sim.resume();
                unhide = u.waitFor(CHILD);
                boot = b.waitFor(CHILD);
            }
        } finally {
            h.sim.resume();
        }
        assertThat(unhide.exitCode()).as("unhide: %s", unhide.stderr()).isZero();
        assertThat(unhide.stdout()).isEqualTo(B + ": vfio-pci -> igbvf\n");
        assertThat(boot.exitCode()).as("apply-boot: %s", boot.stderr()).isZero();
        assertThat(boot.stderr()).isEmpty();
        assertThat(boot.stdout()).isEqualTo("nothing to re-apply: no persisted hides in " + h.state + "\n");
        assertThat(h.driver(B)).as("back on its original driver").isEqualTo("igbvf");
        assertThat(h.registry()).as("its persistence removed: no later apply-boot hides it").isEmpty();
        assertThat(h.journal()).doesNotExist();
    }

    private static void assertBothHidden(CrashHost h) {
        assertThat(h.driver(A)).isEqualTo("vfio-pci");
        assertThat(h.driver(B)).isEqualTo("vfio-pci");
        assertThat(h.override(A)).isEqualTo("vfio-pci");
        assertThat(h.override(B)).isEqualTo("vfio-pci");
        Map<PciAddress, HiddenDevice> reg = h.registry();
        assertThat(reg).as("both plans recorded: the second read the registry after the first wrote it")
                .containsOnlyKeys(PciAddress.parse(A), PciAddress.parse(B));
        assertThat(reg.get(PciAddress.parse(A)).originalDriver()).isNull();
        assertThat(reg.get(PciAddress.parse(B)).originalDriver()).isEqualTo("igbvf");
        assertThat(h.journal()).doesNotExist();
    }

    /** True once {@code p} has {@code file} open (Linux: a link in /proc/PID/fd), false if it exits or time runs out. */
    static boolean awaitOpen(ChildPcipass p, Path file, Duration timeout) throws IOException {
        Path real = file.toRealPath();
        Path fds = Path.of("/proc", Long.toString(p.pid()), "fd");
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end && p.isAlive()) {
            try (Stream<Path> s = Files.list(fds)) {
                if (s.anyMatch(fd -> {
                    try {
                        return Files.readSymbolicLink(fd).equals(real);
                    } catch (IOException gone) {
                        return false;
                    }
                })) {
                    return true;
                }
            } catch (IOException raced) {
                // the process is starting or gone
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /**
     * Issue 9: a dry run while another pcipass is mid-plan sees that plan's journal; it must say a
     * plan is running (naming the holder), not that one was interrupted.
     */
    @Test
    void aDryRunWhileAnotherProcessIsMidPlanSaysSoRatherThanInterrupted() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        try (ChildPcipass a = ChildPcipass.start(CrashHost.childEnv("PCIPASS_TEST_PAUSE_AFTER_STEP", "1"),
                h.argv("hide", B))) {
            assertThat(a.awaitOutput("pcipass: test hook: paused after step 1\n", CHILD)).as(a.stderr()).isTrue();
            Cli.Result dry = h.run("hide", A, "--dry-run");
            assertThat(dry.exitCode()).as(dry.err()).isZero();
            assertThat(dry.err()).isEqualTo("pcipass: warning: another pcipass is applying a plan now (pid " + a.pid()
                    + ": pcipass hide " + B + "); this dry run shows the host as it is part-way through that plan\n");
            a.kill();
        }
        Cli.Result dry = h.run("hide", A, "--dry-run");
        assertThat(dry.err()).as("now the holder is dead: its plan was interrupted").isEqualTo(
                "pcipass: warning: an interrupted plan is journaled in " + h.journal()
                        + "; the next real run recovers it first\n");
    }
}
