package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.pcipass.cli.Cli;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * Through the commands themselves: for generated /etc/modprobe.conf files on a RHEL 5 root,
 * {@code hide --persist} keeps every line outside pcipass's block, and {@code unhide --persist}
 * restores the file byte for byte. (The persist layer's own properties cover far more shapes, faster.)
 */
class PersistRoundTripPropertiesTest {
    private static Path dir;
    private static FakeHost host;
    private static KernelSim sim;

    @BeforeContainer
    static void buildHost() throws IOException {
        dir = Files.createTempDirectory("pcipass-persist-prop");
        host = HostTrees.rhel5Root(dir.resolve("h"));
        sim = new KernelSim(host.sysfs(), host.configRoot());
    }

    @AfterContainer
    static void removeHost() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Cli.Result run(String... args) {
        List<String> a = new java.util.ArrayList<>(List.of(args));
        a.addAll(List.of("--sysfs", host.sysfs().toString(), "--config-root", host.configRoot().toString(),
                "--state-dir", dir.resolve("state").toString()));
        Cli.Result r = new Cli().kernel(sim).runner(sim).run(a.toArray(String[]::new));
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isZero();
        return r;
    }

    @Property(tries = 40)
    void hideKeepsEveryOtherLineAndUnhideRestoresTheBytes(@ForAll("modprobeConfs") String original) throws Exception {
        Path conf = host.configRoot().resolve("etc/modprobe.conf");
        Files.writeString(conf, original, StandardCharsets.UTF_8);
        run("hide", HostTrees.R5_BNX2, "--persist");
        String hidden = Files.readString(conf, StandardCharsets.UTF_8);
        int begin = hidden.indexOf("# BEGIN pcipass");
        int end = hidden.indexOf("# END pcipass") + "# END pcipass".length();
        assertThat(begin).isNotNegative();
        String outside = hidden.substring(0, begin) + hidden.substring(Math.min(end + 1, hidden.length()));
        assertThat(outside.lines().filter(l -> !l.isEmpty()).toList())
                .isEqualTo(original.lines().filter(l -> !l.isEmpty()).toList());
        assertThat(hidden.substring(begin, end)).isEqualTo("# BEGIN pcipass\n"
                + "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2\n"
                + "options pciback hide=(0000:09:00.0)\n# END pcipass");
        run("unhide", HostTrees.R5_BNX2, "--persist");
        assertThat(Files.readAllBytes(conf)).isEqualTo(original.getBytes(StandardCharsets.UTF_8));
        assertThat(sim.driverOf(HostTrees.R5_BNX2)).isEqualTo("bnx2");
    }

    @Provide
    Arbitrary<String> modprobeConfs() {
        Arbitrary<String> line = Arbitraries.oneOf(
                Arbitraries.of("# comment", "#", "", "   ", "alias eth0 e1000e", "alias scsi_hostadapter ata_piix",
                        "options snd-hda-intel index=0", "install usb-storage /bin/true", "blacklist nouveau",
                        "remove snd-hda-intel /sbin/modprobe -r --ignore-remove snd-hda-intel", "# café ☃ 日本語"),
                Arbitraries.strings().withCharRange('a', 'z').withChars(' ', '=', '#').ofMaxLength(20)
                        .map(s -> "# " + s));
        Arbitrary<String> terminator = Arbitraries.of("\n", "\n", "\r\n");
        return Combinators.combine(Combinators.combine(line, terminator).as(String::concat).list().ofMaxSize(10),
                line, Arbitraries.of(true, false)).as((body, last, open) -> String.join("", body) + (open ? last : ""));
    }
}
