package org.pcipass.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * pcipass in a separate OS process against the {@link KernelSim kernel simulator}:
 * {@code java -cp <this JVM's class path> org.pcipass.testing.SimMain ARGS...}. Stdout and stderr
 * are drained on background threads (the child never blocks on a full pipe) and can be read at any
 * time; {@link #kill()} sends SIGKILL, so a test can interrupt a plan the way a power cut or OOM
 * kill would. Under surefire, {@code java.class.path} in the forked JVM is the full test class
 * path (surefire puts it back there; its manifest-only booter jar is in
 * {@code surefire.real.class.path}, and would work too: a {@code -cp} jar's manifest Class-Path is
 * honoured). KernelSimChildProcessTest runs this under surefire.
 *
 * <pre>
 * try (ChildPcipass p = ChildPcipass.start(Map.of(), "list", "--json", "--sysfs", sys, "--config-root", root)) {
 *     ChildPcipass.Outcome o = p.waitFor(Duration.ofSeconds(60));
 * }
 * </pre>
 */
public final class ChildPcipass implements AutoCloseable {
    /** How a finished child ended. Killed by SIGKILL: exit code 137. */
    public record Outcome(int exitCode, String stdout, String stderr) {
    }

    /** Exit status of a process killed by SIGKILL (128 + 9). */
    public static final int SIGKILL_EXIT = 137;

    private static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto", "-Djava.awt.headless=true");

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outReader;
    private final Thread errReader;

    private ChildPcipass(Process process) {
        this.process = process;
        this.outReader = drain(process.getInputStream(), out, "stdout");
        this.errReader = drain(process.getErrorStream(), err, "stderr");
    }

    /** Starts {@code SimMain ARGS}. */
    public static ChildPcipass start(String... args) {
        return start(Map.of(), args);
    }

    /** Starts {@code SimMain ARGS} with extra environment variables (a null value removes one). */
    public static ChildPcipass start(Map<String, String> env, String... args) {
        return startMain(SimMain.class, env, List.of(args));
    }

    /** Starts any main class of the test class path, e.g. {@code KernelSimCli}. */
    public static ChildPcipass startMain(Class<?> mainClass, Map<String, String> env, List<String> args) {
        return startUnder(List.of(), mainClass, env, args);
    }

    /**
     * Starts {@code mainClass} under a launcher, e.g. {@code prlimit --fsize=2000 --} (a file-size
     * limit makes the child's writes past it fail with EFBIG, as a full disk would).
     */
    public static ChildPcipass startUnder(List<String> launcher, Class<?> mainClass, Map<String, String> env,
            List<String> args) {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(command(mainClass, args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            return new ChildPcipass(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts SimMain, waits for it (killing it and failing after {@code timeout}). */
    public static Outcome run(Duration timeout, Map<String, String> env, String... args) {
        try (ChildPcipass p = start(env, args)) {
            return p.waitFor(timeout);
        }
    }

    /** The child's command line: this JVM's java, its class path, {@code mainClass}, {@code args}. */
    public static List<String> command(Class<?> mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What the child printed on stdout so far. */
    public String stdout() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** What the child printed on stderr so far. */
    public String stderr() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits for the child to exit; after {@code timeout} kills it and throws an AssertionError with its output. */
    public Outcome waitFor(Duration timeout) {
        if (!finishedWithin(timeout)) {
            Outcome o = kill();
            throw new AssertionError("child pcipass did not finish in " + timeout + "; killed. stdout:\n"
                    + o.stdout() + "\nstderr:\n" + o.stderr());
        }
        return outcome();
    }

    /** True when the child exited within {@code timeout}. */
    public boolean finishedWithin(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Waits until stdout or stderr contains {@code text} (true) or the child exits or time runs out (false). */
    public boolean awaitOutput(String text, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (stdout().contains(text) || stderr().contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                joinReaders();
                return stdout().contains(text) || stderr().contains(text);
            }
            KernelSimWrites.sleep(10);
        }
        return false;
    }

    /**
     * Kills the child with SIGKILL ({@link Process#destroyForcibly()} on Linux) and waits for it.
     * When the child was still running, its exit status must then be 137 (else IllegalStateException).
     */
    public Outcome kill() {
        boolean wasAlive = process.isAlive();
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("child " + pid() + " survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Outcome o = outcome();
        if (wasAlive && o.exitCode() != SIGKILL_EXIT) {
            throw new IllegalStateException("child " + pid() + " was not ended by SIGKILL: exit " + o.exitCode());
        }
        return o;
    }

    /** Kills the child if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private Outcome outcome() {
        joinReaders();
        return new Outcome(process.exitValue(), stdout(), stderr());
    }

    private void joinReaders() {
        try {
            outReader.join(10_000);
            errReader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream sink, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    synchronized (sink) {
                        sink.write(buf, 0, n);
                    }
                }
            } catch (IOException closed) {
                // the child is gone
            }
        }, "child-pcipass-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
