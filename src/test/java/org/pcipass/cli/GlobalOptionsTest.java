package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/** Global options before or after the command, their environment equivalents, and --help everywhere. */
class GlobalOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void optionsWorkBeforeAndAfterTheCommandAndFromTheEnvironment() {
        FakeHost h = HostTrees.xenDom0(tmp.resolve("xen"));
        Cli.Result before = Cli.exec("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(),
                "list", "--json");
        Cli.Result after = Cli.exec("list", "--json", "--sysfs=" + h.sysfs(), "--config-root=" + h.configRoot());
        Cli.Result env = new Cli().env("PCIPASS_SYSFS", h.sysfs().toString())
                .env("PCIPASS_CONFIG_ROOT", h.configRoot().toString()).run("list", "--json");
        assertThat(before.exitCode()).as(before.err()).isZero();
        assertThat(before.json()).hasSize(HostTrees.XEN_ALL.size());
        assertThat(after.out()).isEqualTo(before.out());
        assertThat(env.out()).isEqualTo(before.out());
    }

    @Test
    void theCommandLineWinsOverTheEnvironment() {
        FakeHost xen = HostTrees.xenDom0(tmp.resolve("xen"));
        FakeHost r5 = HostTrees.rhel5Root(tmp.resolve("r5"));
        Cli.Result r = new Cli().env("PCIPASS_SYSFS", xen.sysfs().toString())
                .run("list", "--json", "--sysfs", r5.sysfs().toString(), "--config-root", r5.configRoot().toString());
        assertThat(r.json()).hasSize(HostTrees.R5_ALL.size());
    }

    @Test
    void aBadValueFromTheEnvironmentIsNamedByItsVariableAndAnEmptyOneCountsAsUnset() {
        FakeHost h = HostTrees.kvmWorkstation(tmp);
        Cli.Result bad = new Cli().env("PCIPASS_SYSFS", h.sysfs().toString())
                .env("PCIPASS_CONFIG_ROOT", tmp.resolve("nowhere").toString()).run("list");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("pcipass: PCIPASS_CONFIG_ROOT " + tmp.resolve("nowhere")
                + " is not a directory; give an existing directory\n");
        Cli.Result empty = new Cli().env("PCIPASS_SYSFS", h.sysfs().toString()).env("PCIPASS_CONFIG_ROOT", h.configRoot().toString())
                .env("PCIPASS_PCI_IDS", "").run("list", "--json");
        assertThat(empty.exitCode()).as(empty.err()).isZero();
        assertThat(empty.out()).isEqualTo(Cli.exec("list", "--json", "--sysfs", h.sysfs().toString(), "--config-root",
                h.configRoot().toString()).out());
    }

    @Test
    void readOnlyCommandsNeverCreateTheStateDir() {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("ws"));
        Path state = tmp.resolve("state");
        for (String cmd : new String[] {"list", "groups", "check"}) {
            Cli.Result r = Cli.exec(cmd, "--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(),
                    "--state-dir", state.toString());
            assertThat(r.exitCode()).as(cmd + ": " + r.err()).isZero();
        }
        Cli.Result r = new Cli().env("PCIPASS_STATE_DIR", state.toString()).run("show", HostTrees.WS_GPU, "--sysfs",
                h.sysfs().toString(), "--config-root", h.configRoot().toString());
        assertThat(r.exitCode()).isZero();
        assertThat(Files.exists(state)).isFalse();
    }

    @Test
    void everyCommandHasHelp() {
        Cli.Result top = Cli.exec("--help");
        assertThat(top.exitCode()).isZero();
        for (String cmd : new String[] {"list", "show", "groups", "check"}) {
            assertThat(top.out()).contains(cmd);
            Cli.Result r = Cli.exec(cmd, "--help");
            assertThat(r.exitCode()).isZero();
            assertThat(r.out()).contains("pcipass " + cmd).contains("--sysfs").contains("--json");
        }
        assertThat(Cli.exec("--version").out()).startsWith("pcipass ");
    }
}
