package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.pcipass.cli.Cli;

class ShellWordTest {
    @Test
    void plainWordsStayAsTheyAre() {
        for (String w : List.of("vm1", "web-01.example", "a_b+c", "pci_0000_09_00_0", "hostdev-0000_09_00_0.xml",
                "0000:09:00.0", "--live")) {
            assertThat(ShellWord.quote(w)).isEqualTo(w);
        }
    }

    @Test
    void anythingElseIsSingleQuotedWithQuotesClosedEscapedAndReopened() {
        assertThat(ShellWord.quote("a b")).isEqualTo("'a b'");
        assertThat(ShellWord.quote("$(reboot)")).isEqualTo("'$(reboot)'");
        assertThat(ShellWord.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ShellWord.quote("a;b\nc")).isEqualTo("'a;b\nc'");
        assertThat(ShellWord.quote("")).isEqualTo("''");
        assertThat(ShellWord.quote("~root")).isEqualTo("'~root'");
        assertThat(ShellWord.quote("*")).isEqualTo("'*'");
    }

    /** The shell itself reads each quoted word back as exactly one argument, byte for byte. */
    @Property(tries = 60)
    void shReadsTheWordBack(@ForAll @StringLength(max = 40) @CharRange(from = 1, to = 126)
            @Chars({'\u00e9', '\u2014'}) String word) throws Exception {
        assumeThat(Cli.CI || Files.isExecutable(Path.of("/bin/sh"))).as("/bin/sh (required under CI=true)").isTrue();
        Process p = new ProcessBuilder("/bin/sh", "-c", "set -- " + ShellWord.quote(word) + "; printf '%s|%s' \"$#\" \"$1\"")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertThat(out).isEqualTo("1|" + word);
    }
}
