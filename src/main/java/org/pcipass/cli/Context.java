package org.pcipass.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import org.pcipass.guest.GuestBackends;
import org.pcipass.host.CommandRunner;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciIdsLoader;
import org.pcipass.plan.Persistence;
import org.pcipass.sysfs.KernelWriter;

/**
 * What a command runs against: its streams, environment, the host-command runner, the kernel writer,
 * the hypervisor backends, the clock (the hotplug guard's window) and the caller (the audit log's actor).
 */
public record Context(PrintStream out, PrintStream err, Map<String, String> env, CommandRunner runner,
        KernelWriter kernel, GuestBackends backends, Clock clock, Caller caller) {

    public Context(PrintStream out, PrintStream err, Map<String, String> env, CommandRunner runner) {
        this(out, err, env, runner, KernelWriter.REAL);
    }

    public Context(PrintStream out, PrintStream err, Map<String, String> env, CommandRunner runner,
            KernelWriter kernel) {
        this(out, err, env, runner, kernel, GuestBackends.real(runner), Clock.systemUTC(), Caller.cli(env));
    }

    /** The same context with other hypervisor backends (tests: fakes). */
    public Context withBackends(GuestBackends b) {
        return new Context(out, err, env, runner, kernel, b, clock, caller);
    }

    public Context withClock(Clock c) {
        return new Context(out, err, env, runner, kernel, backends, c, caller);
    }

    /** The same context for another caller (the API server: a token) and other streams. */
    public Context withCaller(Caller c, PrintStream o, PrintStream e) {
        return new Context(o, e, env, runner, kernel, backends, clock, c);
    }

    HostPaths paths(Args args) {
        return GlobalOptions.resolve(args.globals, env);
    }

    /** Scans the host named by the options, printing pci.ids warnings to stderr. */
    HostSnapshot scan(Args args) {
        HostPaths paths = paths(args);
        return HostSnapshot.scan(paths, () -> PciIdsLoader.load(paths.pciIds(), w -> err.println("pcipass: warning: " + w)));
    }

    /** How this host persists hides (modprobe configuration under the config root). */
    Persistence persistence(HostSnapshot host) {
        return new org.pcipass.persist.ModprobePersistence(host);
    }
}
