package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.HostTrees;

/**
 * A hostile {@code --guest} never reaches a format: exit 2 with one line naming it and the rule, nothing
 * on stdout, for every format, before anything else is looked at (the host, the state dir, the format).
 */
class ConfigHostileGuestTest {
    static final List<String> FORMATS = List.of("modprobe", "cmdline", "libvirt", "nodedev", "virsh", "virt-install",
            "xl", "xl-attach");
    static final List<String> HOSTILE = List.of("vm'1", "vm\"1", "a<b>", "a&b", "vm1;reboot", "$(reboot)", "`id`",
            "vm1\nname", "vm1\r", "a".repeat(300), "-vm", "", "vm 1", "vm/../etc", "gäst", "vm1\u0000");
    static final String RULE = "; a guest name is 1-64 characters of A-Z a-z 0-9 _ . + - and does not start with -\n";

    @TempDir
    Path tmp;

    @Test
    void everyFormatRefusesEveryHostileNameBeforeLookingAtAnythingElse() throws Exception {
        Path notADir = Files.writeString(tmp.resolve("state-is-a-file"), "x");
        for (String format : FORMATS) {
            for (String guest : HOSTILE) {
                Cli.Result r = Cli.exec("config", "09:00.0", "--format", format, "--guest", guest,
                        "--sysfs", tmp.resolve("no-such-sysfs").toString(), "--state-dir", notADir.toString(),
                        "--pci-ids", tmp.resolve("no-such.ids").toString());
                String what = format + " with " + guest.replace("\n", "\\n");
                assertThat(r.exitCode()).as(what).isEqualTo(2);
                assertThat(r.out()).as(what).isEmpty();
                assertThat(r.err()).as(what).startsWith("pcipass: guest name '").endsWith(RULE);
                assertThat(r.errLines()).as(what).hasSize(1);
            }
        }
    }

    @Test
    void theMessageNamesTheNameAndWhatIsWrongWithIt() {
        assertThat(refusal("vm1\n$(reboot)")).isEqualTo("pcipass: guest name 'vm1\\x0a$(reboot)' holds the control"
                + " character U+000A" + RULE);
        assertThat(refusal("it's")).isEqualTo("pcipass: guest name 'it's' holds a quote (')" + RULE);
        assertThat(refusal("a<b")).isEqualTo("pcipass: guest name 'a<b' holds '<'" + RULE);
        assertThat(refusal("x".repeat(300))).isEqualTo("pcipass: guest name '" + "x".repeat(80) + "…' is 300"
                + " characters long" + RULE);
        assertThat(refusal("")).isEqualTo("pcipass: guest name '' is empty" + RULE);
    }

    private Cli.Result on(String... args) {
        return ShowGroupsCheckTest.on(HostTrees.xenDom0(tmp.resolve("x" + System.nanoTime())), args);
    }

    private String refusal(String guest) {
        Cli.Result r = Cli.exec("config", "09:00.0", "--format", "virsh", "--guest", guest);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        return r.err();
    }

    @Test
    void aGoodNameIsUsedWhereTheFormatTakesOneAndHarmlessElsewhere() {
        String name = "web-01.prod_2+a";
        assertThat(on("config", "09:00.0", "--format", "xl-attach", "--guest", name).out())
                .isEqualTo("xl pci-attach web-01.prod_2+a 0000:09:00.0\n");
        assertThat(on("config", "09:00.0", "--format", "virsh", "--guest", name).out())
                .endsWith("virsh attach-device web-01.prod_2+a hostdev-0000_09_00_0.xml --live --config\n");
        for (String format : List.of("modprobe", "cmdline", "libvirt", "nodedev", "virt-install", "xl")) {
            Cli.Result r = on("config", "09:00.0", "--format", format, "--guest", name);
            assertThat(r.exitCode()).as(format + ": " + r.err()).isZero();
            assertThat(r.out()).as(format).doesNotContain(name);
        }
    }
}
