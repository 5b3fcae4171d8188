package org.pcipass.http;

import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseClient;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.apply.PlanJson;
import org.pcipass.cli.Caller;
import org.pcipass.host.HostPaths;
import org.pcipass.plan.Plan;
import org.pcipass.store.AuditEntry;

/**
 * {@code pcipass serve}: the REST API, the web page, Server-Sent Events and the metrics, on Javalin
 * (Jetty 12). Every command runs through {@link Runner}, that is through the CLI's own code, so the
 * server and the CLI share the planner, the executor, the host lock and the store. Changes from the
 * API are also taken one at a time inside the server.
 */
public final class Server implements AutoCloseable {
    /** How and where to listen. */
    public record Options(String host, int port, Path tokenFile, Path tlsCert, Path tlsKey, Set<String> allowConnect) {
        /** The libvirt URIs the API takes by default: the local system hypervisors, nothing that runs a program. */
        public static final Set<String> LOCAL_CONNECT = Set.of("qemu:///system", "xen:///system", "xen:///");

        public Options {
            allowConnect = Set.copyOf(allowConnect);
        }

        public Options(String host, int port, Path tokenFile, Path tlsCert, Path tlsKey) {
            this(host, port, tokenFile, tlsCert, tlsKey, LOCAL_CONNECT);
        }
    }

    /** How many commands (each a host scan) run at once for requests; more wait, then are told to come back. */
    static final int RUNS = 2;
    /** How long a change through the API waits for the one before it (a detach may wait for its guest). */
    static final java.time.Duration CHANGE_WAIT = java.time.Duration.ofSeconds(120);
    /** The most pages listening to /api/events at once. */
    static final int MAX_CLIENTS = 64;

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String JSON = "application/json; charset=utf-8";
    private static final String TOKEN = "pcipass.token";
    private static final Set<String> READS_WITHOUT_TOKEN_FROM_LOOPBACK = Set.of("/metrics");

    private final Options options;
    private final HostPaths paths;
    private final Runner runner;
    private final HostWatch watch;
    private final Metrics metrics = new Metrics();
    private final Auth auth;
    private final ReentrantLock changes = new ReentrantLock(true);
    private final java.util.concurrent.Semaphore runs = new java.util.concurrent.Semaphore(RUNS, true);
    private final java.util.concurrent.ExecutorService events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pcipass-events");
        t.setDaemon(true);
        return t;
    });
    private final Map<SseClient, String> listeners = new ConcurrentHashMap<>(); // client → its token's name
    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService keepAlive;
    private final Map<String, byte[]> assets = new ConcurrentHashMap<>();
    private final PrintStream log;
    private final Javalin app;
    private long lastAudit;
    private FileTime auditStamp;

    private Server(Options options, org.pcipass.cli.Context base, List<String> globals, HostPaths paths) {
        this.options = options;
        this.paths = paths;
        this.log = base.err();
        this.auth = new Auth(options.tokenFile(), log, this::closeRevoked);
        this.runner = new Runner(base, globals);
        for (String asset : List.of("index.html", "app.js", "app.css")) {
            assets.put(asset, resource("web/" + asset));
        }
        this.watch = new HostWatch(paths.sysfs(), paths.configRoot(), paths.stateDir(), this::deviceList);
        watch.onChange(v -> broadcast("snapshot", "{\"version\":" + v + "}"));
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pcipass-sse-keepalive");
            t.setDaemon(true);
            return t;
        });
        keepAlive.scheduleWithFixedDelay(() -> events.execute(() -> clients.forEach(c -> {
            try {
                c.sendComment("keep-alive");
            } catch (RuntimeException e) {
                drop(c);
            }
        })), 15, 15, TimeUnit.SECONDS);
        this.lastAudit = newestAudit();
        keepAlive.scheduleWithFixedDelay(this::pollAudit, 2, 2, TimeUnit.SECONDS);
        this.app = Javalin.create(this::configure);
    }

    /**
     * Checks the tokens file and the TLS files, then listens; returns once the server answers.
     *
     * @throws PcipassException.BadInput (exit 2) for a tokens file that is missing, open to others,
     *     owned by another user or garbled, for TLS files that cannot be used, and for an address
     *     that cannot be listened on
     */
    public static Server start(Options options, org.pcipass.cli.Context base, HostPaths paths) {
        // the commands the server runs see the paths it was started with (options and environment alike)
        List<String> globals = new ArrayList<>(List.of("--sysfs=" + paths.sysfs(), "--config-root=" + paths.configRoot(),
                "--state-dir=" + paths.stateDir()));
        if (paths.pciIds() != null) {
            globals.add("--pci-ids=" + paths.pciIds());
        }
        Server s = new Server(options, base, globals, paths);
        try {
            s.app.start();
        } catch (RuntimeException e) {
            s.closeQuietly();
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof java.net.BindException)) {
                cause = cause.getCause();
            }
            throw new PcipassException.BadInput("cannot listen on " + options.host() + ":" + options.port() + " ("
                    + cause.getMessage() + "); give a free port with --listen HOST:PORT");
        }
        return s;
    }

    /** The port listened on (the one chosen when --listen gave port 0). */
    public int port() {
        return app.port();
    }

    /** The page's address: http://HOST:PORT/ (https with TLS). */
    public String url() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return (options.tlsCert() == null ? "http" : "https") + "://" + host + ":" + port() + "/";
    }

    private void configure(io.javalin.config.JavalinConfig cfg) {
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.http.prefer405over404 = true;
        cfg.http.compressionStrategy = CompressionStrategy.NONE; // the device list is gzipped once per snapshot
        cfg.http.maxRequestSize = Requests.MAX_BODY;
        cfg.jetty.host = options.host();
        cfg.jetty.port = options.port();
        if (options.tlsCert() != null) {
            java.security.KeyStore ks = Tls.keyStore(options.tlsCert(), options.tlsKey());
            cfg.jetty.addConnector((server, http) -> {
                SslContextFactory.Server ssl = new SslContextFactory.Server();
                ssl.setKeyStore(ks);
                ssl.setKeyStorePassword(new String(Tls.PASSWORD));
                HttpConfiguration https = new HttpConfiguration(http);
                https.addCustomizer(new SecureRequestCustomizer(false));
                ServerConnector c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                        new HttpConnectionFactory(https));
                c.setHost(options.host());
                c.setPort(options.port());
                return c;
            });
        }
        cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
        cfg.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new JsonErrorHandler()));
        cfg.requestLogger.http((ctx, ms) -> metrics.request(Metrics.method(ctx.method().name()), route(ctx),
                ctx.statusCode(),
                (long) (ms * 1_000_000L)));

        var r = cfg.routes;
        r.before(this::securityHeaders);
        r.before("/api/*", this::authenticate);
        r.before("/metrics", this::authenticate);
        r.get("/", ctx -> asset(ctx, "index.html", "text/html; charset=utf-8"));
        r.get("/index.html", ctx -> asset(ctx, "index.html", "text/html; charset=utf-8"));
        r.get("/app.js", ctx -> asset(ctx, "app.js", "text/javascript; charset=utf-8"));
        r.get("/app.css", ctx -> asset(ctx, "app.css", "text/css; charset=utf-8"));
        r.get("/api/whoami", ctx -> {
            Tokens.Token t = ctx.attribute(TOKEN);
            Map<String, Object> o = JsonTree.object();
            o.put("name", t.name());
            o.put("role", t.role().text());
            json(ctx, 200, o);
        });
        r.get("/api/devices", this::devices);
        r.get("/api/devices/{address}", ctx -> read(ctx, List.of("show", "--json", "--", ctx.pathParam("address"))));
        r.get("/api/groups", ctx -> read(ctx, List.of("groups", "--json")));
        r.get("/api/checks", ctx -> read(ctx, List.of("check", "--json")));
        r.get("/api/assignments", ctx -> read(ctx, List.of("assignments", "--json")));
        r.get("/api/audit", this::audit);
        for (String action : List.of("hide", "unhide", "attach", "detach")) {
            r.post("/api/" + action, ctx -> change(ctx, action));
        }
        r.sse("/api/events", client -> {
            if (clients.size() >= MAX_CLIENTS) {
                client.sendEvent("error", "{\"error\":\"too many pages listen to this server (" + MAX_CLIENTS
                        + "); close one\"}");
                client.close();
                return;
            }
            Tokens.Token t = client.ctx().attribute(TOKEN);
            client.keepAlive();
            clients.add(client);
            listeners.put(client, t.name());
            client.onClose(() -> drop(client));
            if (!auth.known(t.name())) { // revoked between its request's check and now
                drop(client);
                client.close();
                return;
            }
            client.sendEvent("snapshot", "{\"version\":" + watch.current().version() + "}");
        });
        r.get("/metrics", this::metrics);

        r.exception(ApiError.class, (e, ctx) -> json(ctx, e.status, e.body));
        r.exception(HttpResponseException.class, (e, ctx) -> {
            int status = e.getStatus() == 413 ? 400 : e.getStatus();
            String message = switch (e.getStatus()) {
                case 404 -> "no such page or endpoint: " + org.pcipass.guest.GuestName.printable(ctx.path()) + " (the API is under /api/)";
                case 405 -> ctx.method().name() + " is not allowed on " + org.pcipass.guest.GuestName.printable(ctx.path());
                case 413 -> "the request body is larger than " + Requests.MAX_BODY + " bytes";
                default -> Requests.oneLine(e.getMessage());
            };
            json(ctx, status, ApiError.of(status, status >= 500 ? 1 : 2, message).body);
        });
        r.exception(Exception.class, (e, ctx) -> {
            log.println("pcipass: internal error answering " + ctx.method() + " " + ctx.path() + ": " + e);
            json(ctx, 500, ApiError.of(500, 1, "internal error: " + Requests.oneLine(String.valueOf(e))).body);
        });
    }

    private static String route(Context ctx) {
        try {
            var e = ctx.endpoint();
            return e == null ? "unmatched" : e.path;
        } catch (RuntimeException e) {
            return "unmatched";
        }
    }

    private void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
    }

    /** Every /api/ call needs a token; /metrics needs one unless it comes from this machine. */
    private void authenticate(Context ctx) {
        if (READS_WITHOUT_TOKEN_FROM_LOOPBACK.contains(ctx.path()) && loopback(ctx.req().getRemoteAddr())
                && loopbackHost(ctx.header("Host"))) {
            return;
        }
        Tokens.Token t = auth.check(ctx.header("Authorization"), ctx.req().getRemoteAddr());
        ctx.attribute(TOKEN, t);
        boolean change = !ctx.method().name().equals("GET") && !ctx.method().name().equals("HEAD");
        if (change && !t.role().mayChange()) {
            String message = "token '" + t.name() + "' is a viewer; changes need an admin token (pcipass token add NAME"
                    + " --role admin)";
            auditRefusal(ctx, t, message);
            throw ApiError.of(403, 3, message);
        }
    }

    /**
     * A viewer's change is a refused change: a row in the audit log, with the devices and guest its
     * body names as far as they can be read (a body that is not a request is logged without them).
     */
    private void auditRefusal(Context ctx, Tokens.Token t, String message) {
        String action = ctx.path().startsWith("/api/") ? ctx.path().substring(5) : ctx.path();
        if (!Requests.isAction(action)) {
            return; // not a change pcipass knows: a 404 or 405 follows for anyone
        }
        List<org.pcipass.pci.PciAddress> devices = new ArrayList<>();
        String guest = null;
        try (InputStream in = ctx.req().getInputStream()) {
            Object body = JsonTree.parse(new String(in.readNBytes(Requests.MAX_BODY), StandardCharsets.UTF_8));
            Map<String, Object> o = JsonTree.asObject(body, "body");
            if (o.get("devices") instanceof List<?> l) {
                for (Object d : l) {
                    try {
                        devices.add(org.pcipass.pci.PciAddress.parse(String.valueOf(d)));
                    } catch (IllegalArgumentException e) {
                        // not an address: not logged
                    }
                }
            }
            if (o.get("guest") instanceof String g && org.pcipass.guest.GuestName.valid(g)) {
                guest = g;
            }
        } catch (IOException | RuntimeException e) {
            // a body that is not a request: the row names no device
        }
        try (org.pcipass.store.Store store = org.pcipass.store.Store.open(paths.stateDir())) {
            store.audit(new AuditEntry(0, Instant.now(), t.name(), "api", ctx.req().getRemoteAddr(), action, devices,
                    guest, "refused", 3, message, null, null));
        } catch (RuntimeException e) {
            log.println("pcipass: warning: the audit log was not written: " + e.getMessage());
        }
        pollAudit();
    }

    /** The Host header names this machine by a loopback address or localhost (not a name a rebinding DNS made). */
    static boolean loopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") ? host.substring(1, Math.max(1, host.indexOf(']'))) : host.contains(":")
                && host.indexOf(':') == host.lastIndexOf(':') ? host.substring(0, host.indexOf(':')) : host;
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    static boolean loopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    private void asset(Context ctx, String name, String type) {
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(type).result(assets.get(name));
    }

    private static byte[] resource(String name) {
        try (InputStream in = Server.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks org/pcipass/http/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read org/pcipass/http/" + name + " from the jar", e);
        }
    }

    /** GET /api/devices: the snapshot's list, gzipped for clients that take it, 304 when the client has it. */
    private void devices(Context ctx) throws IOException {
        HostWatch.Snapshot s = watch.current();
        String etag = "\"v" + s.version() + "-" + s.fingerprint().substring(0, 16) + "\"";
        ctx.header("ETag", etag);
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Pcipass-Snapshot", String.valueOf(s.version()));
        if (etag.equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        String accept = ctx.header("Accept-Encoding");
        ctx.contentType(JSON);
        if (accept != null && accept.contains("gzip")) {
            ctx.header("Content-Encoding", "gzip");
            ctx.header("Vary", "Accept-Encoding");
            send(ctx, s.gzipBuffer());
        } else {
            send(ctx, s.jsonBuffer());
        }
    }

    /**
     * Sends one of the snapshot's bodies from its direct buffer, with a Content-Length, in one write:
     * no copy in the JVM (Javalin's {@code result(byte[])} copies the answer through a 32 KiB array and
     * again into a direct buffer for the socket, and chunks it). bench/README.md ("The API server
     * (issue 12)") measured it at 4,096 devices: 20-40% less of the server's CPU per answer, plain or
     * gzipped, and (G1) a young collection per ~7,000-9,600 answers instead of ~1,100-1,900.
     */
    private static void send(Context ctx, ByteBuffer body) throws IOException {
        ByteBuffer b = body.duplicate(); // the snapshot's buffer is shared by every answer: its own position
        ctx.res().setContentLength(b.remaining());
        ServletOutputStream out = ctx.res().getOutputStream();
        if (!(out instanceof HttpOutput jetty)) { // Jetty's own stream unless something wrapped the response
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            ctx.result(copy);
            return;
        }
        try {
            jetty.sendContent(b);
        } catch (IOException e) {
            // the client went away part-way through: the answer is committed, nobody is left to answer
        }
    }

    private byte[] deviceList() {
        Runner.Result r = runner.run(reader("server", null), List.of("list", "--json"));
        if (r.exit() == 2) {
            throw new PcipassException.BadInput(r.error());
        }
        if (r.exit() != 0) {
            throw new PcipassException("list failed (exit " + r.exit() + "): " + r.error());
        }
        return r.out().getBytes(StandardCharsets.UTF_8);
    }

    private void audit(Context ctx) {
        List<String> argv = new ArrayList<>(List.of("audit", "--json"));
        for (String q : List.of("device", "since", "limit")) {
            String v = ctx.queryParam(q);
            if (v != null && !v.isEmpty()) {
                argv.add("--" + q + "=" + v);
            }
        }
        if (ctx.queryParam("limit") == null || ctx.queryParam("limit").isEmpty()) {
            argv.add("--limit=500");
        }
        read(ctx, argv);
    }

    /** A read: the command's JSON as it prints it, or its error. {@code check} exits 4 for a FAIL: still an answer. */
    private void read(Context ctx, List<String> argv) {
        Tokens.Token t = ctx.attribute(TOKEN);
        Runner.Result r = snapshotRead(argv) ? cached(argv, () -> run(reader(t.name(), ctx.req().getRemoteAddr()), argv))
                : run(reader(t.name(), ctx.req().getRemoteAddr()), argv);
        warnings(r, argv);
        if (r.exit() != 0 && !(argv.get(0).equals("check") && r.exit() == 4)) {
            throw ApiError.of(ApiError.status(r.exit()), r.exit(), r.error());
        }
        ctx.contentType(JSON).result(r.out());
    }

    /** The reads that depend on the host alone (not the hypervisors, not the audit log): answered per snapshot. */
    private static boolean snapshotRead(List<String> argv) {
        return List.of("show", "groups", "check").contains(argv.get(0));
    }

    private record Cached(long version, Runner.Result result) {}

    private final Map<String, Cached> reads = new ConcurrentHashMap<>();

    /**
     * A host read made once per snapshot version: the page asks for the same device, the groups and
     * the checks again after every event, and each is a scan of the host. A cached answer is
     * dropped when the snapshot changes; at most 512 are kept.
     */
    private Runner.Result cached(List<String> argv, java.util.function.Supplier<Runner.Result> make) {
        long version = watch.current().version();
        String key = String.join("\u0000", argv);
        Cached c = reads.get(key);
        if (c != null && c.version() == version) {
            return c.result();
        }
        Runner.Result r = make.get();
        if (watch.current().version() == version) { // made on this snapshot's host, as far as the watch knows
            if (reads.size() >= 512) {
                reads.entrySet().removeIf(e -> e.getValue().version() != version);
                if (reads.size() >= 512) {
                    reads.clear();
                }
            }
            reads.put(key, new Cached(version, r));
        }
        return r;
    }

    /**
     * Runs one command for a request, at most {@link #RUNS} at once (each scans the host: at
     * -Xmx128m a crowd of them would not fit); a request that waits 30 s for its turn is answered
     * 503 with Retry-After.
     */
    private Runner.Result run(Caller caller, List<String> argv) {
        try {
            if (!runs.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new ApiError(503, busy());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, busy());
        }
        try {
            return runner.run(caller, argv);
        } finally {
            runs.release();
        }
    }

    private static Map<String, Object> busy() {
        Map<String, Object> o = ApiError.of(503, 1, "the server is busy with other requests; try again in a few"
                + " seconds").body;
        o.put("retryAfter", 5);
        return o;
    }

    /** A command's warnings (a hypervisor that could not be asked, a journal found) go to the server's log. */
    private void warnings(Runner.Result r, List<String> argv) {
        r.warnings().forEach(w -> log.println("pcipass: warning (" + argv.get(0) + "): " + w));
    }

    private static Caller reader(String name, String address) {
        return new Caller.Named(name, "api", address);
    }

    /** POST /api/ACTION: a dry run (the plan and its id) or a change (applied only if its plan id still holds). */
    private void change(Context ctx, String action) throws IOException {
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = in.readNBytes(Requests.MAX_BODY + 1);
        }
        Requests.Change change = Requests.parse(action, body, options.allowConnect());
        Tokens.Token t = ctx.attribute(TOKEN);
        ApiCaller caller = new ApiCaller(t.name(), ctx.req().getRemoteAddr(), change);
        List<String> argv = new ArrayList<>(change.argv());
        argv.add(1, "--json");
        if (change.dryRun()) {
            argv.add(2, "--dry-run");
        }
        Runner.Result r;
        if (change.dryRun()) {
            r = run(caller, argv);
        } else {
            try {
                if (!changes.tryLock(CHANGE_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw ApiError.of(500, 1, "another change through the API has been running for "
                            + CHANGE_WAIT.toSeconds() + " s; nothing was done: try again when it has finished");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiError.of(500, 1, "interrupted while waiting for another change; nothing was done");
            }
            try {
                r = run(caller, argv);
            } finally {
                changes.unlock();
                try {
                    watch.changed();
                } catch (RuntimeException e) { // the answer is the command's: the next check remakes the snapshot
                    log.println("pcipass: warning: the device list could not be made again: " + e.getMessage());
                }
                pollAudit();
            }
        }
        warnings(r, argv);
        if (caller.stale != null) {
            Map<String, Object> o = ApiError.of(409, 3, r.error()).body;
            o.put("stale", true);
            o.put("plan", planJson(caller.stale, caller.planId, true));
            json(ctx, 409, o);
            return;
        }
        Map<String, Object> printed = r.out().isBlank() ? null : parsedObject(r.out());
        if (r.exit() == 0 && printed != null) {
            Map<String, Object> o = JsonTree.object();
            o.put("dryRun", change.dryRun());
            o.put("planId", caller.planId);
            o.putAll(printed);
            o.put("warnings", new ArrayList<Object>(r.warnings()));
            json(ctx, 200, o);
            return;
        }
        Map<String, Object> o = ApiError.of(ApiError.status(r.exit()), r.exit(), r.error()).body;
        if (printed != null) {
            o.put("planId", caller.planId);
            printed.forEach(o::putIfAbsent);
            o.put("error", r.error()); // the plan's own error field says the same; the command's line wins
        }
        o.put("warnings", new ArrayList<Object>(r.warnings()));
        json(ctx, ApiError.status(r.exit()), o);
    }

    private static Map<String, Object> planJson(Plan plan, String planId, boolean dryRun) {
        Map<String, Object> o = JsonTree.object();
        o.put("dryRun", dryRun);
        o.put("planId", planId);
        o.put("steps", PlanJson.steps(plan.steps()));
        o.put("notes", new ArrayList<Object>(plan.notes()));
        return o;
    }

    private static Map<String, Object> parsedObject(String text) {
        try {
            return JsonTree.asObject(JsonTree.parse(text), "the command's output");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The API's caller: a token, and the plan id of what it planned. The id hashes the command line,
     * the plan's steps and every device's driver at planning time, so a confirmation made on another
     * host state (a device changed driver, appeared or went) or for another request is refused as stale.
     */
    private static final class ApiCaller extends Caller.Named {
        private final Requests.Change change;
        String planId;
        Plan stale;

        ApiCaller(String name, String address, Requests.Change change) {
            super(name, "api", address);
            this.change = change;
        }

        @Override
        public void planned(Plan plan, HostPaths p, boolean dryRun) {
            MessageDigest md = HostWatch.sha256();
            md.update(String.join("\u0000", change.argv()).getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            md.update(JsonTree.compact(PlanJson.steps(plan.steps())).getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            List<Object> registry = new ArrayList<>();
            plan.hiddenAfter().values().forEach(h -> registry.add(PlanJson.hidden(h)));
            md.update(JsonTree.compact(registry).getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            md.update(HostWatch.drivers(p.sysfs()).getBytes(StandardCharsets.UTF_8));
            planId = HexFormat.of().formatHex(md.digest());
            if (!dryRun && change.planId() != null && !change.planId().equals(planId)) {
                stale = plan;
                throw new Caller.StalePlan("the host changed since plan " + change.planId().substring(0, 12)
                        + "… was made, so nothing was changed; review the new plan (planId " + planId.substring(0, 12)
                        + "…) and confirm it");
            }
        }

    }

    private long newestAudit() {
        try (org.pcipass.store.Store store = org.pcipass.store.Store.openIfExists(paths.stateDir())) {
            List<AuditEntry> rows = store == null ? List.of() : store.auditLog(null, null, 1);
            return rows.isEmpty() ? 0 : rows.get(0).id();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * Sends the page each audit row written since the last look, oldest first, whoever wrote it (the
     * API or the CLI): checked every two seconds (the store file's time, then its new rows) and at
     * once after each change through the API.
     */
    private synchronized void pollAudit() {
        try {
            Path db = paths.stateDir().resolve(org.pcipass.store.Store.FILE);
            FileTime stamp = Files.exists(db) ? Files.getLastModifiedTime(db) : null;
            if (stamp == null || stamp.equals(auditStamp)) {
                return;
            }
            List<AuditEntry> rows = new ArrayList<>();
            try (org.pcipass.store.Store store = org.pcipass.store.Store.openIfExists(paths.stateDir())) {
                for (int limit = 200; store != null; limit *= 4) { // back to the last row sent, however many came since
                    rows = store.auditLog(null, null, limit);
                    if (rows.size() < limit || rows.get(rows.size() - 1).id() <= lastAudit + 1) {
                        break;
                    }
                }
            }
            for (int i = rows.size() - 1; i >= 0; i--) {
                AuditEntry e = rows.get(i);
                if (e.id() > lastAudit) {
                    broadcast("audit", JsonTree.compact(org.pcipass.cli.AuditCommand.json(e)));
                    log.println(logLine(e)); // a copy for journald, beside the store's
                    lastAudit = e.id();
                }
            }
            auditStamp = stamp; // only once read: a read that failed is tried again at the next look
        } catch (Throwable e) { // even an Error: the scheduled look must go on
            // the store is busy or gone for a moment: the next look sends what it missed
        }
    }

    /** An audit row as one log line: {@code pcipass: audit #7: ops (api 10.0.0.5) hide 0000:09:00.0: done}. */
    static String logLine(AuditEntry e) {
        return "pcipass: audit #" + e.id() + ": " + e.actor() + " (" + e.via() + (e.address() == null ? "" : " "
                + e.address()) + ") " + e.action() + " " + String.join(",", e.devices().stream()
                .map(Object::toString).toList()) + (e.guest() == null ? "" : " guest " + e.guest()) + ": " + e.result()
                + (e.error() == null ? "" : " (" + Requests.oneLine(e.error()) + ")");
    }

    /** Sends an event to every page, on the events thread: a slow page never holds up a change or a refresh. */
    private void broadcast(String event, String data) {
        events.execute(() -> {
            for (SseClient c : clients) {
                try {
                    c.sendEvent(event, data);
                } catch (RuntimeException e) {
                    drop(c);
                }
            }
        });
    }

    private void drop(SseClient c) {
        clients.remove(c);
        listeners.remove(c);
    }

    /** Closes the event streams of tokens that are no longer in the tokens file. */
    private void closeRevoked() {
        listeners.forEach((c, name) -> {
            if (!auth.known(name)) {
                drop(c);
                try {
                    c.close();
                } catch (RuntimeException e) {
                    // gone already
                }
            }
        });
    }

    /** GET /metrics: the host's gauges (from the snapshot and the store) and the server's request metrics. */
    private void metrics(Context ctx) {
        StringBuilder out = new StringBuilder(4096);
        HostWatch.Snapshot s = watch.current();
        Map<String, Long> verdicts = s.verdicts();
        Metrics.help(out, "pcipass_devices", "gauge", "PCI devices by verdict");
        for (String v : List.of("not-endpoint", "host-critical", "group-blocked", "assigned", "no-iommu", "ready",
                "assignable")) {
            Metrics.gauge(out, "pcipass_devices", "verdict=\"" + v + "\"", verdicts.getOrDefault(v, 0L));
        }
        Metrics.help(out, "pcipass_devices_owned", "gauge", "devices a guest owns (pcipass's and other tools')");
        Metrics.gauge(out, "pcipass_devices_owned", null, s.owned());
        var limit = org.pcipass.cli.GuestCli.hotplugLimit(paths.stateDir());
        Instant windowStart = Instant.now().minus(limit.window());
        Map<String, Long> results = Map.of();
        Map<org.pcipass.pci.PciAddress, Integer> hotplugs = Map.of();
        int hidden = 0;
        int assignments = 0;
        try (org.pcipass.store.Store store = org.pcipass.store.Store.openIfExists(paths.stateDir())) {
            if (store != null) {
                hidden = store.hidden().size();
                assignments = store.assignments().size();
                results = store.auditCounts();
                hotplugs = store.hotplugCounts(windowStart);
            }
        }
        Metrics.help(out, "pcipass_hidden_devices", "gauge", "devices pcipass has hidden from the host (its registry)");
        Metrics.gauge(out, "pcipass_hidden_devices", null, hidden);
        Metrics.help(out, "pcipass_assignments", "gauge", "pcipass's assignments of devices to guests");
        Metrics.gauge(out, "pcipass_assignments", null, assignments);
        Metrics.help(out, "pcipass_hotplug_limit", "gauge", "live attaches and detaches allowed per device per window");
        Metrics.gauge(out, "pcipass_hotplug_limit", null, limit.count());
        Metrics.help(out, "pcipass_hotplug_window_seconds", "gauge", "the hotplug limit's window");
        Metrics.gauge(out, "pcipass_hotplug_window_seconds", null, limit.window().toSeconds());
        Metrics.help(out, "pcipass_hotplugs_in_window", "gauge", "live attaches and detaches of a device in the current"
                + " window");
        hotplugs.forEach((d, n) -> Metrics.gauge(out, "pcipass_hotplugs_in_window", "device=\"" + d + "\"", n));
        Metrics.help(out, "pcipass_plans_total", "counter", "changes through the CLI and the API by how they ended"
                + " (the audit log)");
        for (String res : List.of("done", "rolled-back", "rollback-failed", "refused", "failed", "stale")) {
            Metrics.gauge(out, "pcipass_plans_total", "result=\"" + res + "\"", results.getOrDefault(res, 0L));
        }
        Metrics.help(out, "pcipass_snapshot_version", "gauge", "the server's host snapshot, counted up at each change");
        Metrics.gauge(out, "pcipass_snapshot_version", null, s.version());
        Metrics.help(out, "pcipass_event_clients", "gauge", "pages listening to /api/events");
        Metrics.gauge(out, "pcipass_event_clients", null, clients.size());
        metrics.writeRequests(out);
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(out.toString());
    }

    static void json(Context ctx, int status, Object tree) {
        ctx.status(status).contentType(JSON).result(JsonTree.pretty(tree));
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            // stopping a server that did not start
        }
    }

    @Override
    public void close() {
        try {
            // a change through the API finishes first (its journal and audit row with it); then nothing new starts
            if (changes.tryLock(CHANGE_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                changes.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        keepAlive.shutdownNow();
        events.shutdownNow();
        watch.close();
        clients.forEach(c -> {
            try {
                c.close();
            } catch (RuntimeException e) {
                // gone already
            }
        });
        app.stop();
    }

    /**
     * The tokens file, read again when it changes (so {@code pcipass token add} and {@code remove}
     * need no restart). It fails closed: a file that goes missing, turns readable by others, changes
     * owner or is garbled leaves the server with no token at all (every call 401, said in the log)
     * until it is put right. Wrong tokens from one address are answered more slowly: 250 ms more per
     * wrong token in the last minute, at most 5 s; while 8 such answers wait, more are answered 429
     * at once, so that guessing in parallel cannot hold the server's threads. A request with no token
     * at all is not a guess and is answered at once.
     */
    static final class Auth {
        static final int MAX_WAITING = 8;

        private final Path file;
        private final PrintStream log;
        private final Runnable onReload;
        private volatile Tokens tokens;
        private volatile String stamp;
        private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
        private final Map<String, long[]> failures = new ConcurrentHashMap<>(); // address → {count, last ms}

        Auth(Path file, PrintStream log, Runnable onReload) {
            this.file = file;
            this.log = log;
            this.onReload = onReload;
            this.stamp = stamp();
            this.tokens = Tokens.load(file);
            if (tokens.all().isEmpty()) {
                throw new PcipassException.BadInput("the tokens file " + file + " holds no token; add one: pcipass"
                        + " token add NAME --role admin");
            }
        }

        /** What says the file changed: its inode, size, times, mode and owner; null when it cannot be read. */
        private String stamp() {
            try {
                Map<String, Object> a = Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime,mode,uid");
                return a.get("ino") + " " + a.get("size") + " " + a.get("lastModifiedTime") + " " + a.get("ctime") + " "
                        + a.get("mode") + " " + a.get("uid");
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return null;
            }
        }

        private void reloadIfChanged() {
            String now = stamp();
            if (java.util.Objects.equals(now, stamp)) {
                return;
            }
            synchronized (this) {
                if (java.util.Objects.equals(now, stamp)) {
                    return;
                }
                try {
                    tokens = Tokens.load(file);
                    log.println("pcipass: read the tokens file " + file + " again (" + tokens.all().size() + " tokens)");
                } catch (PcipassException e) {
                    tokens = Tokens.none(file);
                    log.println("pcipass: warning: " + e.getMessage() + "; until it is put right no token is accepted");
                }
                stamp = now;
            }
            onReload.run();
        }

        /** Whether a token of this name is in the file as last read. */
        boolean known(String name) {
            return tokens.all().stream().anyMatch(t -> t.name().equals(name));
        }

        /** The token presented, or a 401 (after the delay its address has earned), or a 429 when too many wait. */
        Tokens.Token check(String header, String address) {
            reloadIfChanged();
            String secret = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip()
                    : null;
            Tokens.Token t = secret == null ? null : tokens.authenticate(secret);
            if (t != null) {
                return t;
            }
            if (header == null) { // no token at all is not a guess: a page before its token is pasted
                throw ApiError.of(401, 2, "no token: send Authorization: Bearer SECRET (pcipass token add NAME --role"
                        + " viewer|admin makes one)");
            }
            long now = System.currentTimeMillis();
            long[] f = failures.compute(address, (a, old) -> old == null || now - old[1] > 60_000 ? new long[] {1, now}
                    : new long[] {old[0] + 1, now});
            if (failures.size() > 10_000) {
                failures.entrySet().removeIf(e -> now - e.getValue()[1] > 60_000);
            }
            long delay = Math.min(5_000, (f[0] - 1) * 250);
            if (delay > 0) {
                if (waiting.incrementAndGet() > MAX_WAITING) {
                    waiting.decrementAndGet();
                    throw ApiError.of(429, 2, "too many wrong tokens; wait a minute, then send a token from pcipass"
                            + " token add NAME --role viewer|admin");
                }
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    waiting.decrementAndGet();
                }
            }
            throw ApiError.of(401, 2, "unknown token: the Authorization header names no token in " + file.getFileName()
                    + "; make one with pcipass token add NAME --role viewer|admin");
        }
    }
}
