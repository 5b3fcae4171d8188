package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * {@code pcipass serve} and the CLI as two OS processes changing one host (issue 12, acceptance a):
 * the server runs in a child JVM over the kernel simulator, the CLI in another; whichever is
 * mid-plan holds the host lock and the other waits, writing nothing, until it is done. Devices of
 * the kvmWorkstation, each alone in its IOMMU group: {@link HostTrees#WS_UNKNOWN} (no driver) and
 * {@link HostTrees#WS_VF0} (igbvf).
 */
class ServeProcessesTest {
    static final Duration CHILD = Duration.ofSeconds(60);
    static final String A = HostTrees.WS_UNKNOWN;
    static final String B = HostTrees.WS_VF0;
    static final List<String> WRITES_OF_A = List.of("bus/pci/devices/" + A + "/driver_override <- vfio-pci",
            "bus/pci/drivers/vfio-pci/bind <- " + A);
    static final List<String> WRITES_OF_B = List.of("bus/pci/devices/" + B + "/driver_override <- vfio-pci",
            "bus/pci/devices/" + B + "/driver/unbind <- " + B, "bus/pci/drivers/vfio-pci/bind <- " + B);

    @TempDir
    Path tmp;

    private FakeHost fake;
    private KernelSim sim;
    private Path state;

    private String[] argv(String... words) {
        List<String> a = new ArrayList<>(List.of(words));
        a.addAll(List.of("--sysfs", fake.sysfs().toString(), "--config-root", fake.configRoot().toString(),
                "--state-dir", state.toString()));
        return a.toArray(String[]::new);
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        for (String k : List.of("PCIPASS_TEST_PAUSE_AFTER_STEP", "PCIPASS_TEST_CRASH_AFTER_STEP", "PCIPASS_LOCK_TIMEOUT",
                "PCIPASS_STATE_DIR", "PCIPASS_SYSFS", "PCIPASS_CONFIG_ROOT")) {
            env.put(k, null);
        }
        return env;
    }

    private List<String> writes() {
        assertThat(sim.writes()).allMatch(w -> w.error() == null);
        return sim.writes().stream().map(w -> w.path() + " <- " + w.value()).toList();
    }

    private static List<String> concat(List<String> x, List<String> y) {
        List<String> out = new ArrayList<>(x);
        out.addAll(y);
        return out;
    }

    /** Starts the server in a child; returns it once it answers, with its port. */
    private record Served(ChildPcipass process, int port) {}

    private Served serve() {
        fake = HostTrees.kvmWorkstation(tmp.resolve("h"));
        sim = new KernelSim(fake.sysfs(), fake.configRoot());
        state = tmp.resolve("state");
        ChildPcipass p = ChildPcipass.start(env(), argv("serve", "--listen", "127.0.0.1:0", "--token-file",
                tmp.resolve("tokens").toString()));
        assertThat(p.awaitOutput("pcipass: serving http://", CHILD)).as("the server started: %s", p.stderr()).isTrue();
        Matcher m = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/").matcher(p.stderr());
        assertThat(m.find()).isTrue();
        return new Served(p, Integer.parseInt(m.group(1)));
    }

    private CompletableFuture<HttpResponse<String>> post(int port, String token, String action, String device,
            boolean dryRun) {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/" + action))
                .header("Authorization", "Bearer " + token).timeout(CHILD)
                .POST(HttpRequest.BodyPublishers.ofString("{\"devices\": [\"" + device + "\"], \"dryRun\": " + dryRun
                        + "}")).build();
        return HttpClient.newHttpClient().sendAsync(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theServerWaitsForTheCliThatIsMidPlan() throws Exception {
        String token = Tokens.add(tmp.resolve("tokens"), "ops", "admin").secret();
        Served s = serve();
        try (ChildPcipass server = s.process()) {
            sim.pauseBeforeWrite("bus/pci/drivers/vfio-pci/bind");
            try (ChildPcipass cli = ChildPcipass.start(env(), argv("hide", A))) {
                assertThat(sim.awaitPause(CHILD)).as("the CLI: %s", cli.stderr()).isEqualTo("bus/pci/drivers/vfio-pci/bind");
                CompletableFuture<HttpResponse<String>> api = post(s.port(), token, "hide", B, false);
                Thread.sleep(1500);
                assertThat(api).as("the API's hide waits for the host lock").isNotDone();
                assertThat(writes()).as("the server wrote nothing while the CLI held the lock")
                        .containsExactly(WRITES_OF_A.get(0));
                sim.resume();
                ChildPcipass.Outcome o = cli.waitFor(CHILD);
                assertThat(o.exitCode()).as(o.stderr()).isZero();
                HttpResponse<String> r = api.get(60, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            } finally {
                sim.resume();
            }
            assertThat(writes()).containsExactlyElementsOf(concat(WRITES_OF_A, WRITES_OF_B));
            assertThat(sim.driverOf(A)).isEqualTo("vfio-pci");
            assertThat(sim.driverOf(B)).isEqualTo("vfio-pci");
        }
    }

    @Test
    void theCliWaitsForTheServerThatIsMidPlan() throws Exception {
        cliWaitsWhileTheServerIsMidPlan(false);
    }

    /**
     * A dry run answered while the server is mid-plan asks who holds the host lock (it warns of the
     * journal): inside the server's JVM that must not open the lock file, whose closing would drop
     * the fcntl lock the change holds and let the CLI "recover" a plan that is still running.
     */
    @Test
    void aDryRunWhileTheServerIsMidPlanKeepsTheHostLock() throws Exception {
        cliWaitsWhileTheServerIsMidPlan(true);
    }

    /**
     * The server is held mid-plan (its hide of A, before the bind), with a dry run answered meanwhile
     * when asked; a CLI hide of B then waits for the host lock, writing nothing and recovering
     * nothing, and both finish once the server goes on, A's writes first.
     */
    private void cliWaitsWhileTheServerIsMidPlan(boolean dryRunMeanwhile) throws Exception {
        String token = Tokens.add(tmp.resolve("tokens"), "ops", "admin").secret();
        Served s = serve();
        try (ChildPcipass server = s.process()) {
            sim.pauseBeforeWrite("bus/pci/drivers/vfio-pci/bind");
            CompletableFuture<HttpResponse<String>> api = post(s.port(), token, "hide", A, false);
            try {
                assertThat(sim.awaitPause(CHILD)).as("the server: %s", server.stderr())
                        .isEqualTo("bus/pci/drivers/vfio-pci/bind");
                if (dryRunMeanwhile) {
                    assertThat(post(s.port(), token, "hide", B, true).get(60, TimeUnit.SECONDS).statusCode())
                            .isEqualTo(200);
                }
                try (ChildPcipass cli = ChildPcipass.start(env(), argv("hide", B))) {
                    assertThat(cli.finishedWithin(Duration.ofMillis(1500))).as("the CLI waits for the lock: %s",
                            cli.stderr()).isFalse();
                    assertThat(writes()).as("the CLI wrote (or recovered) nothing while the server held the lock")
                            .containsExactly(WRITES_OF_A.get(0));
                    sim.resume();
                    HttpResponse<String> r = api.get(60, TimeUnit.SECONDS);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    ChildPcipass.Outcome o = cli.waitFor(CHILD);
                    assertThat(o.exitCode()).as(o.stderr()).isZero();
                    assertThat(o.stderr()).as("no recovery").isEmpty();
                }
            } finally {
                sim.resume();
            }
            assertThat(writes()).containsExactlyElementsOf(concat(WRITES_OF_A, WRITES_OF_B));
        }
    }
}
