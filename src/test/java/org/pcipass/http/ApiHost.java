package org.pcipass.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.pcipass.cli.Cli;
import org.pcipass.cli.Context;
import org.pcipass.host.HostPaths;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.FakeLibvirt;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * A real {@code pcipass serve} (Javalin, Jetty, a free loopback port) in this JVM over a temporary
 * kvmWorkstation tree, the kernel simulator and the fake libvirt, with an admin token {@code ops}
 * and a viewer token {@code look}; and an HTTP client for it. The same host can be changed with
 * the CLI ({@link #cli}) behind the server's back.
 */
final class ApiHost implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final FakeHost fake;
    final KernelSim sim;
    final FakeLibvirt libvirt;
    final Path state;
    final String admin;
    final String viewer;
    final Server server;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** An answer: status, headers, body as text, and the body as JSON. */
    record Reply(int status, java.net.http.HttpHeaders headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    ApiHost(Path dir) {
        this(dir, Map.of());
    }

    ApiHost(Path dir, Map<String, String> env) {
        fake = HostTrees.kvmWorkstation(dir.resolve("h"));
        sim = new KernelSim(fake.sysfs(), fake.configRoot());
        libvirt = FakeLibvirt.at(dir.resolve("libvirt"));
        state = dir.resolve("state");
        admin = Tokens.add(state.resolve("tokens"), "ops", "admin").secret();
        viewer = Tokens.add(state.resolve("tokens"), "look", "viewer").secret();
        PrintStream err = new PrintStream(log, true, StandardCharsets.UTF_8);
        Context ctx = new Context(err, err, Map.copyOf(env), sim, sim).withBackends(libvirt.backends());
        server = Server.start(new Server.Options("127.0.0.1", 0, state.resolve("tokens"), null, null), ctx,
                new HostPaths(fake.sysfs(), fake.configRoot(), state, null));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    Reply get(String path, String token) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), token);
    }

    Reply post(String path, String token, String body) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json"), token);
    }

    Reply send(HttpRequest.Builder b, String token) {
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** pcipass's CLI in this JVM on the same host (same simulator, same state dir). */
    Cli.Result cli(String... words) {
        List<String> a = new ArrayList<>(List.of(words));
        a.addAll(List.of("--sysfs", fake.sysfs().toString(), "--config-root", fake.configRoot().toString(),
                "--state-dir", state.toString()));
        return new Cli().kernel(sim).runner(sim).backends(libvirt.backends()).run(a.toArray(String[]::new));
    }

    /** Every device's driver and driver_override, as text: equal before and after means nothing changed. */
    String bindings() throws IOException {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> s = Files.list(fake.sysfs().resolve("bus/pci/devices"))) {
            for (Path d : s.sorted().toList()) {
                Path drv = d.resolve("driver");
                Path override = d.resolve("driver_override");
                b.append(d.getFileName()).append(' ')
                        .append(Files.isSymbolicLink(drv) ? Files.readSymbolicLink(drv).getFileName() : "-").append(' ')
                        .append(Files.exists(override) ? Files.readString(override).strip() : "").append('\n');
            }
        }
        return b.toString();
    }

    /** The audit rows as "ACTION RESULT EXIT ACTOR VIA", oldest first. */
    List<String> audit() {
        JsonNode rows = cli("audit", "--json").json();
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(0, r.get("action").asText() + " " + r.get("result").asText() + " "
                + r.get("exit").asInt() + " " + r.get("actor").asText() + " " + r.get("via").asText()));
        return out;
    }

    @Override
    public void close() {
        server.close();
    }
}
