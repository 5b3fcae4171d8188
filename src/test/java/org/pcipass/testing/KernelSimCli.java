package org.pcipass.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.pcipass.host.CommandRunner;

/**
 * A shell onto the {@link KernelSim kernel simulator} for another process (tests start it with
 * {@link ChildPcipass#startMain}) or a person poking at a fake host:
 * <pre>
 * KernelSimCli SYSFS CONFIGROOT write PATH VALUE     like echo -n VALUE > PATH; exit 1 + strerror on stderr
 * KernelSimCli SYSFS CONFIGROOT run ARGV...          a command (modprobe); its output and exit code
 * KernelSimCli SYSFS CONFIGROOT driver ADDRESS       prints the bound driver or "-"
 * </pre>
 */
public final class KernelSimCli {
    private KernelSimCli() {
    }

    public static void main(String[] args) {
        KernelSimWrites.haltOnCrash();
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: KernelSimCli SYSFS CONFIGROOT write PATH VALUE | run ARGV... | driver ADDRESS");
            return 2;
        }
        KernelSim sim = new KernelSim(Path.of(args[0]), Path.of(args[1]));
        List<String> rest = Arrays.asList(args).subList(3, args.length);
        switch (args[2]) {
            case "write" -> {
                try {
                    sim.write(Path.of(rest.get(0)), rest.size() > 1 ? rest.get(1) : "");
                    return 0;
                } catch (IOException e) {
                    System.err.println("KernelSimCli: " + e.getMessage());
                    return 1;
                }
            }
            case "run" -> {
                CommandRunner.Result r = sim.run(rest);
                System.out.print(r.stdout());
                System.err.print(r.stderr());
                return r.exitCode();
            }
            case "driver" -> {
                String d = sim.driverOf(rest.get(0));
                System.out.println(d == null ? "-" : d);
                return 0;
            }
            default -> {
                System.err.println("KernelSimCli: unknown action " + args[2]);
                return 2;
            }
        }
    }
}
