package org.pcipass.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.pcipass.PcipassException;
import org.pcipass.fleet.Aliases;
import org.pcipass.fleet.DeviceSpecs;
import org.pcipass.guest.GuestName;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciIds;
import org.pcipass.store.DbUrl;
import org.pcipass.store.FleetStore;
import org.pcipass.store.HostInventory;

/**
 * {@code pcipass agent}: publishes this host's PCI functions and NUMA cells to the fleet's PostgreSQL,
 * one transaction per snapshot, then re-scans every interval: a new snapshot when something changed,
 * else a heartbeat alone. A host whose heartbeat is older than three of its intervals is down.
 */
final class AgentCommand implements Command {
    static final int DEFAULT_INTERVAL_S = 10;
    static final int MAX_INTERVAL_S = 86_400;
    /** How long a SIGTERM waits for a publish under way to commit. */
    private static final long STOP_WAIT_S = 30;

    private static final CommandSpec SPEC = new CommandSpec("agent",
            "Publish this host's PCI devices (ids, class, NUMA node, SR-IOV parent, verdict, owner, the device_spec"
                    + " tags they are offered with) to the fleet's PostgreSQL, and keep its heartbeat.",
            List.of(CommandSpec.value("--db", "URL", "the fleet's PostgreSQL: postgresql://USER@HOST:PORT/DB or"
                            + " jdbc:postgresql:... (default env PCIPASS_DB, then db = URL in STATE/pcipass.conf)"),
                    CommandSpec.value("--host-name", "NAME", "the name this host has in the fleet (default host-name ="
                            + " in STATE/pcipass.conf, else its hostname)"),
                    CommandSpec.value("--interval", "SECONDS", "re-scan and heartbeat this often (default "
                            + DEFAULT_INTERVAL_S + "); the host is down after three intervals without one"),
                    CommandSpec.flag("--once", "publish one snapshot (or a heartbeat when nothing changed) and exit"),
                    CommandSpec.value("--spec", "FILE", "Nova device_spec entries as JSON: the devices offered, with"
                            + " their tags (default the device_spec = lines of STATE/pcipass.conf; none: none offered)"),
                    CommandSpec.value("--aliases", "FILE", "Nova alias entries as JSON, checked (default the alias ="
                            + " lines of STATE/pcipass.conf)")),
            null, CommandSpec.Arity.NONE,
            List.of("Each snapshot replaces the host's devices in one transaction: an agent killed mid-publish"
                    + " leaves the previous snapshot whole. Each publish prints one line on stderr. Stop it with"
                    + " SIGTERM or Ctrl-C."));

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
        HostPaths paths = ctx.paths(args);
        FleetConfig config = FleetConfig.of(args, ctx);
        String name = args.value("--host-name") != null ? hostName(args.value("--host-name"), "--host-name", null)
                : hostName(config.hostName(), "host-name = in " + paths.stateDir().resolve(FleetConfig.FILE),
                        paths.configRoot());
        int interval = interval(args.value("--interval"));
        DbUrl db = config.db();
        DeviceSpecs specs = DeviceSpecs.parse(config.specs());
        Aliases.parse(config.aliases()); // checked here: the claims read them
        if (specs.isEmpty()) {
            ctx.err().println("pcipass: agent: no device_spec is configured, so " + name + " offers no device to the"
                    + " fleet; give --spec FILE or write device_spec = {\"vendor_id\": \"10de\"} lines in "
                    + paths.stateDir().resolve(FleetConfig.FILE));
        }
        try (FleetStore fleet = FleetStore.open(db, "pcipass agent " + name)) {
            Loop loop = new Loop(fleet, paths, name, interval, specs, ctx);
            if (args.flag("--once")) {
                loop.tick(true);
                return 0;
            }
            return loop.runUntilStopped();
        }
    }

    /** The agent's state between snapshots: what it published last. */
    private static final class Loop {
        private final FleetStore fleet;
        private final HostPaths paths;
        private final String name;
        private final int interval;
        private final DeviceSpecs specs;
        private final Context ctx;
        private final CountDownLatch stop = new CountDownLatch(1);
        private final CountDownLatch stopped = new CountDownLatch(1);
        private HostInventory last;
        private long snapshot = -1;
        private boolean failing;

        Loop(FleetStore fleet, HostPaths paths, String name, int interval, DeviceSpecs specs, Context ctx) {
            this.fleet = fleet;
            this.paths = paths;
            this.name = name;
            this.interval = interval;
            this.specs = specs;
            this.ctx = ctx;
        }

        int runUntilStopped() {
            Thread hook = new Thread(() -> {
                stop.countDown();
                try {
                    stopped.await(STOP_WAIT_S, TimeUnit.SECONDS); // a publish under way commits first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "pcipass-agent-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                tick(true); // the first snapshot must go through: a wrong URL or login is exit 1 at once
                while (!stop.await(interval, TimeUnit.SECONDS)) {
                    tick(false);
                }
                ctx.err().println("pcipass: agent: " + name + " stopped after snapshot " + snapshot);
                return 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            } finally {
                stopped.countDown();
            }
        }

        /** One scan: a snapshot when it differs from the last one published, else a heartbeat. */
        void tick(boolean first) {
            try {
                HostInventory now = AgentInventory.of(scan(), name, interval, Main.VERSION, specs);
                if (now.equals(last) && fleet.heartbeat(name, interval, snapshot)) {
                    recovered();
                    return;
                }
                FleetStore.Published p = fleet.publish(now);
                last = now;
                snapshot = p.snapshot();
                recovered();
                ctx.err().println("pcipass: agent: " + p.host() + " snapshot " + p.snapshot()
                        + (p.changed() ? " published" : " unchanged (heartbeat)") + ": " + p.devices() + " devices, "
                        + p.offered() + " offered");
                ctx.err().flush();
            } catch (PcipassException e) {
                if (first) {
                    throw e;
                }
                if (!failing) { // once per outage, not once per interval
                    ctx.err().println("pcipass: agent: " + e.getMessage() + "; trying again every " + interval + " s");
                    ctx.err().flush();
                }
                failing = true;
            }
        }

        private void recovered() {
            if (failing) {
                ctx.err().println("pcipass: agent: " + name + " reaches the fleet's database again");
                failing = false;
            }
        }

        private HostSnapshot scan() {
            return HostSnapshot.scan(paths, PciIds::empty); // the fleet needs ids, not names
        }
    }

    /** {@code --host-name} or {@code host-name =}, else the host's name ({@code proc/sys/kernel/hostname}, then {@code etc/hostname}). */
    static String hostName(String given, Path root) {
        return hostName(given, "--host-name (or host-name = in pcipass.conf)", root);
    }

    /** {@code given} (null: none), which came from {@code where}; else the host's own name. */
    static String hostName(String given, String where, Path root) {
        if (given != null) {
            return checkName(given, where);
        }
        for (String file : List.of("proc/sys/kernel/hostname", "etc/hostname")) {
            try {
                String text = Files.readString(root.resolve(file)).strip();
                if (!text.isEmpty()) {
                    return checkName(text, root.resolve(file).toString());
                }
            } catch (IOException | RuntimeException e) {
                // the next one
            }
        }
        throw new PcipassException.BadInput("cannot tell this host's name (no " + root.resolve("etc/hostname")
                + "); give --host-name NAME");
    }

    private static String checkName(String name, String where) {
        if (name.isEmpty() || name.length() > 255 || !name.matches("[\\p{Graph}&&[^'\"\\\\]]+")) {
            throw new PcipassException.BadInput(where + " '" + GuestName.printable(name) + "' is not a host name:"
                    + " give 1 to 255 printable characters without spaces or quotes, e.g. compute-01");
        }
        return name;
    }

    static int interval(String given) {
        if (given == null) {
            return DEFAULT_INTERVAL_S;
        }
        try {
            int s = Integer.parseInt(given.strip());
            if (s >= 1 && s <= MAX_INTERVAL_S) {
                return s;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new PcipassException.BadInput("--interval '" + GuestName.printable(given) + "' is not a whole number"
                + " of seconds from 1 to " + MAX_INTERVAL_S + "; give e.g. --interval " + DEFAULT_INTERVAL_S);
    }
}
