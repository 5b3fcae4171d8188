package org.pcipass.testing;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.pcipass.cli.Context;
import org.pcipass.cli.Main;
import org.pcipass.host.CommandRunner;
import org.pcipass.sysfs.KernelWriter;

/**
 * {@code org.pcipass.cli.Main} against the {@link KernelSim kernel simulator}: runs pcipass exactly
 * as its own main does, but every sysfs write and every host command (modprobe) goes to a
 * KernelSim on the {@code --sysfs} and {@code --config-root} trees named on the command line
 * ({@code --opt VALUE} or {@code --opt=VALUE}, anywhere, the last one winning, as pcipass reads
 * them) or by {@code PCIPASS_SYSFS} / {@code PCIPASS_CONFIG_ROOT}. Start it in a child process
 * with {@link ChildPcipass}. {@code PCIPASS_FAKE_XL} and {@code PCIPASS_FAKE_LIBVIRT} put the fake xl and
 * the fake libvirt on their directories (FakeXl, FakeLibvirt). Without a simulated tree nothing is ever written: a write throws and
 * every command exits 127 (pcipass itself reports the bad option first).
 */
public final class SimMain {
    private SimMain() {
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        Map<String, String> env = System.getenv();
        KernelWriter kernel;
        CommandRunner runner;
        KernelSim sim = simulator(args, env);
        if (sim != null) {
            KernelSimWrites.haltOnCrash();
            kernel = sim;
            runner = sim;
        } else {
            kernel = (file, value) -> {
                throw new IllegalStateException("SimMain: no simulated sysfs; refusing to write " + file);
            };
            runner = NO_COMMANDS;
        }
        runner = FakeXl.fromEnvironment(env, runner);
        Context ctx = new Context(out, System.err, env, runner, kernel);
        FakeLibvirt libvirt = FakeLibvirt.fromEnvironment(env);
        if (libvirt != null) {
            ctx = ctx.withBackends(withFakeLibvirt(ctx.backends(), libvirt.backends()));
        }
        int code = Main.run(args, ctx);
        out.flush();
        System.exit(code);
    }

    /** libvirt from the fake, xl (the fake xl, if any, is in the runner) as in a real run. */
    private static org.pcipass.guest.GuestBackends withFakeLibvirt(org.pcipass.guest.GuestBackends real,
            org.pcipass.guest.GuestBackends fake) {
        return new org.pcipass.guest.GuestBackends() {
            @Override
            public org.pcipass.guest.GuestBackend open(String backend, String uri) {
                return backend.equals(LIBVIRT) ? fake.open(backend, uri) : real.open(backend, uri);
            }

            @Override
            public boolean xlAnswers() {
                return real.xlAnswers();
            }
        };
    }

    /** A KernelSim on the trees the command line or environment names, or null when they are not both directories. */
    static KernelSim simulator(String[] args, Map<String, String> env) {
        String sysfs = option(args, "--sysfs", env.get("PCIPASS_SYSFS"));
        String root = option(args, "--config-root", env.get("PCIPASS_CONFIG_ROOT"));
        if (sysfs == null || root == null || sysfs.isBlank() || root.isBlank()) {
            return null;
        }
        Path s = Path.of(sysfs);
        Path r = Path.of(root);
        return Files.isDirectory(s) && Files.isDirectory(r) ? new KernelSim(s, r) : null;
    }

    /** The last value of {@code name} in argv (before a {@code --}), else {@code fallback}. */
    static String option(String[] args, String name, String fallback) {
        String value = fallback;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            if (a.equals(name) && i + 1 < args.length) {
                value = args[++i];
            } else if (a.startsWith(name + "=")) {
                value = a.substring(name.length() + 1);
            }
        }
        return value;
    }

    private static final CommandRunner NO_COMMANDS = new CommandRunner() {
        @Override
        public Result run(List<String> argv) {
            return new Result(127, "", "SimMain: no simulated host for " + String.join(" ", argv) + "\n");
        }

        @Override
        public boolean available(String program) {
            return false;
        }
    };
}
