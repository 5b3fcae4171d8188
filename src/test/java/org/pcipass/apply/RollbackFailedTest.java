package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_GPU;
import static org.pcipass.testing.HostTrees.WS_GPU_AUDIO;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;

/**
 * Issue 9, defect 7: when the rollback fails too, {@code --json} still prints the plan with
 * {@code "result": "rollback-failed"}, the devices as they are and the fix; a device left without
 * a driver is named on stderr in every mode; the journal stays until {@code recover}, run once the
 * cause is fixed, finishes the rollback.
 *
 * <p>The kernel simulator refuses vfio-pci's bind of the audio function 0a:00.1 (so the plan
 * fails at step 7) and nouveau's bind of the GPU 0a:00.0 (so the GPU cannot go back).
 */
class RollbackFailedTest {
    @TempDir
    Path tmp;

    private CrashHost failingHost() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        h.sim.injectBindError("vfio-pci", WS_GPU_AUDIO, "EIO");
        h.sim.injectBindError("nouveau", WS_GPU, "EIO");
        return h;
    }

    @Test
    void jsonSaysRollbackFailedWithTheDevicesAndTheFix() {
        CrashHost h = failingHost();
        Cli.Result r = h.run("hide", WS_GPU, "--with-group", "--json");
        assertThat(r.exitCode()).isEqualTo(1);
        JsonNode j = r.json();
        assertThat(j.get("steps")).hasSize(9);
        assertThat(j.get("result").asText()).isEqualTo("rollback-failed");
        String sys = h.host.sysfs().toString();
        assertThat(j.get("error").asText()).isEqualTo("step 7 (write " + WS_GPU_AUDIO + " to " + sys
                + "/bus/pci/drivers/vfio-pci/bind): writing '" + WS_GPU_AUDIO + "' to " + sys
                + "/bus/pci/drivers/vfio-pci/bind failed: Input/output error (EIO); the rollback failed too: " + WS_GPU
                + ": writing '" + WS_GPU + "' to " + sys + "/bus/pci/drivers/nouveau/bind failed: Input/output error"
                + " (EIO); put back: " + WS_GPU_AUDIO + " back on snd_hda_intel; the journal " + h.journal()
                + " is kept: fix the cause, then run 'pcipass recover' (a device that can never go back: bind it by"
                + " hand, then remove the journal)");
        assertThat(j.get("devices").toString()).isEqualTo("[{\"address\":\"" + WS_GPU + "\",\"present\":true,"
                + "\"driver\":null,\"before\":\"nouveau\"},{\"address\":\"" + WS_GPU_AUDIO + "\",\"present\":true,"
                + "\"driver\":\"snd_hda_intel\",\"before\":\"snd_hda_intel\"}]");
        assertThat(j.get("fix").asText()).isEqualTo("fix the cause in the error, then run 'pcipass recover': it"
                + " finishes the rollback from the journal");
        assertThat(r.errLines()).hasSize(2);
        assertThat(r.errLines().get(0)).isEqualTo("pcipass: " + j.get("error").asText());
        assertThat(r.errLines().get(1)).isEqualTo(leftWithoutDriver(h));
        assertThat(h.journal()).exists();
        assertThat(h.driver(WS_GPU)).isNull();
    }

    @Test
    void textModeNamesTheDeviceLeftWithoutADriverAndRecoverFinishesOnceTheCauseIsFixed() {
        CrashHost h = failingHost();
        Cli.Result r = h.run("hide", WS_GPU, "--with-group");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("note: hiding " + WS_GPU_AUDIO + " too: it shares IOMMU group 13 with " + WS_GPU
                + "\n");
        assertThat(r.errLines()).hasSize(2);
        assertThat(r.errLines().get(0)).contains("the rollback failed too: " + WS_GPU + ": ")
                .endsWith(" is kept: fix the cause, then run 'pcipass recover' (a device that can never go back: bind it"
                        + " by hand, then remove the journal)");
        assertThat(r.errLines().get(1)).isEqualTo(leftWithoutDriver(h));

        // while the cause stays, recover says so (exit 1) and every mutating command refuses to add to it
        Cli.Result stuck = h.run("recover");
        assertThat(stuck.exitCode()).isEqualTo(1);
        assertThat(stuck.errLines()).hasSize(2);
        assertThat(stuck.errLines().get(0)).startsWith("pcipass: recover: 'pcipass hide " + WS_GPU + " --with-group'"
                + " failed: step 7 (").contains("its rollback did not finish; the rollback failed too: " + WS_GPU + ": ");
        assertThat(stuck.errLines().get(1)).as("recover names the device too").isEqualTo(leftWithoutDriver(h));
        Cli.Result other = h.run("hide", WS_UNKNOWN);
        assertThat(other.exitCode()).isEqualTo(1);
        assertThat(other.errLines()).hasSize(2);
        assertThat(other.errLines().get(0)).isEqualTo(leftWithoutDriver(h));
        assertThat(other.errLines().get(1)).startsWith("pcipass: an interrupted plan could not be rolled back, so nothing"
                + " new was done: ");
        assertThat(h.driver(WS_UNKNOWN)).isNull();

        h.sim.clearFaults();
        Cli.Result rec = h.run("recover");
        assertThat(rec.exitCode()).as(rec.err()).isZero();
        assertThat(rec.out()).startsWith("recovered: 'pcipass hide " + WS_GPU + " --with-group' failed: step 7 (write ")
                .endsWith("; its rollback did not finish; rolled back: " + WS_GPU_AUDIO + " back on snd_hda_intel, "
                        + WS_GPU + " back on nouveau\n");
        assertThat(h.driver(WS_GPU)).isEqualTo("nouveau");
        assertThat(h.override(WS_GPU)).isNull();
        assertThat(h.driver(WS_GPU_AUDIO)).isEqualTo("snd_hda_intel");
        assertThat(h.override(WS_GPU_AUDIO)).isNull();
        assertThat(h.journal()).doesNotExist();
        assertThat(h.run("hide", WS_GPU, "--with-group").exitCode()).isZero();
    }

    private static String leftWithoutDriver(CrashHost h) {
        return "pcipass: " + WS_GPU + " is left with no driver (it had nouveau): run 'pcipass recover' once the cause"
                + " is fixed, or bind it by hand: echo > " + h.host.sysfs() + "/bus/pci/devices/" + WS_GPU
                + "/driver_override; echo " + WS_GPU + " > " + h.host.sysfs() + "/bus/pci/drivers/nouveau/bind";
    }
}
