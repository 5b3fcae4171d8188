package org.pcipass.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.pcipass.PcipassException;
import org.pcipass.host.HostPaths;
import org.pcipass.http.Server;
import org.pcipass.http.Tokens;

/** {@code pcipass serve}: the REST API, the web page, the events and the metrics, until stopped (SIGTERM). */
final class ServeCommand implements Command {
    static final String DEFAULT_LISTEN = "127.0.0.1:7800";
    private static final CommandSpec SPEC = new CommandSpec("serve",
            "Serve the REST API (/api/…), the web page (/), live events (/api/events) and Prometheus metrics"
                    + " (/metrics) until stopped. Every /api/ call needs a bearer token from the tokens file: viewer"
                    + " tokens read, admin tokens also change. Changes go through the same plans, host lock, store"
                    + " and audit log as the CLI's.",
            List.of(CommandSpec.value("--listen", "HOST:PORT", "where to listen (default " + DEFAULT_LISTEN + "; port 0:"
                    + " any free port; [::1]:7800 for IPv6)"),
                    TokenCommand.TOKEN_FILE,
                    CommandSpec.value("--tls-cert", "FILE", "serve HTTPS with this PEM certificate chain"),
                    CommandSpec.value("--tls-key", "FILE", "the certificate's PEM private key (PKCS#8)"),
                    CommandSpec.value("--allow-connect", "URI,...", "libvirt URIs the API's attach and detach may name"
                            + " in \"connect\" (default qemu:///system, xen:///system, xen:///; a URI can run a program"
                            + " or reach another host, so each one is named here)"),
                    CommandSpec.flag("--insecure-listen", "allow plain HTTP on an address other than loopback (tokens"
                            + " then cross the network readable)")),
            null, CommandSpec.Arity.NONE, List.of(
                    "Make a token first: pcipass token add NAME --role admin. The server refuses to start (exit 2)"
                    + " when the tokens file is missing, empty, readable or writable by group or others, owned by"
                    + " another user, or garbled; when it would listen beyond loopback without TLS and without"
                    + " --insecure-listen; and when the port is taken. It prints its address on stderr once it"
                    + " answers."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        return StateDirCheck.Use.READ;
    }

    @Override
    public int run(Args args, Context ctx) {
        // the libraries' log (Jetty's) on stderr from here on: set before the first logger is made
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Server.Options options = options(args, ctx);
        HostPaths paths = ctx.paths(args);
        Server server = Server.start(options, ctx, paths);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "pcipass-serve-stop"));
        ctx.err().println("pcipass: serving " + server.url() + " (tokens from " + options.tokenFile() + "; stop with"
                + " SIGTERM or Ctrl-C)");
        ctx.err().flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The options, checked: exit 2 before anything listens. */
    static Server.Options options(Args args, Context ctx) {
        String listen = args.value("--listen") == null ? DEFAULT_LISTEN : args.value("--listen");
        int colon = listen.lastIndexOf(':');
        String host = colon < 0 ? "" : listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = -1;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            // said below
        }
        if (colon < 0 || host.isEmpty() || port < 0 || port > 65535 || !host.matches("[A-Za-z0-9.:%-]+")) {
            throw new PcipassException.BadInput("--listen '" + org.pcipass.guest.GuestName.printable(listen) + "' is not HOST:PORT; give"
                    + " one such as 127.0.0.1:7800, [::1]:7800 or 0.0.0.0:7800");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new PcipassException.BadInput("--listen host '" + host + "' is not an address of this machine; give"
                    + " an IP address such as 127.0.0.1");
        }
        String cert = args.value("--tls-cert");
        String key = args.value("--tls-key");
        if ((cert == null) != (key == null)) {
            throw new PcipassException.BadInput("--tls-cert and --tls-key go together; give both PEM files, or"
                    + " neither");
        }
        if (!address.isLoopbackAddress() && cert == null && !args.flag("--insecure-listen")) {
            throw new PcipassException.BadInput("--listen " + listen + " is reachable from other machines, and the"
                    + " tokens would cross the network readable: give --tls-cert FILE --tls-key FILE, or"
                    + " --insecure-listen if the network is private");
        }
        Path tokens = TokenCommand.file(args, ctx);
        if (Tokens.load(tokens).all().isEmpty()) { // checked before listening: exit 2 naming the file and the fix
            throw new PcipassException.BadInput("the tokens file " + tokens + " holds no token; add one: pcipass token"
                    + " add NAME --role admin");
        }
        java.util.Set<String> connect = new java.util.TreeSet<>(Server.Options.LOCAL_CONNECT);
        String extra = args.value("--allow-connect");
        if (extra != null) {
            for (String uri : extra.split(",")) {
                if (uri.isBlank()) {
                    continue;
                }
                org.pcipass.guest.LibvirtUri.check(uri.strip());
                connect.add(uri.strip());
            }
        }
        return new Server.Options(host, port, tokens, cert == null ? null : Path.of(cert), key == null ? null
                : Path.of(key), connect);
    }
}
