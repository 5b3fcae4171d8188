package org.pcipass.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pcipass.host.CommandRunner;
import org.pcipass.sysfs.KernelWriter;

/** Runs pcipass in this JVM with captured output, an explicit environment and command runner. */
public final class Cli {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Under CI=true no test may skip for a missing tool or a missing part of the machine. */
    public static final boolean CI = "true".equals(System.getenv("CI"));

    private final Map<String, String> env = new HashMap<>();
    private CommandRunner runner = CommandRunner.SYSTEM;
    private KernelWriter kernel = KernelWriter.REAL;
    private org.pcipass.guest.GuestBackends backends;
    private java.time.Clock clock;

    /** Hypervisor backends for the guest commands (tests: fakes); the real ones otherwise. */
    public Cli backends(org.pcipass.guest.GuestBackends b) {
        this.backends = b;
        return this;
    }

    /** The clock the hotplug guard counts with. */
    public Cli clock(java.time.Clock c) {
        this.clock = c;
        return this;
    }

    public Cli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public Cli runner(CommandRunner r) {
        this.runner = r;
        return this;
    }

    /** Plays the kernel for sysfs writes (the kernel simulator); the real writer otherwise. */
    public Cli kernel(KernelWriter k) {
        this.kernel = k;
        return this;
    }

    public Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        Context ctx = new Context(o, e, Map.copyOf(env), runner, kernel);
        if (backends != null) {
            ctx = ctx.withBackends(backends);
        }
        if (clock != null) {
            ctx = ctx.withClock(clock);
        }
        int code = Main.run(args, ctx);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public static Result exec(String... args) {
        return new Cli().run(args);
    }

    public record Result(int exitCode, String out, String err) {
        public JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON (exit " + exitCode + ", stderr: " + err + "): " + out, e);
            }
        }

        public List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }
}
