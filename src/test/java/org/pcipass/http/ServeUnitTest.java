package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;

/** The systemd unit in contrib/systemd: systemd accepts it, and pcipass accepts the options it starts the server with. */
class ServeUnitTest {
    static final Path UNIT = Path.of("contrib/systemd/pcipass-serve.service");

    @TempDir
    Path tmp;

    private static String execStart() throws Exception {
        return Files.readAllLines(UNIT).stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow()
                .substring("ExecStart=".length());
    }

    @Test
    void systemdAcceptsTheUnit() throws Exception {
        Path copy = tmp.resolve("pcipass-serve.service");
        Files.copy(UNIT, copy);
        Process p = new ProcessBuilder("systemd-analyze", "verify", copy.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).as("no warning about the unit").doesNotContain("pcipass-serve.service:");
    }

    @Test
    void theServerOptionsOfTheUnitAreOnesPcipassTakes() throws Exception {
        List<String> words = Arrays.asList(execStart().split(" +"));
        assertThat(words.get(0)).isEqualTo("/usr/bin/java");
        assertThat(words).contains("-Xmx128m");
        List<String> args = new ArrayList<>(words.subList(words.indexOf("-jar") + 2, words.size()));
        assertThat(args.get(0)).isEqualTo("serve");
        assertThat(args).contains("--listen", "127.0.0.1:7800");
        int state = args.indexOf("--state-dir");
        args.set(state + 1, tmp.resolve("state").toString()); // the unit's own state dir, /var/lib/pcipass, is not ours
        args.addAll(List.of("--sysfs", tmp.toString()));
        // every option is taken: the first complaint is the tokens file, which is checked last before listening
        Cli.Result r = Cli.exec(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(tmp.resolve("state").resolve("tokens").toString()).contains("pcipass token add");
    }
}
