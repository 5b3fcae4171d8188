package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;

class LibvirtUriTest {
    private static final String RULE = "; a libvirt connection URI is one line of at most 1024 characters, e.g."
            + " --connect qemu:///system or --connect xen:///system";

    @ParameterizedTest
    @ValueSource(strings = {"qemu:///system", "xen:///system", "test:///default", "qemu+ssh://root@host.example/system",
        "qemu:///system?socket=/run/libvirt/virtqemud-sock", "esx://h/?no_verify=1&x='y'", "lxc:///"})
    void realUrisPassAsTheyAre(String uri) {
        assertThat(LibvirtUri.check(uri)).isSameAs(uri);
    }

    @Test
    void aUriOfExactly1024CharactersPasses() {
        String uri = "test:///" + "a".repeat(1024 - 8);
        assertThat(LibvirtUri.check(uri)).hasSize(1024);
    }

    @Test
    void controlCharactersAreBadInputNamingTheUriEscaped() {
        assertThatThrownBy(() -> LibvirtUri.check("qemu:///system\n")).isInstanceOf(PcipassException.BadInput.class)
                .hasMessage("libvirt connection URI 'qemu:///system\\x0a' holds the control character U+000A" + RULE);
        assertThatThrownBy(() -> LibvirtUri.check("qemu:///sys\ttem")).hasMessage(
                "libvirt connection URI 'qemu:///sys\\x09tem' holds the control character U+0009" + RULE);
        assertThatThrownBy(() -> LibvirtUri.check("qemu:///system\u0000x")).hasMessage(
                "libvirt connection URI 'qemu:///system\\x00x' holds the control character U+0000" + RULE);
        assertThatThrownBy(() -> LibvirtUri.check("\u001b]0;owned\u0007qemu:///system")).hasMessage(
                "libvirt connection URI '\\x1b]0;owned\\x07qemu:///system' holds the control character U+001B" + RULE);
        assertThatThrownBy(() -> LibvirtUri.check("qemu:///system\u0085")).hasMessage(
                "libvirt connection URI 'qemu:///system\\u0085' holds the control character U+0085" + RULE);
        assertThatThrownBy(() -> LibvirtUri.check("qemu:///system\u007f")).hasMessageContaining("U+007F");
    }

    @Test
    void anOverLongUriIsBadInputQuotedShort() {
        String uri = "qemu+ssh://" + "h".repeat(2000) + "/system";
        assertThatThrownBy(() -> LibvirtUri.check(uri)).isInstanceOf(PcipassException.BadInput.class)
                .hasMessage("libvirt connection URI '" + uri.substring(0, 80) + "…' is 2018 characters long" + RULE);
    }

    @Test
    void anEmptyUriIsBadInput() {
        assertThatThrownBy(() -> LibvirtUri.check("")).isInstanceOf(PcipassException.BadInput.class)
                .hasMessage("the libvirt connection URI is empty" + RULE);
        assertThatThrownBy(() -> LibvirtUri.check(null)).isInstanceOf(PcipassException.BadInput.class);
    }

    @Test
    void badInputExitsTwo() {
        PcipassException e = (PcipassException) org.assertj.core.api.Assertions.catchThrowable(
                () -> new RealGuestBackends(CommandRunner.SYSTEM).open("libvirt", "xen:///system\r\nHost: x"));
        assertThat(e).isInstanceOf(PcipassException.BadInput.class);
        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r")
                .startsWith("libvirt connection URI 'xen:///system\\x0d\\x0aHost: x' holds the control character U+000D");
    }

    @Test
    void realBackendsKnowLibvirtAndXlOnly() {
        RealGuestBackends b = new RealGuestBackends(CommandRunner.SYSTEM);
        assertThat(b.open("xl", null)).isInstanceOf(XlBackend.class);
        assertThatThrownBy(() -> b.open("vmware", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend 'vmware' is not libvirt or xl");
    }

    /** {@code xl} answers when it is on PATH and {@code xl info} exits 0; nothing else is run. */
    @Test
    void xlAnswersOnlyWhenXlInfoSucceeds() {
        assertThat(new RealGuestBackends(runner(false, 0, new ArrayList<>())).xlAnswers()).isFalse();
        List<List<String>> ran = new ArrayList<>();
        assertThat(new RealGuestBackends(runner(true, 1, ran)).xlAnswers()).isFalse();
        assertThat(new RealGuestBackends(runner(true, 0, ran)).xlAnswers()).isTrue();
        assertThat(ran).containsExactly(List.of("xl", "info"), List.of("xl", "info"));
    }

    private static CommandRunner runner(boolean onPath, int exit, List<List<String>> ran) {
        return new CommandRunner() {
            @Override
            public Result run(List<String> argv) {
                ran.add(argv);
                return new Result(exit, "", exit == 0 ? "" : "xencall: error: Could not obtain handle on privileged command interface");
            }

            @Override
            public boolean available(String program) {
                return onPath && program.equals("xl");
            }
        };
    }
}
