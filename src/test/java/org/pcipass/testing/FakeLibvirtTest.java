package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.guest.Domain;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.GuestException;
import org.pcipass.guest.Hostdev;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;

/** FakeLibvirt plays libvirt's rules and keeps its state where another instance or process sees it. */
class FakeLibvirtTest {
    private static final PciAddress GPU = PciAddress.parse("0000:09:00.0");
    private static final PciAddress AUDIO = PciAddress.parse("0000:09:00.1");
    private static final PciAddress NIC = PciAddress.parse("0000:3b:00.0");
    private static final String URI = FakeLibvirt.DEFAULT_URI;

    @TempDir
    Path tmp;

    private FakeLibvirt lv;

    @BeforeEach
    void fake() {
        lv = FakeLibvirt.at(tmp.resolve("libvirt"));
    }

    @Test
    void domainsAreDescribedAsLibvirtBackendDescribesThem() {
        lv.define("web1").xen().pv().passthrough().osId("http://redhat.com/rhel/6.10").running();
        lv.define("hvm-off").xen().hvm();
        lv.define("hvm-dev").xen().hostdev(GPU, false);
        lv.define("db1").kvm().transientDomain();

        assertThat(lv.domain("web1")).isEqualTo(new Domain("web1", "xen", true, true, true, true,
                "http://redhat.com/rhel/6.10"));
        assertThat(lv.domain("hvm-off")).isEqualTo(new Domain("hvm-off", "xen", false, true, false, false, null));
        assertThat(lv.domain("hvm-dev")).as("created with a PCI device: hot-plug works")
                .isEqualTo(new Domain("hvm-dev", "xen", false, true, false, true, null));
        assertThat(lv.domain("db1")).isEqualTo(new Domain("db1", "kvm", true, false, false, null, null));
        assertThat(lv.domain("nope")).isNull();
        assertThat(lv.name()).isEqualTo("libvirt");
        assertThat(lv.uri()).isEqualTo(URI);
    }

    @Test
    void aLiveAndConfigAttachShowsInBothXmlsAndIsLogged() {
        lv.define("web1").xen().passthrough().running();

        lv.attach("web1", GPU, Mode.LIVE_CONFIG);

        assertThat(lv.devices("web1", true)).containsExactly(GPU);
        assertThat(lv.devices("web1", false)).containsExactly(GPU);
        assertThat(lv.assigned()).containsExactly(new Hostdev("web1", GPU, true, true, false));
        assertThat(lv.calls()).containsExactly("attach web1 0000:09:00.0 live+config");
    }

    @Test
    void aLiveAttachNeedsARunningDomainAndAConfigAttachAPersistentOne() {
        lv.define("off");
        lv.define("scratch").transientDomain();

        assertThatThrownBy(() -> lv.attach("off", GPU, Mode.LIVE)).isInstanceOf(GuestException.class).hasMessage(
                "attaching 0000:09:00.0 to off (live) on " + URI + " failed: Requested operation is not valid: domain is not running");
        assertThatThrownBy(() -> lv.attach("scratch", GPU, Mode.LIVE_CONFIG)).hasMessage(
                "attaching 0000:09:00.0 to scratch (live+config) on " + URI + " failed: Requested operation is not valid:"
                        + " transient domains do not have any persistent config");
        assertThat(lv.assigned()).as("a refused attach changes nothing").isEmpty();
        lv.attach("off", GPU, Mode.CONFIG);
        lv.attach("scratch", AUDIO, Mode.LIVE);
        assertThat(lv.assigned()).containsExactly(new Hostdev("off", GPU, false, true, false),
                new Hostdev("scratch", AUDIO, true, false, false));
    }

    @Test
    void aDeviceInARunningDomainIsInUseAsLibvirtSaysIt() {
        lv.define("web1").xen().passthrough().running().hostdev(GPU, false);
        lv.define("db1").kvm().running().hostdev(NIC, true);
        lv.define("web2").xen().passthrough().running();

        assertThatThrownBy(() -> lv.attach("web2", GPU, Mode.LIVE)).hasMessage("attaching 0000:09:00.0 to web2 (live) on "
                + URI + " failed: Requested operation is not valid: PCI device 0000:09:00.0 is in use by driver xenlight,"
                + " domain web1");
        assertThatThrownBy(() -> lv.attach("web2", NIC, Mode.LIVE_CONFIG)).hasMessageEndingWith(
                "PCI device 0000:3b:00.0 is in use by driver QEMU, domain db1");
        assertThatThrownBy(() -> lv.attach("web1", GPU, Mode.CONFIG)).hasMessageEndingWith(
                "failed: invalid argument: device is already in the domain configuration");
        lv.attach("web2", GPU, Mode.CONFIG);
        assertThat(lv.devices("web2", false)).as("libvirt checks other domains only when one starts").containsExactly(GPU);
    }

    @Test
    void anInjectedAttachErrorIsLibvirtsWordsAndChangesNothing() {
        lv.define("db1").kvm().running().failAttach("internal error: qemu unexpectedly closed the monitor: vfio 0000:09:00.0:"
                + " failed to setup container for group 13");

        assertThatThrownBy(() -> lv.attach("db1", GPU, Mode.LIVE)).isInstanceOf(GuestException.class).hasMessage(
                "attaching 0000:09:00.0 to db1 (live) on " + URI + " failed: internal error: qemu unexpectedly closed the"
                        + " monitor: vfio 0000:09:00.0: failed to setup container for group 13");
        assertThat(lv.devices("db1", true)).isEmpty();
        assertThat(lv.calls()).containsExactly("attach db1 0000:09:00.0 live");
    }

    @Test
    void anUnknownDomainIsNotFound() {
        assertThatThrownBy(() -> lv.attach("nope", GPU, Mode.LIVE)).hasMessageEndingWith(
                "failed: Domain not found: no domain with matching name 'nope'");
        assertThatThrownBy(() -> lv.detach("nope", GPU, Mode.LIVE)).hasMessageEndingWith(
                "failed: Domain not found: no domain with matching name 'nope'");
        assertThat(lv.devices("nope", true)).isEmpty();
    }

    @Test
    void aDetachLeavesAtOnceByDefaultAndADeviceNotHeldIsNotFound() {
        lv.define("web1").xen().passthrough().running().hostdev(GPU, false);

        lv.detach("web1", GPU, Mode.LIVE_CONFIG);

        assertThat(lv.devices("web1", true)).isEmpty();
        assertThat(lv.devices("web1", false)).isEmpty();
        assertThatThrownBy(() -> lv.detach("web1", GPU, Mode.LIVE)).hasMessage("detaching 0000:09:00.0 from web1 (live) on "
                + URI + " failed: operation failed: host pci device 0000:09:00.0 not found");
        assertThatThrownBy(() -> lv.detach("web1", GPU, Mode.CONFIG)).hasMessageEndingWith(
                "failed: invalid argument: device not present in domain configuration");
    }

    @Test
    void aGuestThatNeverAnswersTheUnplugKeepsTheDeviceLive() {
        lv.define("db1").kvm().running().hostdev(GPU, false).detachNeverLeaves();

        lv.detach("db1", GPU, Mode.LIVE_CONFIG);

        for (int i = 0; i < 5; i++) {
            assertThat(lv.devices("db1", true)).containsExactly(GPU);
        }
        assertThat(lv.devices("db1", false)).as("the definition changed at once").isEmpty();
        assertThat(lv.assigned()).containsExactly(new Hostdev("db1", GPU, true, false, false));
    }

    @Test
    void aSlowGuestLetsGoAfterNReads() {
        lv.define("db1").kvm().running().hostdev(GPU, false).detachLeavesAfterReads(2);

        lv.detach("db1", GPU, Mode.LIVE);

        assertThat(lv.devices("db1", true)).containsExactly(GPU);
        assertThat(lv.devices("db1", true)).containsExactly(GPU);
        assertThat(lv.devices("db1", true)).isEmpty();
        assertThat(lv.devices("db1", false)).as("a live detach leaves the definition alone").containsExactly(GPU);
    }

    @Test
    void aDomainCanVanishAfterACallOrBeRemoved() {
        lv.define("web1").xen().passthrough().running().vanishOn("attach");
        lv.define("db1").kvm().running().hostdev(NIC, false).vanishOn("detach");
        lv.define("db2").kvm().running().hostdev(AUDIO, false);

        lv.attach("web1", GPU, Mode.LIVE);
        lv.detach("db1", NIC, Mode.LIVE);
        lv.remove("db2");

        assertThat(lv.domain("web1")).isNull();
        assertThat(lv.domain("db1")).isNull();
        assertThat(lv.domainNames()).isEmpty();
        assertThat(lv.devices("web1", true)).isEmpty();
        assertThat(lv.assigned()).isEmpty();
    }

    @Test
    void externalHostdevsShowWithTheirManagedFlag() {
        lv.define("by-virt-manager").kvm().hostdev(NIC, true);
        lv.define("web1").xen().passthrough().running().hostdev(GPU, false).liveHostdev(AUDIO, false);

        assertThat(lv.assigned()).containsExactly(new Hostdev("by-virt-manager", NIC, false, true, true),
                new Hostdev("web1", GPU, true, true, false), new Hostdev("web1", AUDIO, true, false, false));
    }

    @Test
    void guestNamesAreCheckedAsTheRealBackendChecksThem() {
        assertThatThrownBy(() -> lv.attach("a'b", GPU, Mode.LIVE)).isInstanceOf(PcipassException.BadInput.class);
        assertThatThrownBy(() -> lv.domain("$(id)")).isInstanceOf(PcipassException.BadInput.class);
        assertThat(lv.calls()).isEmpty();
    }

    @Test
    void backendsOpenTheFakeOnTheUriAskedForAndCheckIt() {
        GuestBackend b = lv.backends().open("libvirt", "xen:///system");
        assertThat(b.uri()).isEqualTo("xen:///system");
        assertThat(lv.backends().xlAnswers()).isFalse();
        assertThatThrownBy(() -> lv.backends().open("libvirt", "xen:///system\n")).isInstanceOf(PcipassException.BadInput.class);
        assertThatThrownBy(() -> lv.backends().open("xl", null)).isInstanceOf(GuestException.class);
        lv.unreachable("Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory");
        assertThatThrownBy(() -> lv.backends().open("libvirt", "qemu:///system")).isInstanceOf(GuestException.class)
                .hasMessageStartingWith("cannot connect to libvirt at qemu:///system: Failed to connect socket to"
                        + " '/var/run/libvirt/libvirt-sock': No such file or directory; check that libvirtd");
        assertThat(lv.calls()).containsExactly("open xen:///system", "open qemu:///system");
    }

    @Test
    void twoInstancesOnOneDirectoryShareEverything() {
        FakeLibvirt other = FakeLibvirt.at(tmp.resolve("libvirt"));
        lv.define("web1").xen().passthrough().running();

        other.attach("web1", GPU, Mode.LIVE);
        other.edit("web1").detachLeavesAfterReads(1);
        lv.detach("web1", GPU, Mode.LIVE);

        assertThat(other.devices("web1", true)).containsExactly(GPU);
        assertThat(lv.devices("web1", true)).as("the second instance's read counted too").isEmpty();
        assertThat(other.calls()).isEqualTo(lv.calls()).hasSize(2);
        assertThatThrownBy(() -> FakeLibvirt.at(tmp.resolve("libvirt")).edit("db9")).hasMessage(
                "FakeLibvirt has no domain db9; define it first");
    }

    /** Processes racing to attach one device to different running domains: libvirt lets exactly one have it. */
    @Test
    void processesRacingForOneDeviceGetOneWinner() {
        Path dir = tmp.resolve("libvirt");
        for (int i = 0; i < 4; i++) {
            lv.define("g" + i).kvm().running();
        }
        List<ChildPcipass> children = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            children.add(ChildPcipass.startMain(FakeLibvirtMain.class, Map.of(),
                    List.of(dir.toString(), "qemu:///system", "attach", "g" + i, GPU.toString(), "live")));
        }
        int winners = 0;
        for (ChildPcipass c : children) {
            try (c) {
                ChildPcipass.Outcome o = c.waitFor(Duration.ofSeconds(60));
                if (o.exitCode() == 0) {
                    assertThat(o.stdout()).isEqualTo("ok\n");
                    winners++;
                } else {
                    assertThat(o.stdout()).contains("is in use by driver QEMU, domain g");
                }
            }
        }
        assertThat(winners).isEqualTo(1);
        assertThat(lv.assigned()).hasSize(1);
        assertThat(lv.calls()).filteredOn(c -> c.startsWith("attach")).hasSize(4);
    }
}
