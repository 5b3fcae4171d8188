package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.cli.Context;
import org.pcipass.host.HostPaths;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/** What {@code pcipass serve} checks before it listens (exit 2, one line, nothing served), and HTTPS. */
class ServeStartTest {
    @TempDir
    Path tmp;

    private Cli.Result serve(String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("serve", "--state-dir", tmp.resolve("state").toString(),
                "--sysfs", tmp.resolve("sys").toString()));
        a.addAll(List.of(more));
        return Cli.exec(a.toArray(String[]::new));
    }

    @Test
    void aMissingUnsafeEmptyOrGarbledTokensFileStopsTheServerBeforeItListens() throws Exception {
        Path tokens = tmp.resolve("tokens");
        Cli.Result missing = serve("--token-file", tokens.toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.errLines()).hasSize(1);
        assertThat(missing.err()).contains(tokens.toString()).contains("pcipass token add");

        Tokens.add(tokens, "ops", "admin");
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result open = serve("--token-file", tokens.toString());
        assertThat(open.exitCode()).isEqualTo(2);
        assertThat(open.err()).contains(tokens.toString()).contains("chmod 600");

        Files.writeString(tokens, "ops admin short\n");
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
        Cli.Result garbled = serve("--token-file", tokens.toString());
        assertThat(garbled.exitCode()).isEqualTo(2);
        assertThat(garbled.err()).contains(tokens + " line 1");

        Files.writeString(tokens, "# nobody yet\n");
        Files.createDirectories(tmp.resolve("sys"));
        Cli.Result empty = new Cli().run("serve", "--token-file", tokens.toString(), "--listen", "127.0.0.1:0",
                "--sysfs", tmp.resolve("sys").toString(), "--state-dir", tmp.resolve("state").toString());
        assertThat(empty.exitCode()).isEqualTo(2);
        assertThat(empty.err()).isEqualTo("pcipass: the tokens file " + tokens + " holds no token; add one: pcipass"
                + " token add NAME --role admin\n");
    }

    @Test
    void listeningBeyondLoopbackNeedsTlsOrInsecureListenAndTheListenAddressIsChecked() throws Exception {
        Path tokens = tmp.resolve("tokens");
        Tokens.add(tokens, "ops", "admin");
        Cli.Result wide = serve("--token-file", tokens.toString(), "--listen", "0.0.0.0:0");
        assertThat(wide.exitCode()).isEqualTo(2);
        assertThat(wide.err()).contains("--tls-cert FILE --tls-key FILE").contains("--insecure-listen");
        for (String bad : List.of("7800", "localhost", "127.0.0.1:99999", ":7800", "127.0.0.1:x", "a b:1")) {
            Cli.Result r = serve("--token-file", tokens.toString(), "--listen", bad);
            assertThat(r.exitCode()).as(bad).isEqualTo(2);
            assertThat(r.errLines()).as(bad).hasSize(1);
            assertThat(r.err()).as(bad).contains("--listen");
        }
        Cli.Result half = serve("--token-file", tokens.toString(), "--tls-cert", tmp.resolve("c.pem").toString());
        assertThat(half.exitCode()).isEqualTo(2);
        assertThat(half.err()).contains("--tls-cert and --tls-key go together");
    }

    /** The metrics need no token from this machine only: served on another address of it, they need a viewer's. */
    @Test
    void metricsFromBeyondLoopbackNeedAToken() throws Exception {
        java.net.InetAddress address = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())
                .stream().flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress()).findFirst().orElse(null);
        if (!Cli.CI) {
            org.assertj.core.api.Assumptions.assumeThat(address).as("a non-loopback IPv4 address").isNotNull();
        }
        assertThat(address).as("this machine has a non-loopback IPv4 address").isNotNull();
        FakeHost fake = HostTrees.kvmWorkstation(tmp.resolve("h"));
        KernelSim sim = new KernelSim(fake.sysfs(), fake.configRoot());
        Path state = tmp.resolve("state");
        String viewer = Tokens.add(state.resolve("tokens"), "look", "viewer").secret();
        try (Server s = Server.start(new Server.Options(address.getHostAddress(), 0, state.resolve("tokens"), null,
                null), new Context(System.out, System.err, Map.of(), sim, sim),
                new HostPaths(fake.sysfs(), fake.configRoot(), state, null))) {
            HttpClient client = HttpClient.newHttpClient();
            URI metrics = URI.create(s.url() + "metrics");
            assertThat(client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(401);
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer "
                    + viewer).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("pcipass_devices{verdict=");
        }
    }

    @Test
    void withACertificateAndKeyTheServerSpeaksHttps() throws Exception {
        Path cert = tmp.resolve("cert.pem");
        Path key = tmp.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        FakeHost fake = HostTrees.kvmWorkstation(tmp.resolve("h"));
        KernelSim sim = new KernelSim(fake.sysfs(), fake.configRoot());
        Path state = tmp.resolve("state");
        String admin = Tokens.add(state.resolve("tokens"), "ops", "admin").secret();
        Context ctx = new Context(System.out, System.err, Map.of(), sim, sim);
        try (Server s = Server.start(new Server.Options("127.0.0.1", 0, state.resolve("tokens"), cert, key), ctx,
                new HostPaths(fake.sysfs(), fake.configRoot(), state, null))) {
            assertThat(s.url()).startsWith("https://127.0.0.1:");
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] c, String a) {}

                @Override
                public void checkServerTrusted(X509Certificate[] c, String a) {}

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(s.url() + "api/whoami"))
                    .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"ops\"");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(s.url().replace("https:", "http:") + "api/whoami")).build(),
                    HttpResponse.BodyHandlers.ofString())).as("no plain HTTP on the TLS port")
                    .isInstanceOf(java.io.IOException.class);
        }
        Path other = tmp.resolve("other.pem");
        Process o = new ProcessBuilder("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", other.toString()).redirectErrorStream(true).start();
        o.getInputStream().readAllBytes();
        assertThat(o.waitFor()).isZero();
        Cli.Result mismatch = Cli.exec("serve", "--token-file", state.resolve("tokens").toString(), "--state-dir",
                state.toString(), "--sysfs", fake.sysfs().toString(), "--listen", "127.0.0.1:0", "--tls-cert",
                cert.toString(), "--tls-key", other.toString());
        assertThat(mismatch.exitCode()).as(mismatch.err()).isEqualTo(2);
        assertThat(mismatch.err()).contains("is not the key of the certificate");
        Files.writeString(key, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        Path tokens = tmp.resolve("state/tokens");
        Cli.Result pkcs1 = Cli.exec("serve", "--token-file", tokens.toString(), "--state-dir", state.toString(),
                "--sysfs", fake.sysfs().toString(), "--listen", "127.0.0.1:0", "--tls-cert", cert.toString(),
                "--tls-key", key.toString());
        assertThat(pkcs1.exitCode()).isEqualTo(2);
        assertThat(pkcs1.err()).contains("openssl pkcs8 -topk8 -nocrypt");
    }
}
