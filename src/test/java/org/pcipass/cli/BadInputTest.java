package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/** Bad input of any kind: one line naming the input and the fix, exit 2, no stack trace. */
class BadInputTest {
    @TempDir
    Path tmp;

    static void assertOneLineError(Cli.Result r, String... fragments) {
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("pcipass: ").doesNotContain("Exception").doesNotContain("\tat ");
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0000:09:00", "09:00.8", "zz:00.0", "0000:100:00.0", "09:20.0", ""})
    void malformedAddressesAreRejected(String address) {
        assertOneLineError(Cli.exec("show", address), "invalid PCI address '" + address + "'", "write it as 0000:09:00.0");
    }

    @Test
    void anUnknownDeviceIsNamed() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Cli.Result r = Cli.exec("show", "0000:7f:1f.7", "--sysfs", h.sysfs().toString(), "--config-root",
                h.configRoot().toString());
        assertOneLineError(r, "no PCI device 0000:7f:1f.7 under " + h.sysfs(), "pcipass list");
    }

    @Test
    void aSysfsThatIsNotASysfsTreeIsRejected() throws Exception {
        assertOneLineError(Cli.exec("list", "--sysfs", tmp.toString()),
                "--sysfs " + tmp + " is not a sysfs tree", "point --sysfs at /sys");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertOneLineError(Cli.exec("--sysfs", file.toString(), "groups"), "--sysfs " + file + " is not a directory");
        assertOneLineError(Cli.exec("check", "--sysfs", tmp.resolve("missing").toString()), "is not a directory");
    }

    @Test
    void aGarbledPciIdsNamedOnTheCommandLineIsAnError() throws Exception {
        Path system = Path.of("/usr/share/misc/pci.ids");
        byte[] whole = Files.exists(system) ? Files.readAllBytes(system)
                : "8086  Intel Corporation\n\t100e  82540EM Gigabit Ethernet Controller\n".getBytes();
        Path cut = Files.write(tmp.resolve("cut.ids"), Arrays.copyOf(whole, whole.length / 2 + 7));
        assertOneLineError(Cli.exec("list", "--pci-ids", cut.toString()), "--pci-ids: pci.ids " + cut, "complete pci.ids");
        Path junk = Files.write(tmp.resolve("junk.ids"), new byte[] {0x7f, 'E', 'L', 'F', (byte) 0xff, 0, 1, '\n'});
        assertOneLineError(Cli.exec("--pci-ids", junk.toString(), "list", "--json"), "junk.ids is not UTF-8 text");
        assertOneLineError(Cli.exec("list", "--pci-ids", tmp.resolve("nope.ids").toString()), "does not exist");
    }

    @Test
    void aGarbledPciIdsFromTheEnvironmentIsAnErrorToo() throws Exception {
        Path junk = Files.write(tmp.resolve("junk.ids"), "hello world\n".getBytes());
        Cli.Result r = new Cli().env("PCIPASS_PCI_IDS", junk.toString()).run("list");
        assertOneLineError(r, "junk.ids line 1");
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertOneLineError(Cli.exec("lst"), "unknown command 'lst'", "pcipass --help");
        assertOneLineError(Cli.exec("list", "--frobnicate"), "unknown option '--frobnicate' for 'pcipass list'",
                "pcipass list --help");
        assertOneLineError(Cli.exec("show"), "'pcipass show' needs exactly one DEVICE", "pcipass show --help");
        assertOneLineError(Cli.exec("show", "09:00.0", "0a:00.0"), "needs exactly one DEVICE, got 2");
        assertOneLineError(Cli.exec("list", "extra"), "'pcipass list' takes no argument, got 'extra'");
        assertOneLineError(Cli.exec("list", "--sysfs"), "--sysfs needs a value: --sysfs DIR");
        assertOneLineError(Cli.exec("list", "--json=yes"), "--json takes no value");
        assertOneLineError(Cli.exec(), "a command is required");
    }
}
