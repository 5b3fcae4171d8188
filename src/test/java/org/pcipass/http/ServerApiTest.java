package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_E1000;
import static org.pcipass.testing.HostTrees.WS_SATA;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;
import static org.pcipass.testing.HostTrees.WS_VF0;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API against a real server on a free port, over a temporary kvmWorkstation tree and the
 * kernel simulator (issue 12, acceptance a and d): every endpoint, the authentication matrix, dry
 * runs, plan ids and stale plans, the audit log, bad requests, events and metrics.
 */
class ServerApiTest {
    @TempDir
    Path tmp;

    private ApiHost h;

    @BeforeEach
    void start() {
        h = new ApiHost(tmp);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private static String hide(String device, boolean dryRun) {
        return "{\"devices\": [\"" + device + "\"], \"dryRun\": " + dryRun + "}";
    }

    @Test
    void theAuthenticationMatrixNoneViewerAdminTimesReadAndChange() {
        String read = "/api/devices";
        String[] tokens = {null, "not-a-token-of-this-server", h.viewer, h.admin};
        int[] reads = {401, 401, 200, 200};
        int[] changes = {401, 401, 403, 200};
        for (int i = 0; i < tokens.length; i++) {
            ApiHost.Reply r = h.get(read, tokens[i]);
            assertThat(r.status()).as("GET with token %d", i).isEqualTo(reads[i]);
            ApiHost.Reply c = h.post("/api/hide", tokens[i], hide(WS_UNKNOWN, true));
            assertThat(c.status()).as("POST with token %d: %s", i, c.body()).isEqualTo(changes[i]);
            if (changes[i] != 200) {
                assertThat(c.json().get("error").asText()).isNotEmpty();
                assertThat(c.header("Content-Type")).startsWith("application/json");
            }
        }
        assertThat(h.get(read, null).json().get("error").asText()).startsWith("no token: send Authorization: Bearer");
        assertThat(h.post("/api/hide", h.viewer, hide(WS_UNKNOWN, false)).json().get("error").asText())
                .isEqualTo("token 'look' is a viewer; changes need an admin token (pcipass token add NAME --role admin)");
        for (String path : List.of("/api/whoami", "/api/groups", "/api/checks", "/api/assignments", "/api/audit",
                "/api/devices/" + WS_E1000)) {
            assertThat(h.get(path, null).status()).as(path).isEqualTo(401);
            assertThat(h.get(path, h.viewer).status()).as(path).isEqualTo(200);
        }
        // the page and its assets need no token; the metrics none from loopback
        for (String path : List.of("/", "/app.js", "/app.css", "/metrics")) {
            assertThat(h.get(path, null).status()).as(path).isEqualTo(200);
        }
        assertThat(h.get("/api/whoami", h.viewer).json().toString()).isEqualTo("{\"name\":\"look\",\"role\":\"viewer\"}");
        assertThat(h.get("/api/whoami", h.admin).json().toString()).isEqualTo("{\"name\":\"ops\",\"role\":\"admin\"}");
    }

    @Test
    void everyReadEndpointAnswersWhatTheCliPrints() throws Exception {
        assertThat(h.get("/api/devices", h.viewer).json()).isEqualTo(h.cli("list", "--json").json());
        assertThat(h.get("/api/devices/" + WS_E1000, h.viewer).json()).isEqualTo(h.cli("show", WS_E1000, "--json").json());
        assertThat(h.get("/api/devices/pci_0000_06_00_0", h.viewer).json().get("address").asText()).isEqualTo(WS_E1000);
        assertThat(h.get("/api/groups", h.viewer).json()).isEqualTo(h.cli("groups", "--json").json());
        assertThat(h.get("/api/checks", h.viewer).json()).isEqualTo(h.cli("check", "--json").json());
        assertThat(h.get("/api/assignments", h.viewer).json()).isEqualTo(h.cli("assignments", "--json").json());
        assertThat(h.get("/api/audit", h.viewer).body().strip()).isEqualTo("[ ]");
        // a host read is answered once per snapshot: a change behind the server's back is seen by the next look
        assertThat(h.get("/api/devices/" + WS_UNKNOWN, h.viewer).json().get("driver").isNull()).isTrue();
        assertThat(h.cli("hide", WS_UNKNOWN).exitCode()).isZero();
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (h.get("/api/devices/" + WS_UNKNOWN, h.viewer).json().get("driver").isNull() && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertThat(h.get("/api/devices/" + WS_UNKNOWN, h.viewer).json().get("driver").asText()).isEqualTo("vfio-pci");
        assertThat(h.get("/api/devices/" + WS_UNKNOWN, h.viewer).json()).isEqualTo(h.cli("show", WS_UNKNOWN, "--json")
                .json());

        // the device list: gzipped for a client that takes it, 304 for one that has it
        ApiHost.Reply plain = h.get("/api/devices", h.viewer);
        HttpResponse<InputStream> gz = h.http.send(HttpRequest.newBuilder(h.uri("/api/devices"))
                .header("Authorization", "Bearer " + h.viewer).header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(gz.headers().firstValue("Content-Encoding")).hasValue("gzip");
        try (InputStream in = new GZIPInputStream(gz.body())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(plain.body());
        }
        String etag = plain.header("ETag");
        ApiHost.Reply cached = h.send(HttpRequest.newBuilder(h.uri("/api/devices")).header("If-None-Match", etag),
                h.viewer);
        assertThat(cached.status()).isEqualTo(304);

        // the page: CSP without inline script, its assets with their types
        ApiHost.Reply page = h.get("/", null);
        assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'").doesNotContain("unsafe-inline");
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.body()).contains("<script src=\"app.js\"").doesNotContain("onclick=");
        assertThat(h.get("/app.js", null).header("Content-Type")).startsWith("text/javascript");
        assertThat(h.get("/app.css", null).header("Content-Type")).startsWith("text/css");
    }

    @Test
    void aDryRunChangesNothingAndItsPlanIdThenAppliesIt() throws Exception {
        String before = h.bindings();
        ApiHost.Reply dry = h.post("/api/hide", h.admin, hide(WS_UNKNOWN, true));
        assertThat(dry.status()).as(dry.body()).isEqualTo(200);
        JsonNode plan = dry.json();
        assertThat(plan.get("dryRun").asBoolean()).isTrue();
        String planId = plan.get("planId").asText();
        assertThat(planId).matches("[0-9a-f]{64}");
        assertThat(plan.get("steps").toString()).contains("drivers/vfio-pci/bind");
        assertThat(plan.has("result")).isFalse();
        assertThat(h.bindings()).as("a dry run changes nothing").isEqualTo(before);
        assertThat(h.audit()).as("nor writes the audit log").isEmpty();
        assertThat(h.post("/api/hide", h.admin, hide(WS_UNKNOWN, true)).json().get("planId").asText())
                .as("the same host and request: the same plan id").isEqualTo(planId);
        long version = Long.parseLong(h.get("/api/devices", h.viewer).header("X-Pcipass-Snapshot"));

        ApiHost.Reply done = h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"planId\": \""
                + planId + "\"}");
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().get("dryRun").asBoolean()).isFalse();
        assertThat(done.json().get("result").asText()).isEqualTo("done");
        assertThat(done.json().get("planId").asText()).isEqualTo(planId);
        assertThat(done.json().get("devices").get(0).get("driver").asText()).isEqualTo("vfio-pci");
        assertThat(h.sim.driverOf(WS_UNKNOWN)).isEqualTo("vfio-pci");
        assertThat(h.audit()).containsExactly("hide done 0 ops api");
        JsonNode row = h.get("/api/audit", h.viewer).json().get(0);
        assertThat(row.get("command").asText()).isEqualTo("pcipass hide " + WS_UNKNOWN);
        assertThat(row.get("devices").toString()).isEqualTo("[\"" + WS_UNKNOWN + "\"]");
        assertThat(row.get("steps").toString()).isEqualTo(plan.get("steps").toString());

        // the snapshot was made again before the answer: the next read shows the change
        ApiHost.Reply after = h.get("/api/devices", h.viewer);
        assertThat(Long.parseLong(after.header("X-Pcipass-Snapshot"))).isGreaterThan(version);
        for (JsonNode d : after.json()) {
            if (d.get("address").asText().equals(WS_UNKNOWN)) {
                assertThat(d.get("driver").asText()).isEqualTo("vfio-pci");
                assertThat(d.get("verdict").asText()).isEqualTo("ready");
            }
        }

        // and back
        ApiHost.Reply unhide = h.post("/api/unhide", h.admin, "{\"devices\": [\"" + WS_UNKNOWN + "\"]}");
        assertThat(unhide.status()).as(unhide.body()).isEqualTo(200);
        assertThat(h.sim.driverOf(WS_UNKNOWN)).isNull();
        assertThat(h.audit()).containsExactly("hide done 0 ops api", "unhide done 0 ops api");
    }

    @Test
    void aStalePlanIdIs409WithTheNewPlanAndChangesNothing() throws Exception {
        String planId = h.post("/api/hide", h.admin, hide(WS_UNKNOWN, true)).json().get("planId").asText();
        assertThat(h.cli("hide", WS_VF0).exitCode()).as("another admin changes the host meanwhile").isZero();
        String before = h.bindings();
        ApiHost.Reply stale = h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"planId\": \""
                + planId + "\"}");
        assertThat(stale.status()).as(stale.body()).isEqualTo(409);
        JsonNode body = stale.json();
        assertThat(body.get("stale").asBoolean()).isTrue();
        assertThat(body.get("exit").asInt()).isEqualTo(3);
        assertThat(body.get("error").asText()).startsWith("the host changed since plan " + planId.substring(0, 12));
        String newId = body.get("plan").get("planId").asText();
        assertThat(newId).matches("[0-9a-f]{64}").isNotEqualTo(planId);
        assertThat(body.get("plan").get("steps").toString()).contains("drivers/vfio-pci/bind");
        assertThat(h.bindings()).as("nothing changed").isEqualTo(before);
        assertThat(h.audit()).containsExactly("hide done 0 " + System.getProperty("user.name") + " cli",
                "hide stale 3 ops api");

        // the new plan's id is the one a dry run now gives; confirming it applies it
        assertThat(h.post("/api/hide", h.admin, hide(WS_UNKNOWN, true)).json().get("planId").asText()).isEqualTo(newId);
        ApiHost.Reply done = h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"planId\": \""
                + newId + "\"}");
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(h.sim.driverOf(WS_UNKNOWN)).isEqualTo("vfio-pci");
        // a plan id made for another request is stale too
        String otherId = h.post("/api/unhide", h.admin, "{\"devices\": [\"" + WS_VF0 + "\"], \"dryRun\": true}").json()
                .get("planId").asText();
        assertThat(h.post("/api/unhide", h.admin, "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"planId\": \"" + otherId
                + "\"}").status()).isEqualTo(409);
        assertThat(h.sim.driverOf(WS_UNKNOWN)).isEqualTo("vfio-pci");
    }

    @Test
    void aRefusalIs409AuditedAndARollbackIs500WithThePlan() throws Exception {
        String before = h.bindings();
        ApiHost.Reply refused = h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_SATA + "\"]}");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().get("exit").asInt()).isEqualTo(3);
        assertThat(refused.json().get("error").asText()).contains("host-critical");
        assertThat(refused.json().has("stale")).isFalse();
        assertThat(h.bindings()).isEqualTo(before);

        h.sim.injectBindError("vfio-pci", WS_VF0, "EIO");
        ApiHost.Reply failed = h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_VF0 + "\"]}");
        assertThat(failed.status()).as(failed.body()).isEqualTo(500);
        assertThat(failed.json().get("exit").asInt()).isEqualTo(1);
        assertThat(failed.json().get("result").asText()).isEqualTo("rolled-back");
        assertThat(failed.json().get("error").asText()).contains("Input/output error (EIO)");
        assertThat(failed.json().get("steps").size()).isPositive();
        assertThat(h.bindings()).isEqualTo(before);
        assertThat(h.audit()).containsExactly("hide refused 3 ops api", "hide rolled-back 1 ops api");
    }

    @Test
    void attachAndDetachThroughTheApiRecordTheOwner() {
        h.libvirt.define("web1").kvm().persistent().running();
        ApiHost.Reply dry = h.post("/api/attach", h.admin, "{\"guest\": \"web1\", \"devices\": [\"" + WS_VF0
                + "\"], \"mode\": \"live\", \"dryRun\": true}");
        assertThat(dry.status()).as(dry.body()).isEqualTo(200);
        ApiHost.Reply attach = h.post("/api/attach", h.admin, "{\"guest\": \"web1\", \"devices\": [\"" + WS_VF0
                + "\"], \"mode\": \"live\", \"planId\": \"" + dry.json().get("planId").asText() + "\"}");
        assertThat(attach.status()).as(attach.body()).isEqualTo(200);
        assertThat(h.libvirt.devices("web1", true)).extracting(Object::toString).containsExactly(WS_VF0);
        JsonNode assignments = h.get("/api/assignments", h.viewer).json();
        assertThat(assignments.get(0).get("guest").asText()).isEqualTo("web1");
        assertThat(assignments.get(0).get("mode").asText()).isEqualTo("live");
        for (JsonNode d : h.get("/api/devices", h.viewer).json()) {
            if (d.get("address").asText().equals(WS_VF0)) {
                assertThat(d.get("owner").asText()).isEqualTo("web1");
                assertThat(d.get("verdict").asText()).isEqualTo("assigned");
            }
        }
        ApiHost.Reply detach = h.post("/api/detach", h.admin, "{\"guest\": \"web1\", \"devices\": [\"" + WS_VF0
                + "\"], \"return\": true, \"timeout\": 5}");
        assertThat(detach.status()).as(detach.body()).isEqualTo(200);
        assertThat(h.libvirt.devices("web1", true)).isEmpty();
        assertThat(h.sim.driverOf(WS_VF0)).isEqualTo("igbvf");
        assertThat(h.get("/api/assignments", h.viewer).body().strip()).isEqualTo("[ ]");
        JsonNode audit = h.get("/api/audit?device=" + WS_VF0, h.viewer).json();
        assertThat(audit).extracting(r -> r.get("action").asText() + " " + r.get("guest").asText())
                .containsExactly("detach web1", "attach web1");
    }

    @Test
    void badRequestsAre400WithAJsonErrorAndChangeNothing() throws Exception {
        String before = h.bindings();
        List<String> bodies = List.of("{bad", "[1, 2]", "\"hide\"", "{\"devices\": \"" + WS_UNKNOWN + "\"}",
                "{\"devices\": []}", "{\"devices\": [7]}", "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"colour\": 1}",
                "{\"devices\": [\"--force\"]}", "{\"devices\": [\"0000:7f:00.0\"]}",
                "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"withGroup\": \"yes\"}",
                "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"planId\": \"../../x\"}",
                "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"driver\": \"--force\"}",
                "{\"devices\": [\"" + WS_UNKNOWN + "\"], \"x\": \"" + "a".repeat(70_000) + "\"}");
        for (String body : bodies) {
            ApiHost.Reply r = h.post("/api/hide", h.admin, body);
            assertThat(r.status()).as("%s -> %s", body.length() > 80 ? body.substring(0, 80) : body, r.body())
                    .isEqualTo(400);
            assertThat(r.json().get("exit").asInt()).isEqualTo(2);
            assertThat(r.json().get("error").asText()).doesNotContain("\n").doesNotContain("Exception");
        }
        assertThat(h.post("/api/hide", h.admin, "{\"devices\": [\"0000:7f:00.0\"]}").json().get("error").asText())
                .contains("0000:7f:00.0");
        for (String guest : List.of("<script>alert(1)</script>", "-rf", "web1; reboot", "")) {
            ApiHost.Reply r = h.post("/api/attach", h.admin, "{\"guest\": " + ApiHost.JSON.writeValueAsString(guest)
                    + ", \"devices\": [\"" + WS_VF0 + "\"]}");
            assertThat(r.status()).as("guest %s: %s", guest, r.body()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).contains("guest name");
        }
        // path tricks and the HTTP layer's own errors: JSON too
        for (String path : List.of("/api/devices/..%2f..%2fetc", "/api/devices/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                "/api/devices/0000:00:00.0%00", "/api/devices/x%3Cb%3E")) {
            ApiHost.Reply r = h.get(path, h.admin);
            assertThat(r.status()).as("%s: %s", path, r.body()).isEqualTo(400);
            assertThat(r.header("Content-Type")).startsWith("application/json");
            assertThat(r.json().get("error").asText()).isNotEmpty();
        }
        ApiHost.Reply missing = h.get("/api/nothing-here", h.admin);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").asText()).contains("/api/nothing-here");
        ApiHost.Reply method = h.send(java.net.http.HttpRequest.newBuilder(h.uri("/api/devices")).DELETE(), h.admin);
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.json().get("error").asText()).isEqualTo("DELETE is not allowed on /api/devices");
        assertThat(h.get("/api/audit?since=yesterday", h.admin).status()).isEqualTo(400);
        assertThat(h.bindings()).isEqualTo(before);
        assertThat(h.audit()).as("bad input is not a change: no audit row").isEmpty();
    }

    @Test
    void eventsTellThePageOfEveryChangeAndAuditRow() throws Exception {
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<InputStream> stream = h.http.send(HttpRequest.newBuilder(h.uri("/api/events"))
                .header("Authorization", "Bearer " + h.viewer).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            } catch (java.io.IOException e) {
                // the server closed the stream
            }
        });
        assertThat(next(lines, "event: ")).isEqualTo("event: snapshot");
        assertThat(h.post("/api/hide", h.admin, hide(WS_UNKNOWN, false)).status()).isEqualTo(200);
        assertThat(List.of(next(lines, "event: "), next(lines, "event: "))).containsExactlyInAnyOrder("event: audit",
                "event: snapshot");
        // a change behind the server's back (the CLI) is seen by the two-second check
        assertThat(h.cli("hide", WS_VF0).exitCode()).isZero();
        assertThat(List.of(next(lines, "event: "), next(lines, "event: "))).containsExactlyInAnyOrder("event: audit",
                "event: snapshot");
        // and so is a refusal through the CLI, which changes nothing but the audit log
        assertThat(h.cli("hide", WS_SATA).exitCode()).isEqualTo(3);
        assertThat(next(lines, "event: ")).isEqualTo("event: audit");
        String data = next(lines, "data: ");
        assertThat(ApiHost.JSON.readTree(data.substring("data: ".length())).get("result").asText()).isEqualTo("refused");
        stream.body().close();
    }

    private static String next(LinkedBlockingQueue<String> lines, String prefix) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            String l = lines.poll(1, TimeUnit.SECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "' within 20 s");
    }

    @Test
    void metricsInThePrometheusTextFormat() {
        assertThat(h.post("/api/hide", h.admin, hide(WS_UNKNOWN, false)).status()).isEqualTo(200);
        assertThat(h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_SATA + "\"]}").status()).isEqualTo(409);
        long ready = 0;
        for (JsonNode d : h.get("/api/devices", h.viewer).json()) {
            ready += d.get("verdict").asText().equals("ready") ? 1 : 0;
        }
        ApiHost.Reply m = h.get("/metrics", null);
        assertThat(m.header("Content-Type")).startsWith("text/plain; version=0.0.4");
        List<String> lines = m.body().lines().toList();
        assertThat(lines).filteredOn(l -> !l.startsWith("#")).allMatch(l -> l.startsWith("pcipass_"))
                .allMatch(l -> l.matches("pcipass_[a-z_]+(\\{[^}]*\\})? [0-9.e+-]+"));
        assertThat(ready).isEqualTo(3);
        assertThat(lines).contains("pcipass_devices{verdict=\"ready\"} " + ready, "pcipass_hidden_devices 1",
                "pcipass_plans_total{result=\"done\"} 1", "pcipass_plans_total{result=\"refused\"} 1",
                "pcipass_hotplug_limit 512", "pcipass_assignments 0",
                "pcipass_http_requests_total{method=\"POST\",route=\"/api/hide\",status=\"409\"} 1",
                "pcipass_http_requests_total{method=\"GET\",route=\"/api/devices\",status=\"200\"} 1");
        assertThat(lines).anyMatch(l -> l.startsWith("pcipass_http_request_duration_seconds_bucket{route=\"/api/devices\",le=\"+Inf\"} 1"));
        assertThat(lines).contains("# TYPE pcipass_http_request_duration_seconds histogram");
    }

    @Test
    void repeatedFailuresFromOneAddressAreAnsweredMoreSlowlyButNeverLockedOut() {
        for (int i = 0; i < 3; i++) {
            assertThat(h.get("/api/devices", "wrong").status()).isEqualTo(401);
        }
        long start = System.nanoTime();
        assertThat(h.get("/api/devices", "wrong").status()).isEqualTo(401);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the fourth failure waits 750 ms")
                .isGreaterThanOrEqualTo(Duration.ofMillis(740));
        assertThat(h.get("/api/devices", h.viewer).status()).as("a good token still works").isEqualTo(200);
    }

    @Test
    void aTokenAddedWhileTheServerRunsIsTakenWithoutARestart() {
        String added = Tokens.add(h.state.resolve("tokens"), "late", "viewer").secret();
        assertThat(h.get("/api/whoami", added).json().get("name").asText()).isEqualTo("late");
        Tokens.remove(h.state.resolve("tokens"), "late");
        assertThat(h.get("/api/whoami", added).status()).isEqualTo(401);
    }
}
