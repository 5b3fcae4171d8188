package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_GPU;
import static org.pcipass.testing.HostTrees.WS_GPU_AUDIO;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.ChildPcipass;

/**
 * Issue 9, defect 1: a device that disappears mid-plan (hot-unplug; a VF that sriov_numvfs
 * removed) has nothing to restore. Recovery and rollback put back what the plan touched and what
 * still exists, name what vanished, and finish: no journal is left to block every later command.
 * The plan is the issue's: {@code hide 0a:00.0 --with-group} on the kvmWorkstation, where the GPU
 * 0a:00.0 (nouveau) shares IOMMU group 13 with its audio function 0a:00.1 (snd_hda_intel); nine
 * steps, four per device and the wait for /dev/vfio/13.
 */
class VanishedDeviceTest {
    static final Duration CHILD = Duration.ofSeconds(60);
    static final List<String> HIDE = List.of("hide", WS_GPU, "--with-group");
    static final String COMMAND = "pcipass hide " + WS_GPU + " --with-group";
    static final String VANISHED = WS_GPU_AUDIO + " vanished (no longer in sysfs: unplugged?), nothing to restore";

    @TempDir
    Path tmp;

    @Test
    void thePlanHasFourStepsPerDeviceThenTheWait() {
        JsonNode steps = dryRun(CrashHost.kvm(tmp.resolve("host")));
        assertThat(steps).hasSize(9);
        assertThat(steps.get(3).toString()).contains(WS_GPU).contains("expect-driver");
        assertThat(steps.get(4).get("path").asText()).endsWith("/bus/pci/devices/" + WS_GPU_AUDIO + "/driver_override");
    }

    /** The repro: SIGKILL after step 4 (the GPU moved, the audio function not reached), unplug the audio function. */
    @Test
    void aSiblingUnpluggedAfterASigkillDoesNotBlockRecovery() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        killAfterStep(h, 4);
        assertThat(h.driver(WS_GPU)).isEqualTo("vfio-pci");
        assertThat(h.driver(WS_GPU_AUDIO)).isEqualTo("snd_hda_intel");
        h.sim.unplug(WS_GPU_AUDIO);

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.err()).isEmpty();
        assertThat(rec.out()).isEqualTo("recovered: '" + COMMAND + "' was interrupted after 4 of 9 steps; rolled back: "
                + WS_GPU + " back on nouveau, " + VANISHED + "\n");
        assertBackAndUsable(h);
    }

    /** The audio function was touched (override written, unbound) before the kill, then unplugged. */
    @Test
    void aTouchedSiblingUnpluggedAfterASigkillIsNamedAndSkipped() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        killAfterStep(h, 6);
        assertThat(h.driver(WS_GPU_AUDIO)).isNull();
        assertThat(h.override(WS_GPU_AUDIO)).isEqualTo("vfio-pci");
        h.sim.unplug(WS_GPU_AUDIO);

        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).isEqualTo("recovered: '" + COMMAND + "' was interrupted after 6 of 9 steps; rolled back: "
                + WS_GPU + " back on nouveau, " + VANISHED + "\n");
        assertBackAndUsable(h);
    }

    /**
     * No crash: the process is held just before the audio function's bind, the function is
     * unplugged, the bind fails (ENODEV) and the same process rolls back and finishes: exit 1, no
     * journal, and the next command has nothing to recover.
     */
    @Test
    void aSiblingUnpluggedMidPlanIsRolledBackAtOnceWithoutLeavingAJournal() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        String bind = "bus/pci/drivers/vfio-pci/bind";
        h.sim.pauseBeforeWrite(bind, WS_GPU_AUDIO);
        ChildPcipass.Outcome o;
        try (ChildPcipass p = ChildPcipass.start(CrashHost.childEnv(), h.argv(HIDE))) {
            assertThat(h.sim.awaitPause(CHILD)).as("stderr: %s", p.stderr()).isEqualTo(bind);
            h.sim.unplug(WS_GPU_AUDIO);
            h.sim.resume();
            o = p.waitFor(CHILD);
        } finally {
            h.sim.resume();
        }
        assertThat(o.exitCode()).as(o.stderr()).isEqualTo(1);
        assertThat(o.stdout()).isEqualTo("note: hiding " + WS_GPU_AUDIO + " too: it shares IOMMU group 13 with " + WS_GPU
                + "\n");
        assertThat(o.stderr()).isEqualTo("pcipass: step 7 (write " + WS_GPU_AUDIO + " to " + h.host.sysfs() + "/" + bind
                + "): writing '" + WS_GPU_AUDIO + "' to " + h.host.sysfs() + "/" + bind + " failed: No such device (ENODEV);"
                + " rolled back: " + WS_GPU + " back on nouveau, " + VANISHED + "\n");
        assertThat(h.journal()).doesNotExist();

        Cli.Result rec = h.run("recover");
        assertThat(rec.out()).as("nothing was left to recover, so no 'interrupted after' story").isEqualTo(
                "nothing to recover: no interrupted plan\n");
        assertBackAndUsable(h);
    }

    /** A plan whose every step was done, then a device vanished before its bookkeeping: completed, not undone. */
    @Test
    void aDonePlanWhoseDeviceVanishedIsCompleted() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        killAfterStep(h, 9);
        h.sim.unplug(WS_GPU_AUDIO);
        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).isEqualTo("recovered: an interrupted plan had done every step; verified and completed ("
                + VANISHED + ")\n");
        assertThat(h.driver(WS_GPU)).isEqualTo("vfio-pci");
        assertThat(h.journal()).doesNotExist();
        Cli.Result back = h.run("unhide", WS_GPU, WS_GPU_AUDIO);
        assertThat(back.exitCode()).as("an address that is gone is bad input: %s", back.err()).isEqualTo(2);
        Cli.Result gpu = h.run("unhide", WS_GPU);
        assertThat(gpu.exitCode()).as(gpu.err()).isZero();
        assertThat(h.driver(WS_GPU)).isEqualTo("nouveau");
    }

    private static JsonNode dryRun(CrashHost h) {
        List<String> w = new java.util.ArrayList<>(HIDE);
        w.add("--dry-run");
        w.add("--json");
        Cli.Result r = h.run(java.util.Map.of(), w);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r.json().get("steps");
    }

    /** A child hide paused by the test hook after step k, then SIGKILLed: its journal stays. */
    private static void killAfterStep(CrashHost h, int k) {
        try (ChildPcipass p = ChildPcipass.start(CrashHost.childEnv("PCIPASS_TEST_PAUSE_AFTER_STEP",
                Integer.toString(k)), h.argv(HIDE))) {
            assertThat(p.awaitOutput("pcipass: test hook: paused after step " + k + "\n", CHILD))
                    .as("stdout: %s stderr: %s", p.stdout(), p.stderr()).isTrue();
            assertThat(p.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }
        assertThat(h.journal()).exists();
    }

    /** The GPU is back as it was, no journal is left, and later commands work. */
    private static void assertBackAndUsable(CrashHost h) {
        assertThat(h.driver(WS_GPU)).isEqualTo("nouveau");
        assertThat(h.override(WS_GPU)).isNull();
        assertThat(h.journal()).doesNotExist();
        assertThat(h.temporaryFiles()).isEmpty();
        Cli.Result again = h.run("hide", WS_GPU);
        assertThat(again.exitCode()).as("hide again: %s", again.err()).isZero();
        assertThat(h.driver(WS_GPU)).isEqualTo("vfio-pci");
        Cli.Result back = h.run("unhide", WS_GPU);
        assertThat(back.exitCode()).as("unhide: %s", back.err()).isZero();
        assertThat(h.driver(WS_GPU)).isEqualTo("nouveau");
    }
}
