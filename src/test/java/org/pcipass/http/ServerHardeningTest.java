package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;
import static org.pcipass.testing.HostTrees.WS_VF0;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the server refuses to be turned into: a program runner, a token that outlives its revocation, an open door. */
class ServerHardeningTest {
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

    @Test
    void theApiTakesOnlyTheLibvirtUrisTheServerWasStartedWith() throws Exception {
        h.libvirt.define("web1").kvm().persistent().running();
        Path proof = tmp.resolve("ran");
        for (String uri : new String[] {"qemu+ext:///system?command=/bin/touch%20" + proof,
                "qemu+ssh://elsewhere/system?keyfile=/root/.ssh/id_rsa", "qemu:///system?socket=/tmp/x", "test:///default"}) {
            ApiHost.Reply r = h.post("/api/attach", h.admin, "{\"guest\": \"web1\", \"devices\": [\"" + WS_VF0
                    + "\"], \"connect\": " + ApiHost.JSON.writeValueAsString(uri) + ", \"dryRun\": true}");
            assertThat(r.status()).as(uri).isEqualTo(400);
            assertThat(r.json().get("error").asText()).contains("is not a URI this server may use")
                    .contains("qemu:///system").contains("--allow-connect");
        }
        assertThat(proof).doesNotExist();
        ApiHost.Reply ok = h.post("/api/attach", h.admin, "{\"guest\": \"web1\", \"devices\": [\"" + WS_VF0
                + "\"], \"connect\": \"qemu:///system\", \"dryRun\": true}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void aViewersChangeIsARefusalInTheAuditLogWithItsDevicesAndAddress() throws Exception {
        assertThat(h.post("/api/hide", h.viewer, "{\"devices\": [\"" + WS_UNKNOWN + "\"]}").status()).isEqualTo(403);
        assertThat(h.post("/api/attach", h.viewer, "{\"guest\": \"web1\", \"devices\": [\"" + WS_VF0 + "\"]}").status())
                .isEqualTo(403);
        assertThat(h.post("/api/hide", h.viewer, "not json").status()).isEqualTo(403);
        assertThat(h.audit()).containsExactly("hide refused 3 look api", "attach refused 3 look api",
                "hide refused 3 look api");
        var rows = h.get("/api/audit", h.viewer).json();
        assertThat(rows.get(1).get("guest").asText()).isEqualTo("web1");
        assertThat(rows.get(1).get("devices").toString()).isEqualTo("[\"" + WS_VF0 + "\"]");
        assertThat(rows.get(1).get("address").asText()).isEqualTo("127.0.0.1");
        assertThat(rows.get(1).get("error").asText()).contains("is a viewer");
        assertThat(rows.get(0).get("devices").toString()).isEqualTo("[]");
        // an admin's change through the API carries the address too; the CLI's none
        assertThat(h.post("/api/hide", h.admin, "{\"devices\": [\"" + WS_UNKNOWN + "\"]}").status()).isEqualTo(200);
        assertThat(h.get("/api/audit?limit=1", h.viewer).json().get(0).get("address").asText()).isEqualTo("127.0.0.1");
        assertThat(h.cli("unhide", WS_UNKNOWN).exitCode()).isZero();
        // each row also goes to the server's log (journald), the CLI's too, once the server has looked
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!h.log.toString(StandardCharsets.UTF_8).contains("unhide " + WS_UNKNOWN + ": done")
                && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(h.log.toString(StandardCharsets.UTF_8)).contains("pcipass: audit #2: look (api 127.0.0.1) attach "
                + WS_VF0 + " guest web1: refused (token 'look' is a viewer;").contains("ops (api 127.0.0.1) hide "
                + WS_UNKNOWN + ": done").contains("(cli) unhide " + WS_UNKNOWN + ": done");
        assertThat(h.get("/api/audit?limit=1", h.viewer).json().get(0).get("address").isNull()).isTrue();
    }

    @Test
    void aTokensFileThatGoesMissingOrOpenAcceptsNoTokenAndARevokedTokensEventsEnd() throws Exception {
        Path tokens = h.state.resolve("tokens");
        HttpResponse<InputStream> stream = h.http.send(HttpRequest.newBuilder(h.uri("/api/events"))
                .header("Authorization", "Bearer " + h.viewer).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        CompletableFuture<Void> first = new CompletableFuture<>();
        CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    if (l.startsWith("event: ")) {
                        first.complete(null); // the server has registered the stream
                    }
                }
            } catch (java.io.IOException e) {
                // ended
            }
        });
        first.get(20, TimeUnit.SECONDS);
        Tokens.remove(tokens, "look");
        assertThat(h.get("/api/whoami", h.viewer).status()).isEqualTo(401);
        ended.get(20, TimeUnit.SECONDS); // the removed token's stream was closed by the server

        assertThat(h.get("/api/whoami", h.admin).status()).isEqualTo(200);
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(h.get("/api/whoami", h.admin).status()).as("a file open to others: no token").isEqualTo(401);
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
        assertThat(h.get("/api/whoami", h.admin).status()).as("put right").isEqualTo(200);
        Files.delete(tokens);
        assertThat(h.get("/api/whoami", h.admin).status()).as("a missing file: no token").isEqualTo(401);
        assertThat(h.log.toString(StandardCharsets.UTF_8)).contains("no token is accepted");
    }

    @Test
    void tokenlessMetricsOnlyForLoopbackNamesAndMethodLabelsClientsCannotInvent() throws Exception {
        assertThat(rawStatus("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).isEqualTo(200);
        assertThat(rawStatus("GET /metrics HTTP/1.1\r\nHost: localhost:" + h.server.port()
                + "\r\nConnection: close\r\n\r\n")).isEqualTo(200);
        assertThat(rawStatus("GET /metrics HTTP/1.1\r\nHost: rebound.example.com:" + h.server.port()
                + "\r\nConnection: close\r\n\r\n")).as("a DNS-rebound name").isEqualTo(401);
        for (int i = 0; i < 3; i++) {
            rawStatus("X" + i + "YZ /api/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        }
        String metrics = h.get("/metrics", null).body();
        assertThat(metrics).doesNotContain("X0YZ").contains("method=\"OTHER\"");
    }

    private int rawStatus(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", h.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }
}
