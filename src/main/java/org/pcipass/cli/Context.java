package org.pcipass.cli;

import java.io.PrintStream;
import java.util.Map;
import org.pcipass.host.CommandRunner;
import org.pcipass.host.HostPaths;
import org.pcipass.host.HostSnapshot;
import org.pcipass.pci.PciIdsLoader;

/** What a command runs against: its streams, environment and the host-command runner. */
public record Context(PrintStream out, PrintStream err, Map<String, String> env, CommandRunner runner) {

    /** Scans the host named by the options, printing pci.ids warnings to stderr. */
    HostSnapshot scan(HostPaths paths) {
        return HostSnapshot.scan(paths, () -> PciIdsLoader.load(paths.pciIds(), w -> err.println("pcipass: warning: " + w)));
    }
}
