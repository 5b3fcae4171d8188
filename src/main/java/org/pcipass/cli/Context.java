package org.pcipass.cli;

import java.io.PrintStream;
import java.util.Map;
import org.pcipass.host.CommandRunner;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciIdsLoader;

/** What a command runs against: its streams, environment and the host-command runner. */
public record Context(PrintStream out, PrintStream err, Map<String, String> env, CommandRunner runner) {

    HostPaths paths(Args args) {
        return GlobalOptions.resolve(args.globals, env);
    }

    /** Scans the host named by the options, printing pci.ids warnings to stderr. */
    HostSnapshot scan(Args args) {
        HostPaths paths = paths(args);
        return HostSnapshot.scan(paths, () -> PciIdsLoader.load(paths.pciIds(), w -> err.println("pcipass: warning: " + w)));
    }
}
