package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_E1000;
import static org.pcipass.testing.HostTrees.WS_SATA;
import static org.pcipass.testing.HostTrees.WS_VF0;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.FakeLibvirt;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/** The CLI's side of the audit log: every real change and refused change is a row; {@code pcipass audit} shows them. */
class AuditLogTest {
    @TempDir
    Path tmp;

    private FakeHost fake;
    private KernelSim sim;
    private FakeLibvirt libvirt;
    private Instant now = Instant.parse("2026-11-30T10:00:00Z");

    private Cli.Result run(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--sysfs", fake.sysfs().toString(), "--config-root", fake.configRoot().toString(),
                "--state-dir", tmp.resolve("state").toString()));
        return new Cli().kernel(sim).runner(sim).backends(libvirt.backends()).clock(Clock.fixed(now, ZoneOffset.UTC))
                .env("SUDO_USER", "alice").run(a.toArray(String[]::new));
    }

    private void host() {
        fake = HostTrees.kvmWorkstation(tmp.resolve("h"));
        sim = new KernelSim(fake.sysfs(), fake.configRoot());
        libvirt = FakeLibvirt.at(tmp.resolve("libvirt"));
    }

    @Test
    void everyRealChangeAndRefusalIsARowAndDryRunsAndBadInputAreNot() {
        host();
        libvirt.define("web1").kvm().persistent().running();
        assertThat(run("audit").out()).isEqualTo("no audit rows\n"); // no store yet: nothing, and none created
        assertThat(tmp.resolve("state/pcipass.db")).doesNotExist();

        assertThat(run("hide", WS_E1000, "--with-group", "--dry-run").exitCode()).isZero();
        assertThat(run("hide", "09:00.0:bad").exitCode()).isEqualTo(2);
        assertThat(run("hide", WS_E1000, "--with-group").exitCode()).isZero();
        now = now.plusSeconds(3600);
        assertThat(run("hide", WS_SATA).exitCode()).isEqualTo(3); // the root filesystem's controller
        now = now.plusSeconds(3600);
        assertThat(run("attach", "web1", WS_VF0).exitCode()).isZero();
        assertThat(run("attach", "bad<name>", WS_VF0).exitCode()).isEqualTo(2);

        JsonNode rows = run("audit", "--json").json();
        assertThat(rows).hasSize(3);
        JsonNode attach = rows.get(0);
        String user = System.getProperty("user.name");
        assertThat(attach.get("id").asLong()).isEqualTo(3);
        assertThat(attach.get("time").asText()).isEqualTo("2026-11-30T12:00:00Z");
        assertThat(attach.get("actor").asText()).isEqualTo(user.equals("alice") ? "alice" : user + " (sudo from alice)");
        assertThat(attach.get("via").asText()).isEqualTo("cli");
        assertThat(attach.get("action").asText()).isEqualTo("attach");
        assertThat(attach.get("devices").toString()).isEqualTo("[\"" + WS_VF0 + "\"]");
        assertThat(attach.get("guest").asText()).isEqualTo("web1");
        assertThat(attach.get("result").asText()).isEqualTo("done");
        assertThat(attach.get("exit").asInt()).isZero();
        assertThat(attach.get("error").isNull()).isTrue();
        assertThat(attach.get("command").asText()).isEqualTo("pcipass attach web1 " + WS_VF0);
        assertThat(attach.get("steps").toString()).contains("\"op\":\"attach\"").contains("\"guest\":\"web1\"");

        JsonNode refused = rows.get(1);
        assertThat(refused.get("action").asText()).isEqualTo("hide");
        assertThat(refused.get("result").asText()).isEqualTo("refused");
        assertThat(refused.get("exit").asInt()).isEqualTo(3);
        assertThat(refused.get("error").asText()).contains(WS_SATA).contains("host-critical");
        assertThat(refused.get("steps").isNull()).as("refused while planning: no plan").isTrue();
        assertThat(refused.get("guest").isNull()).isTrue();

        JsonNode hide = rows.get(2);
        assertThat(hide.get("devices").toString()).as("the devices asked for").isEqualTo("[\"" + WS_E1000 + "\"]");
        assertThat(hide.get("steps").toString()).contains("vfio-pci/bind");

        // filters: a device, a time, both; the table
        assertThat(run("audit", "--json", "--device", WS_VF0).json()).extracting(n -> n.get("id").asInt())
                .containsExactly(3);
        assertThat(run("audit", "--json", "--device", "pci_0000_" + WS_SATA.substring(5).replace(':', '_')
                .replace('.', '_')).json()).extracting(n -> n.get("id").asInt()).containsExactly(2);
        assertThat(run("audit", "--json", "--since", "90m").json()).extracting(n -> n.get("id").asInt())
                .containsExactly(3, 2);
        assertThat(run("audit", "--json", "--since", "2026-11-30T11:00:00Z").json())
                .extracting(n -> n.get("id").asInt()).containsExactly(3, 2);
        assertThat(run("audit", "--json", "--limit", "1").json()).extracting(n -> n.get("id").asInt())
                .containsExactly(3);
        String table = run("audit").out();
        assertThat(table.lines().findFirst().orElseThrow()).startsWith("TIME").contains("ACTOR").contains("RESULT");
        assertThat(table).contains("2026-11-30T11:00:00Z").contains("refused: ").contains("web1");
        assertThat(table.lines()).hasSize(4);
    }

    @Test
    void badFiltersAreExit2NamingTheOption() {
        host();
        Cli.Result since = run("audit", "--since", "yesterday");
        assertThat(since.exitCode()).isEqualTo(2);
        assertThat(since.err()).isEqualTo("pcipass: --since 'yesterday' is not a time; give an age such as 15m, 2h or"
                + " 7d, a date such as 2026-11-30, or a time such as 2026-11-30T12:00 or 2026-11-30T12:00:00Z\n");
        Cli.Result limit = run("audit", "--limit", "0");
        assertThat(limit.exitCode()).isEqualTo(2);
        assertThat(limit.err()).contains("--limit '0'");
        assertThat(run("audit", "--device", "nonsense").exitCode()).isEqualTo(2);
    }
}
