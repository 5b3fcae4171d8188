package org.pcipass.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs host commands (xl, modprobe). One injectable seam, so tests can play a command this machine
 * does not have (there is no Xen hypervisor here).
 */
public interface CommandRunner {
    /** What a command printed and how it exited; exit -1 when it could not be started. */
    record Result(int exitCode, String stdout, String stderr) {}

    Result run(List<String> argv);

    /** Whether {@code program} can be run (on PATH, or an absolute path). */
    boolean available(String program);

    /** Runs real processes, with a time limit. */
    CommandRunner SYSTEM = new CommandRunner() {
        @Override
        public Result run(List<String> argv) {
            try {
                Process p = new ProcessBuilder(argv).redirectErrorStream(false).start();
                p.getOutputStream().close();
                byte[] out = readAll(p.getInputStream());
                byte[] err = readAll(p.getErrorStream());
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, "", argv.get(0) + " did not finish in 30 s");
                }
                return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                        new String(err, StandardCharsets.UTF_8));
            } catch (IOException e) {
                return new Result(-1, "", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(-1, "", "interrupted");
            }
        }

        private byte[] readAll(InputStream in) throws IOException {
            try (in) {
                return in.readAllBytes();
            }
        }

        @Override
        public boolean available(String program) {
            if (program.contains("/")) {
                return Files.isExecutable(Path.of(program));
            }
            String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                    return true;
                }
            }
            return false;
        }
    };
}
