package org.pcipass.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.pcipass.cli.Cli;

/**
 * A real PostgreSQL for tests: Debian's server binaries ({@code /usr/lib/postgresql/N/bin}, the
 * newest N; ./test installs the package) running a temporary cluster on a free loopback port, with
 * fsync off and trust authentication for user {@code pcipass}. As root (tests run as root) the
 * server runs as the {@code postgres} user, which PostgreSQL requires. {@link #close} stops it at
 * once and removes the cluster.
 *
 * <pre>
 * try (Postgres pg = Postgres.start(); Connection c = pg.connect()) { ... }
 * </pre>
 */
public final class Postgres implements AutoCloseable {
    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asPostgres;

    private Postgres(Path bin, Path dir, int port, boolean asPostgres) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgres = asPostgres;
    }

    /** The newest installed server's bin directory, or null. */
    public static Path bin() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) {
            return null;
        }
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> Files.isExecutable(p.resolve("bin/postgres")))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
                    .map(p -> p.resolve("bin")).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static Postgres shared;

    /**
     * The cluster the test classes of this JVM share (a fresh database each, {@link #createDatabase}):
     * started on first use and stopped when the JVM exits, one initdb per test fork instead of one per
     * class. Outside CI the calling test is skipped when PostgreSQL's server is not installed; under
     * {@code CI=true} it fails instead.
     */
    public static synchronized Postgres shared() throws IOException, InterruptedException {
        if (!Cli.CI) {
            Assumptions.assumeTrue(bin() != null, "PostgreSQL's server is installed (./test installs it as root)");
        }
        if (shared == null) {
            Postgres pg = start();
            Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "pcipass-test-postgres-stop"));
            shared = pg;
        }
        return shared;
    }

    /** Starts a fresh cluster; throws when PostgreSQL is not installed or does not start. */
    public static Postgres start() throws IOException, InterruptedException {
        Path bin = bin();
        if (bin == null) {
            throw new IllegalStateException("PostgreSQL's server is not installed (apt-get install postgresql; ./test"
                    + " does it as root)");
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        // under /tmp, not java.io.tmpdir: the server's user must reach it, and the tests' directories are 0700
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "pcipass-pg-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (root) {
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, postgres);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Postgres pg = new Postgres(bin, dir, port, root);
        try {
            pg.run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust", "-U",
                    "pcipass", "-E", "UTF8", "--no-sync", "--no-instructions"));
            pg.run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60",
                    "-l", dir.resolve("log").toString(), "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -k "
                            + dir + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                            + " -c max_connections=300", "start"));
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    private void run(List<String> argv) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgres) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(argv);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            String log = Files.exists(dir.resolve("log")) ? Files.readString(dir.resolve("log")) : "";
            throw new IOException(String.join(" ", argv) + " failed: " + out + log);
        }
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres?user=pcipass}. */
    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=pcipass";
    }

    /** Creates database {@code name} (a fresh one per test) and returns its {@code postgresql://} URL for --db. */
    public String createDatabase(String name) throws SQLException {
        try (Connection c = connect(); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return "postgresql://pcipass@127.0.0.1:" + port + "/" + name;
    }

    /** A connection to database {@code name} of {@link #createDatabase}. */
    public Connection connect(String name) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + name + "?user=pcipass");
    }

    public int port() {
        return port;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url());
    }

    @Override
    public void close() {
        try {
            if (Files.exists(dir.resolve("data/postmaster.pid"))) {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
                        "-w", "stop"));
            }
        } catch (IOException | InterruptedException e) {
            // removed below either way; a server left running dies with its directory's files
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory under /tmp
            }
        }
    }
}
