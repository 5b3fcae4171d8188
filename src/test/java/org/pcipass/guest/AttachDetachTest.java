package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

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
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.FakeLibvirt;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/** attach, detach, assignments and migrate-check through the CLI, on the kernel simulator and a fake libvirt. */
class AttachDetachTest {
    @TempDir
    Path tmp;

    private static final String URI = "qemu:///system";

    record Host(FakeHost fake, KernelSim sim, FakeLibvirt libvirt, Path state, Clock clock) {
        Cli.Result run(String... args) {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("--sysfs", fake.sysfs().toString(), "--config-root", fake.configRoot().toString(),
                    "--state-dir", state.toString()));
            Cli cli = new Cli().kernel(sim).runner(sim).backends(libvirt.backends());
            if (clock != null) {
                cli.clock(clock);
            }
            return cli.run(a.toArray(String[]::new));
        }

        Cli.Result ok(String... args) {
            Cli.Result r = run(args);
            assertThat(r.exitCode()).as(String.join(" ", args) + "\nstdout: " + r.out() + "\nstderr: " + r.err())
                    .isZero();
            return r;
        }

        Host at(Instant now) {
            return new Host(fake, sim, libvirt, state, Clock.fixed(now, ZoneOffset.UTC));
        }

        String driver(String a) {
            return sim.driverOf(a);
        }

        JsonNode assignments() {
            return ok("assignments", "--json").json();
        }
    }

    private Host kvm() {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        return new Host(h, new KernelSim(h.sysfs(), h.configRoot()), FakeLibvirt.at(tmp.resolve("libvirt")),
                tmp.resolve("state"), null);
    }

    private Host xen() {
        FakeHost h = HostTrees.xenDom0(tmp.resolve("h"));
        return new Host(h, new KernelSim(h.sysfs(), h.configRoot()), FakeLibvirt.at(tmp.resolve("libvirt")),
                tmp.resolve("state"), null);
    }

    private static PciAddress a(String s) {
        return PciAddress.parse(s);
    }

    @Test
    void attachHidesAttachesLiveAndConfigAndRecordsTheOwner() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        String before = h.driver(WS_VF0);
        Cli.Result r = h.ok("attach", "web1", WS_VF0, "--json");
        JsonNode plan = r.json();
        assertThat(plan.get("result").asText()).isEqualTo("done");
        JsonNode last = plan.get("steps").get(plan.get("steps").size() - 1);
        assertThat(last.get("op").asText()).isEqualTo("attach");
        assertThat(last.get("backend").asText()).isEqualTo("libvirt");
        assertThat(last.get("guest").asText()).isEqualTo("web1");
        assertThat(last.get("device").asText()).isEqualTo(WS_VF0);
        assertThat(last.get("mode").asText()).isEqualTo("live+config");
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");
        assertThat(h.libvirt().devices("web1", true)).containsExactly(a(WS_VF0));
        assertThat(h.libvirt().devices("web1", false)).containsExactly(a(WS_VF0));

        JsonNode list = h.ok("list", "--json").json();
        for (JsonNode d : list) {
            String owner = d.get("owner").isNull() ? null : d.get("owner").asText();
            assertThat(owner).as(d.get("address").asText()).isEqualTo(d.get("address").asText().equals(WS_VF0)
                    ? "web1" : null);
        }
        JsonNode show = h.ok("show", WS_VF0, "--json").json();
        assertThat(show.get("verdict").asText()).isEqualTo("assigned");
        assertThat(show.get("assignment").get("guest").asText()).isEqualTo("web1");
        assertThat(show.get("assignment").get("backend").asText()).isEqualTo("libvirt");
        assertThat(show.get("assignment").get("connect").asText()).isEqualTo(URI);
        assertThat(show.get("assignment").get("mode").asText()).isEqualTo("live+config");
        assertThat(show.get("assignment").get("state").asText()).isEqualTo("attached");
        JsonNode as = h.assignments();
        assertThat(as).hasSize(1);
        assertThat(as.get(0).get("state").asText()).isEqualTo("attached");

        Cli.Result unhide = h.run("unhide", WS_VF0);
        assertThat(unhide.exitCode()).isEqualTo(3);
        assertThat(unhide.err().strip()).isEqualTo("pcipass: " + WS_VF0 + " is assigned to guest web1; detach it"
                + " first: pcipass detach web1 " + WS_VF0 + " --return");
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");

        Cli.Result d = h.ok("detach", "web1", WS_VF0, "--return");
        assertThat(h.driver(WS_VF0)).isEqualTo(before);
        assertThat(h.libvirt().devices("web1", true)).isEmpty();
        assertThat(h.libvirt().devices("web1", false)).isEmpty();
        assertThat(h.assignments()).isEmpty();
        assertThat(d.err()).isEmpty();
    }

    @Test
    void modeFollowsTheDomainAsVirtManagerDoes() {
        Host h = kvm();
        h.libvirt().define("off").kvm().persistent();
        h.libvirt().define("tr").kvm().transientDomain();
        assertThat(h.ok("attach", "off", WS_VF0, "--dry-run", "--json").json().get("steps").findValues("mode"))
                .extracting(JsonNode::asText).containsExactly("config");
        assertThat(h.ok("attach", "tr", WS_VF0, "--dry-run", "--json").json().get("steps").findValues("mode"))
                .extracting(JsonNode::asText).containsExactly("live");
        Cli.Result live = h.run("attach", "off", WS_VF0, "--live");
        assertThat(live.exitCode()).isEqualTo(2);
        assertThat(live.err()).contains("guest off is not running, so --live cannot apply");
        assertThat(h.libvirt().calls()).noneMatch(c -> c.startsWith("attach"));
    }

    @Test
    void withGroupAttachesTheGroupsEndpointsTogether() {
        Host h = kvm();
        h.libvirt().define("gpu").kvm().persistent().running();
        Cli.Result alone = h.run("attach", "gpu", WS_GPU);
        assertThat(alone.exitCode()).isEqualTo(3);
        assertThat(alone.err()).contains("pass --with-group");
        h.ok("attach", "gpu", WS_GPU, "--with-group");
        assertThat(h.driver(WS_GPU)).isEqualTo("vfio-pci");
        assertThat(h.driver(WS_GPU_AUDIO)).isEqualTo("vfio-pci");
        assertThat(h.libvirt().devices("gpu", true)).containsExactly(a(WS_GPU), a(WS_GPU_AUDIO));
        assertThat(h.assignments()).hasSize(2);
    }

    @Test
    void aConfigAttachHidesTheDeviceNow() {
        Host h = kvm();
        h.libvirt().define("off").kvm().persistent();
        h.ok("attach", "off", WS_VF0);
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");
        assertThat(h.libvirt().devices("off", false)).containsExactly(a(WS_VF0));
    }

    @Test
    void aFailedAttachRollsTheHideBack() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running().failAttach("internal error: unable to execute QEMU"
                + " command 'device_add': vfio 0000:0b:00.0: failed to setup container");
        String before = h.driver(WS_VF0);
        Cli.Result r = h.run("attach", "web1", WS_VF0);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("failed to setup container").contains("rolled back");
        assertThat(h.driver(WS_VF0)).isEqualTo(before);
        assertThat(h.assignments()).isEmpty();
        assertThat(h.state().resolve("journal")).doesNotExist();
    }

    @Test
    void aDetachTheGuestNeverAnswersLeavesTheDeviceHiddenAndDetachPending() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        h.ok("attach", "web1", WS_VF0, "--live");
        h.libvirt().edit("web1").detachNeverLeaves();
        Cli.Result r = h.run("detach", "web1", WS_VF0, "--return", "--timeout", "1");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("guest web1 has not released " + WS_VF0 + " within 1 s")
                .contains("stays hidden and assigned (detach-pending)");
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");
        JsonNode as = h.assignments();
        assertThat(as).hasSize(1);
        assertThat(as.get(0).get("state").asText()).isEqualTo("detach-pending");
        h.libvirt().define("db1").kvm().persistent().running();
        Cli.Result attach = h.run("attach", "db1", WS_VF0);
        assertThat(attach.exitCode()).isEqualTo(3);
        assertThat(attach.err()).contains("assigned to guest web1 (detach-pending)");
    }

    @Test
    void aGuestThatIsGoneIsReconciled() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        String before = h.driver(WS_VF0);
        h.ok("attach", "web1", WS_VF0);
        h.libvirt().remove("web1");
        Cli.Result r = h.ok("detach", "web1", WS_VF0, "--return");
        assertThat(r.out()).contains("guest web1 no longer exists on " + URI + ": nothing holds " + WS_VF0
                + "; its assignment is cleared");
        assertThat(h.driver(WS_VF0)).isEqualTo(before);
        assertThat(h.assignments()).isEmpty();
    }

    @Test
    void anotherGuestsDeviceIsRefusedNamingTheOwner() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        h.libvirt().define("db1").kvm().persistent().running();
        h.libvirt().define("ext").kvm().persistent().running().hostdev(a(WS_E1000), true);
        h.ok("attach", "web1", WS_VF0);
        Cli.Result r = h.run("attach", "db1", WS_VF0);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err().strip()).isEqualTo("pcipass: " + WS_VF0 + " is assigned to guest web1 (attached);"
                + " detach it first: pcipass detach web1 " + WS_VF0);
        Cli.Result ext = h.run("attach", "db1", WS_E1000, "--with-group");
        assertThat(ext.exitCode()).isEqualTo(3);
        assertThat(ext.err()).contains(WS_E1000 + " is assigned to guest ext by another tool (external");
        JsonNode as = h.assignments();
        assertThat(as).hasSize(2);
        assertThat(as.get(0).get("device").asText()).isEqualTo(WS_VF0);
        assertThat(as.get(0).get("state").asText()).isEqualTo("attached");
        assertThat(as.get(1).get("device").asText()).isEqualTo(WS_E1000);
        assertThat(as.get(1).get("state").asText()).isEqualTo("external");
        assertThat(as.get(1).get("guest").asText()).isEqualTo("ext");
        assertThat(as.get(1).get("since").isNull()).isTrue();
        JsonNode e1000 = h.ok("show", WS_E1000, "--json").json();
        assertThat(e1000.get("owner").asText()).isEqualTo("ext");
        assertThat(e1000.get("verdict").asText()).isEqualTo("assigned");
        assertThat(e1000.get("assignment").isNull()).isTrue();
    }

    @Test
    void theHotplugGuardAllows512AndRefusesThe513thButNeverADetach() throws Exception {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        java.nio.file.Files.createDirectories(h.state());
        java.nio.file.Files.writeString(h.state().resolve("pcipass.conf"), "hotplug-limit = 4\nhotplug-window = 600\n");
        Instant t0 = Instant.parse("2026-11-30T10:00:00Z");
        h.at(t0).ok("attach", "web1", WS_VF0, "--live");
        h.at(t0.plusSeconds(1)).ok("detach", "web1", WS_VF0);
        h.at(t0.plusSeconds(2)).ok("attach", "web1", WS_VF0, "--live");
        h.at(t0.plusSeconds(3)).ok("detach", "web1", WS_VF0);
        Cli.Result r = h.at(t0.plusSeconds(4)).run("attach", "web1", WS_VF0, "--live");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains(WS_VF0 + " was hot-plugged 4 times in the last 600 s (limit 4")
                .contains("(in 596 s)");
        h.at(t0.plusSeconds(601)).ok("attach", "web1", WS_VF0, "--live");
        h.at(t0.plusSeconds(602)).ok("detach", "web1", WS_VF0);
        h.at(t0.plusSeconds(603)).ok("attach", "web1", WS_VF0, "--live");
        h.at(t0.plusSeconds(604)).ok("detach", "web1", WS_VF0); // the 5th in the window: a detach is never refused
    }

    /** The default limit, 512 per 600 s: 511 hotplugs logged, the 512th attach goes; then the 513th is refused. */
    @Test
    void theDefaultGuardAllowsThe512thAttachAndRefusesThe513th() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        Instant t0 = Instant.parse("2026-11-30T10:00:00Z");
        List<org.pcipass.store.HotplugEvent> log = new ArrayList<>();
        for (int i = 0; i < 511; i++) {
            log.add(new org.pcipass.store.HotplugEvent(a(WS_VF0), i % 2 == 0 ? "attach" : "detach", "web1",
                    t0.plusMillis(i * 100L)));
        }
        try (org.pcipass.store.Store st = org.pcipass.store.Store.open(h.state())) {
            st.commit(java.util.Map.of(), List.of(), log);
        }
        Instant now = t0.plusSeconds(100);
        h.at(now).ok("attach", "web1", WS_VF0, "--live"); // the 512th
        h.at(now.plusSeconds(1)).ok("detach", "web1", WS_VF0); // the 513th hotplug: a detach is never refused
        Cli.Result r = h.at(now.plusSeconds(2)).run("attach", "web1", WS_VF0, "--live");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains(WS_VF0 + " was hot-plugged 513 times in the last 600 s (limit 512: more hotplugs"
                + " of a device in a brief period can crash the kernel); it frees up at ")
                .contains("(in 498 s)");
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci"); // still hidden from the first attach: nothing changed
        assertThat(h.libvirt().devices("web1", true)).isEmpty();
        h.at(t0.plusMillis(100 + 600_000)).ok("attach", "web1", WS_VF0, "--live"); // two events have left the window
    }

    @Test
    void aXenGuestWithoutPassthroughIsRefusedWithTheFix() {
        Host h = xen();
        h.libvirt().define("pv1").xen().pv().persistent().running();
        Cli.Result r = h.run("attach", "pv1", XEN_BNX2, "--connect", "xen:///system");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("guest pv1 cannot take a hot-plugged PCI device")
                .contains("passthrough = \"enabled\"").contains("<passthrough state='on'/>");
        assertThat(h.driver(XEN_BNX2)).isEqualTo("bnx2");
    }

    @Test
    void aParavirtualizedRhel6GuestIsRefusedUnlessInsecureIsAllowed() {
        Host h = xen();
        h.libvirt().define("r6").xen().pv().passthrough().osId("http://redhat.com/rhel/6.10").persistent().running();
        Cli.Result r = h.run("attach", "r6", XEN_BNX2, "--connect", "xen:///system");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("para-virtualized RHEL 6 guest (libosinfo http://redhat.com/rhel/6.10)")
                .contains("--allow-insecure");
        h.libvirt().define("r6b").xen().pv().passthrough().persistent().running();
        assertThat(h.run("attach", "r6b", XEN_BNX2, "--connect", "xen:///system", "--guest-os", "rhel6").exitCode())
                .isEqualTo(3);
        h.ok("attach", "r6", XEN_BNX2, "--connect", "xen:///system", "--allow-insecure");
        assertThat(h.driver(XEN_BNX2)).isEqualTo("pciback");
    }

    @Test
    void aDeviceHiddenAtBootCanBeAttached() {
        Host h = xen();
        h.libvirt().define("hv").xen().hvm().passthrough().persistent().running();
        Cli.Result r = h.ok("attach", "hv", XEN_PCIBACK, "--connect", "xen:///system", "--json");
        assertThat(r.json().get("steps")).hasSize(1);
        assertThat(h.libvirt().devices("hv", true)).containsExactly(a(XEN_PCIBACK));
    }

    @Test
    void migrateCheckNamesEachBlockingDevice() {
        Host h = kvm();
        h.libvirt().define("web1").kvm().persistent().running();
        h.libvirt().define("free").kvm().persistent().running();
        h.ok("attach", "web1", WS_VF0);
        Cli.Result r = h.run("migrate-check", "web1");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.out()).startsWith(WS_VF0 + ": a guest with a passed-through PCI device cannot be saved,"
                + " restored or migrated");
        assertThat(h.run("migrate-check", "free").exitCode()).isZero();
    }

    @Test
    void badGuestNamesAreRefusedBeforeAnyHypervisorIsContacted() {
        Host h = kvm();
        for (String bad : List.of("a'b", "a<b", "a&b", "a;b", "$(reboot)", "a\nb", "x".repeat(300), "", "a b")) {
            for (List<String> cmd : List.of(List.of("attach", bad, WS_VF0), List.of("detach", bad, WS_VF0, "--return"),
                    List.of("migrate-check", bad), List.of("config", WS_VF0, "--format", "virsh", "--guest", bad))) {
                Cli.Result r = h.run(cmd.toArray(String[]::new));
                assertThat(r.exitCode()).as(cmd.toString()).isEqualTo(2);
                assertThat(r.errLines()).as(cmd.toString()).hasSize(1);
                assertThat(r.out()).isEmpty();
            }
        }
        for (String uri : List.of("qemu:///system\nHost: x", "", "q".repeat(2000))) {
            Cli.Result r = h.run("attach", "web1", WS_VF0, "--connect", uri);
            assertThat(r.exitCode()).as(uri).isEqualTo(2);
            assertThat(r.errLines()).hasSize(1);
        }
        Cli.Result via = h.run("attach", "web1", WS_VF0, "--via", "vmware");
        assertThat(via.exitCode()).isEqualTo(2);
        assertThat(via.err().strip()).isEqualTo("pcipass: --via 'vmware' is not a backend; give libvirt or xl");
        assertThat(h.libvirt().calls()).isEmpty();
        assertThat(h.driver(WS_VF0)).isEqualTo("igbvf");
    }
}
