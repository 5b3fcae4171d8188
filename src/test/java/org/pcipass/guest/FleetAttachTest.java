package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_VF0;
import static org.pcipass.testing.HostTrees.WS_VF1;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.FakeLibvirt;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;
import org.pcipass.testing.Postgres;

/**
 * A host of a fleet end to end, on a real PostgreSQL: its agent publishes it, {@code fleet claim} holds a
 * VF for a guest, {@code attach} refuses that VF to another guest (exit 3, an audit row) and consumes the
 * claim when its guest takes it; with no database configured attach never looks.
 */
class FleetAttachTest {
    private static Postgres pg;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    @Test
    void attachRefusesAnotherGuestsClaimedDeviceAndConsumesItsOwnGuestsClaim() throws Exception {
        String url = pg.createDatabase("attach");
        FakeHost fake = HostTrees.kvmWorkstation(tmp.resolve("h"));
        KernelSim sim = new KernelSim(fake.sysfs(), fake.configRoot());
        FakeLibvirt libvirt = FakeLibvirt.at(tmp.resolve("libvirt"));
        libvirt.define("web1").kvm().persistent().running();
        libvirt.define("web2").kvm().persistent().running();
        Path state = tmp.resolve("state");
        Files.createDirectories(state);
        Files.writeString(state.resolve("pcipass.conf"), "host-name = ws1\n"
                + "device_spec = {\"vendor_id\": \"8086\", \"product_id\": \"1520\"}\n"
                + "alias = {\"name\": \"vf\", \"vendor_id\": \"8086\", \"product_id\": \"1520\","
                + " \"device_type\": \"type-VF\"}\n");
        Cli cli = new Cli().kernel(sim).runner(sim).backends(libvirt.backends()).env("PCIPASS_DB", url);
        List<String> where = List.of("--sysfs", fake.sysfs().toString(), "--config-root",
                fake.configRoot().toString(), "--state-dir", state.toString());

        assertThat(run(cli, where, "agent", "--once").exitCode()).isZero();
        Cli.Result claim = run(cli, where, "fleet", "claim", "web1", "--alias", "vf:1", "--json");
        assertThat(claim.exitCode()).as(claim.err()).isZero();
        JsonNode c = claim.json();
        assertThat(c.get("host").asText()).isEqualTo("ws1");
        String vf = c.get("devices").get(0).asText();
        assertThat(vf).isIn(WS_VF0, WS_VF1);
        JsonNode hosts = run(cli, where, "fleet", "hosts", "--json").json();
        assertThat(hosts.get(0).get("name").asText()).isEqualTo("ws1");
        assertThat(hosts.get(0).get("offered").asInt()).isEqualTo(2);
        assertThat(hosts.get(0).get("claimed").asInt()).isEqualTo(1);

        Cli.Result refused = run(cli, where, "attach", "web2", vf);
        assertThat(refused.exitCode()).isEqualTo(3);
        assertThat(refused.err()).isEqualTo("pcipass: " + vf + " is claimed in the fleet for guest web1 on ws1 until "
                + c.get("expires").asText() + "; attach it to web1, or release the claim first: pcipass fleet release"
                + " web1\n");
        assertThat(run(cli, where, "assignments", "--json").out()).doesNotContain("web2");
        assertThat(run(cli, where, "audit", "--json").json().get(0).get("result").asText()).isEqualTo("refused");

        Cli.Result attach = run(cli, where, "attach", "web1", vf);
        assertThat(attach.exitCode()).as(attach.err()).isZero();
        JsonNode claims = run(cli, where, "fleet", "claims", "--json").json();
        assertThat(claims).hasSize(1);
        assertThat(claims.get(0).get("expires").isNull()).as("consumed: it no longer expires").isTrue();

        // the agent's next snapshot shows web1 owning it; the claim still holds it
        assertThat(run(cli, where, "agent", "--once").exitCode()).isZero();
        Cli.Result another = run(cli, where, "fleet", "claim", "web3", "--alias", "vf:2");
        assertThat(another.exitCode()).isEqualTo(3);
        assertThat(another.err()).contains("short of 1 of 2 vf");

        // no database configured: attach is the single host's
        Cli plain = new Cli().kernel(sim).runner(sim).backends(libvirt.backends());
        Files.writeString(state.resolve("pcipass.conf"), "host-name = ws1\n");
        String other = vf.equals(WS_VF0) ? WS_VF1 : WS_VF0;
        assertThat(run(plain, where, "attach", "web2", other).exitCode()).isZero();
    }

    private static Cli.Result run(Cli cli, List<String> where, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(where);
        return cli.run(a.toArray(String[]::new));
    }
}
