package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./pcipass} wrapper's first-use build on a fresh checkout, with stderr not a terminal:
 * it says what it builds and prints no raw colour escapes (issue 9: Maven 3.8's {@code ESC[0m}
 * resets). To stay cheap (~5 s instead of a full rebuild of pcipass inside the test run), it runs
 * the real wrapper and the real pom.xml on a copy whose only source is a one-class stand-in for
 * {@code org.pcipass.cli.Main}: what is tested is the wrapper's Maven invocation, not pcipass.
 */
class WrapperBuildTest {
    @TempDir
    Path tmp;

    @Test
    void theFirstUseBuildPrintsItsLineAndNoColourEscapes() throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        assertThat(repo.resolve("pcipass")).as("run from the repository root").exists();
        assumeThat(Cli.CI || onPath("mvn")).as("mvn on PATH (required under CI=true)").isTrue();
        Path copy = Files.createDirectories(tmp.resolve("checkout"));
        Files.copy(repo.resolve("pcipass"), copy.resolve("pcipass"));
        Files.copy(repo.resolve("pom.xml"), copy.resolve("pom.xml"));
        Path main = Files.createDirectories(copy.resolve("src/main/java/org/pcipass/cli")).resolve("Main.java");
        Files.writeString(main, """
                package org.pcipass.cli;

                public final class Main {
                    public static void main(String[] args) {
                        System.out.println("stand-in " + String.join(" ", args));
                    }
                }
                """);
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder("bash", copy.resolve("pcipass").toString(), "--version")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the wrapper finished").isTrue();
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(stderr).isZero();
        assertThat(Files.readString(out)).isEqualTo("stand-in --version\n");
        assertThat(stderr).startsWith("pcipass: building " + copy.resolve("target/pcipass.jar")
                + " (mvn package, tests skipped)...\n").doesNotContain("\u001b");
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
