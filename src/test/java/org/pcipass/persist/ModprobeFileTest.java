package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;

class ModprobeFileTest {
    private static final String F = "/etc/modprobe.conf";
    private static final List<String> SEED = List.of(
            "install bnx2 /sbin/modprobe pciback; /sbin/modprobe --first-time --ignore-install bnx2",
            "options pciback hide=(0000:09:00.0)");
    private static final String SEED_BLOCK = "# BEGIN pcipass\n" + SEED.get(0) + "\n" + SEED.get(1) + "\n# END pcipass";

    private static String hide(String text) {
        return ModprobeFile.parse(F, text).withBlock(SEED);
    }

    private static String unhide(String text) {
        return ModprobeFile.parse(F, text).withBlock(List.of());
    }

    @Test
    void theBlockIsAppendedAfterAFinalNewline() {
        String original = "alias eth0 bnx2\n# a comment\n";

        assertThat(hide(original)).isEqualTo(original + SEED_BLOCK + "\n");
        assertThat(unhide(hide(original))).isEqualTo(original);
    }

    @Test
    void withoutAFinalNewlineTheBlockEndsWithoutOneAndUnhideRestoresTheBytes() {
        String original = "alias eth0 bnx2\r\noptions bnx2 disable_msi=1";

        assertThat(hide(original)).isEqualTo(original + "\n" + SEED_BLOCK);
        assertThat(unhide(hide(original))).isEqualTo(original);
    }

    @Test
    void anEmptyFileGetsTheBlockAloneAndReturnsToEmpty() {
        assertThat(hide("")).isEqualTo(SEED_BLOCK + "\n");
        assertThat(unhide(hide(""))).isEmpty();
    }

    @Test
    void aLastLineEndingInABackslashKeepsItsMeaning() {
        String original = "options e1000 InterruptThrottleRate=3000 \\\n";

        assertThat(hide(original)).isEqualTo(SEED_BLOCK + "\n" + original);
        assertThat(unhide(hide(original))).isEqualTo(original);
    }

    @Test
    void anExistingBlockIsReplacedInPlaceAndEverythingElseKept() {
        String original = "# top\r\n# BEGIN pcipass\noptions pciback hide=(0000:01:00.0)\n# END pcipass\r\nalias x y\n";

        assertThat(hide(original)).isEqualTo("# top\r\n" + SEED_BLOCK + "\nalias x y\n");
        assertThat(unhide(original)).isEqualTo("# top\r\nalias x y\n");
    }

    @Test
    void rewritingTheSameBlockChangesNothing() {
        String once = hide("alias eth0 bnx2\n");

        assertThat(hide(once)).isEqualTo(once);
        assertThat(ModprobeFile.parse(F, once).blockBody()).isEqualTo(SEED);
    }

    @Test
    void aFileWithoutABlockIsUnchangedByAnEmptyBlock() {
        assertThat(unhide("options bnx2 x=1")).isEqualTo("options bnx2 x=1");
    }

    @Test
    void aBeginWithoutAnEndIsBadInputNamingTheLine() {
        assertThatThrownBy(() -> ModprobeFile.parse(F, "alias a b\n# BEGIN pcipass\noptions pciback hide=(0000:09:00.0)\n"))
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessage("/etc/modprobe.conf line 2 has \"# BEGIN pcipass\" but no \"# END pcipass\" after it;"
                        + " pcipass owns only the lines between \"# BEGIN pcipass\" and \"# END pcipass\": fix the"
                        + " markers by hand (or delete the block) and run again");
    }

    @Test
    void anEndWithoutABeginIsBadInput() {
        assertThatThrownBy(() -> ModprobeFile.parse(F, "# END pcipass\n"))
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessageStartingWith("/etc/modprobe.conf line 1 has \"# END pcipass\" without a \"# BEGIN pcipass\""
                        + " before it;");
    }

    @Test
    void twoBlocksAreBadInputNamingBoth() {
        assertThatThrownBy(() -> ModprobeFile.parse(F,
                "# BEGIN pcipass\n# END pcipass\nalias a b\n# BEGIN pcipass\n# END pcipass\n"))
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessageStartingWith("/etc/modprobe.conf has two pcipass blocks (lines 1-2 and from line 4);");
        assertThatThrownBy(() -> ModprobeFile.parse(F, "# BEGIN pcipass\n# BEGIN pcipass\n# END pcipass\n"))
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessageStartingWith("/etc/modprobe.conf line 2 opens a second pcipass block before line 1's"
                        + " block is closed;");
    }

    @Test
    void linesOutsideTheBlockAboutTheSameModulesAreConflictsWithTheFix() {
        ModprobeFile f = ModprobeFile.parse(F, """
                options pciback hide=(0000:09:00.0)
                options bnx2 disable_msi=1
                install bnx2 /sbin/modprobe pciback; \\
                  /sbin/modprobe --first-time --ignore-install bnx2
                blacklist xen_pciback
                softdep nouveau pre: vfio-pci
                # options pciback hide=(0000:0a:00.0)
                # BEGIN pcipass
                options pciback hide=(0000:09:00.0)
                # END pcipass
                """);

        List<ModprobeFile.Conflict> conflicts = f.conflicts(Set.of("pciback", "xen-pciback"), Set.of("bnx2"));

        assertThat(conflicts).extracting(ModprobeFile.Conflict::line).containsExactly(1, 3, 5);
        assertThat(conflicts.get(0).message()).isEqualTo("/etc/modprobe.conf line 1 configures pciback outside"
                + " pcipass's block (\"options pciback hide=(0000:09:00.0)\"): delete or comment out that line, then"
                + " run again; pcipass keeps its own lines between \"# BEGIN pcipass\" and \"# END pcipass\"");
        assertThat(conflicts.get(1).text()).isEqualTo("install bnx2 /sbin/modprobe pciback;   /sbin/modprobe"
                + " --first-time --ignore-install bnx2");
        assertThat(conflicts.get(2).module()).isEqualTo("xen_pciback");
    }

    @Test
    void malformedLinesAreWarnedAboutAndKept() {
        String original = """
                frobnicate bnx2
                options
                install bnx2
                alias only-one
                blacklist
                softdep nouveau
                include
                options e1000 \\
                  InterruptThrottleRate=1
                   # indented comment

                options tg3 x=1 \\""";
        ModprobeFile f = ModprobeFile.parse(F, original);

        assertThat(f.warnings()).containsExactly(
                "/etc/modprobe.conf line 1: unknown directive \"frobnicate\"; left as it is",
                "/etc/modprobe.conf line 2: \"options\" without a module name; left as it is",
                "/etc/modprobe.conf line 3: \"install\" needs a module name and a command; left as it is",
                "/etc/modprobe.conf line 4: \"alias\" needs a wildcard and a module name; left as it is",
                "/etc/modprobe.conf line 5: \"blacklist\" without a module name; left as it is",
                "/etc/modprobe.conf line 6: \"softdep\" needs a module name and its dependencies; left as it is",
                "/etc/modprobe.conf line 7: \"include\" needs an argument; left as it is",
                "/etc/modprobe.conf line 12 ends with a backslash but no line follows; left as it is");
        assertThat(unhide(hide(original))).isEqualTo(original);
        assertThat(hide(original)).endsWith("options tg3 x=1 \\");
    }

    @Test
    void aLineContinuingIntoTheBlockIsWarnedAbout() {
        ModprobeFile f = ModprobeFile.parse(F, "options tg3 x=1 \\\n# BEGIN pcipass\n# END pcipass\n");

        assertThat(f.warnings()).containsExactly("/etc/modprobe.conf line 1 ends with a backslash and so continues"
                + " into pcipass's block; remove the backslash");
    }

    @Test
    void linesInsideTheBlockAreNeitherWarnedAboutNorConflicts() {
        ModprobeFile f = ModprobeFile.parse(F, "# BEGIN pcipass\nbogus\noptions pciback hide=(0000:09:00.0)\n# END pcipass\n");

        assertThat(f.warnings()).isEmpty();
        assertThat(f.conflicts(Set.of("pciback"), Set.of("bnx2"))).isEmpty();
    }

    @Test
    void includesAreTheIncludeLinesOutsideTheBlockContinuationsJoined() {
        ModprobeFile f = ModprobeFile.parse(F, "include /etc/modprobe.local\n# include /etc/commented\n"
                + "include \\\n  /etc/modprobe.xen.d extra\ninclude\n" + SEED_BLOCK.replace("# END", "include /x\n# END")
                + "\n  include\trelative.conf\n");

        assertThat(f.includes()).containsExactly("/etc/modprobe.local", "/etc/modprobe.xen.d", "relative.conf");
    }
}
