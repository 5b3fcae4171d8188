package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.FakeLibvirt;
import org.pcipass.testing.HostTrees;

/**
 * attach in separate OS processes against the kernel simulator and the fake libvirt (on disk, shared
 * with the child): a SIGKILL between the attach and the store's commit, or before the attach, is
 * recovered with no device half-assigned; two processes giving one device to two guests at once get
 * one owner.
 */
class GuestCrashTest {
    static final Duration CHILD = Duration.ofSeconds(60);
    static final String DEV = HostTrees.WS_VF0;

    @TempDir
    Path tmp;

    private FakeLibvirt libvirt() {
        FakeLibvirt lv = FakeLibvirt.at(tmp.resolve("libvirt"));
        lv.define("web1").kvm().persistent().running();
        lv.define("db1").kvm().persistent().running();
        return lv;
    }

    private Map<String, String> env(FakeLibvirt lv, String... kv) {
        Map<String, String> env = CrashHost.childEnv(kv);
        env.put(FakeLibvirt.ENV, lv.dir().toString());
        return env;
    }

    private Cli.Result here(CrashHost h, FakeLibvirt lv, String... words) {
        return new Cli().kernel(h.sim).runner(h.sim).backends(lv.backends()).run(h.argv(words));
    }

    private JsonNode assignments(CrashHost h, FakeLibvirt lv) {
        Cli.Result r = here(h, lv, "assignments", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r.json();
    }

    private int steps(CrashHost h, FakeLibvirt lv) {
        Cli.Result r = here(h, lv, "attach", "web1", DEV, "--dry-run", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode steps = r.json().get("steps");
        assertThat(steps.get(steps.size() - 1).get("op").asText()).isEqualTo("attach");
        return steps.size();
    }

    @Test
    void sigkillBetweenTheAttachAndTheCommitIsRecoveredAsAttached() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        FakeLibvirt lv = libvirt();
        int n = steps(h, lv);
        try (ChildPcipass p = ChildPcipass.start(env(lv, "PCIPASS_TEST_PAUSE_AFTER_STEP", Integer.toString(n)),
                h.argv("attach", "web1", DEV))) {
            assertThat(p.awaitOutput("pcipass: test hook: paused after step " + n + "\n", CHILD))
                    .as("stderr: %s", p.stderr()).isTrue();
            assertThat(p.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }
        assertThat(lv.devices("web1", true)).containsExactly(PciAddress.parse(DEV));
        assertThat(h.journal()).exists();

        Cli.Result r = here(h, lv, "recover");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err() + r.out()).contains("verified and completed");
        assertThat(h.journal()).doesNotExist();
        assertThat(h.driver(DEV)).isEqualTo("vfio-pci");
        JsonNode as = assignments(h, lv);
        assertThat(as).hasSize(1);
        assertThat(as.get(0).get("guest").asText()).isEqualTo("web1");
        assertThat(as.get(0).get("state").asText()).isEqualTo("attached");
    }

    @Test
    void sigkillBeforeTheAttachIsRolledBackWithNothingAssigned() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        FakeLibvirt lv = libvirt();
        int n = steps(h, lv);
        try (ChildPcipass p = ChildPcipass.start(env(lv, "PCIPASS_TEST_PAUSE_AFTER_STEP", Integer.toString(n - 1)),
                h.argv("attach", "web1", DEV))) {
            assertThat(p.awaitOutput("pcipass: test hook: paused after step " + (n - 1) + "\n", CHILD))
                    .as("stderr: %s", p.stderr()).isTrue();
            assertThat(h.driver(DEV)).isEqualTo("vfio-pci");
            assertThat(p.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }
        Cli.Result r = here(h, lv, "recover");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(h.driver(DEV)).isEqualTo("igbvf");
        assertThat(lv.devices("web1", true)).isEmpty();
        assertThat(assignments(h, lv)).isEmpty();
    }

    @Test
    void aRecoveryOfAnAttachTheGuestNoLongerListsTakesTheHideBack() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        FakeLibvirt lv = libvirt();
        int n = steps(h, lv);
        try (ChildPcipass p = ChildPcipass.start(env(lv, "PCIPASS_TEST_PAUSE_AFTER_STEP", Integer.toString(n)),
                h.argv("attach", "web1", DEV))) {
            assertThat(p.awaitOutput("pcipass: test hook: paused after step " + n + "\n", CHILD))
                    .as("stderr: %s", p.stderr()).isTrue();
            assertThat(p.kill().exitCode()).isEqualTo(ChildPcipass.SIGKILL_EXIT);
        }
        lv.remove("web1"); // the guest went away before the recovery: the attach cannot be verified
        Cli.Result r = here(h, lv, "recover");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(h.driver(DEV)).isEqualTo("igbvf");
        assertThat(assignments(h, lv)).isEmpty();
    }

    @Test
    void twoProcessesGivingOneDeviceToTwoGuestsAtOnceGetOneOwner() {
        CrashHost h = CrashHost.kvm(tmp.resolve("host"));
        FakeLibvirt lv = libvirt();
        ChildPcipass.Outcome oa;
        ChildPcipass.Outcome ob;
        try (ChildPcipass a = ChildPcipass.start(env(lv), h.argv("attach", "web1", DEV));
                ChildPcipass b = ChildPcipass.start(env(lv), h.argv("attach", "db1", DEV))) {
            oa = a.waitFor(CHILD);
            ob = b.waitFor(CHILD);
        }
        List<Integer> codes = List.of(oa.exitCode(), ob.exitCode());
        assertThat(codes).as("a: %s\nb: %s", oa.stderr(), ob.stderr()).containsExactlyInAnyOrder(0, 3);
        ChildPcipass.Outcome refused = oa.exitCode() == 3 ? oa : ob;
        String winner = oa.exitCode() == 0 ? "web1" : "db1";
        assertThat(refused.stderr()).isEqualTo("pcipass: " + DEV + " is assigned to guest " + winner + " (attached);"
                + " detach it first: pcipass detach " + winner + " " + DEV + "\n");
        JsonNode as = assignments(h, lv);
        assertThat(as).hasSize(1);
        assertThat(as.get(0).get("guest").asText()).isEqualTo(winner);
        assertThat(lv.devices(winner, true)).containsExactly(PciAddress.parse(DEV));
        assertThat(lv.devices(winner.equals("web1") ? "db1" : "web1", true)).isEmpty();
    }
}
