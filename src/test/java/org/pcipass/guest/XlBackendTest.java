package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.testing.HostTrees.XEN_BNX2;
import static org.pcipass.testing.HostTrees.XEN_PCIBACK;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;
import org.pcipass.host.CommandRunner.Result;
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.FakeXl;
import org.pcipass.testing.HostTrees;

/** XlBackend against the fake xl: each call, the domain as pcipass reads it, and xl's refusals in its own words. */
class XlBackendTest {
    static final PciAddress DEV = PciAddress.parse("0000:09:00.0");
    static final PciAddress OTHER = PciAddress.parse("0000:06:01.0");

    @TempDir
    Path tmp;
    FakeXl xl;
    XlBackend backend;

    @BeforeEach
    void setUp() {
        xl = FakeXl.at(tmp.resolve("xl"));
        backend = new XlBackend(xl);
    }

    @Test
    void namesItselfXlWithoutAUri() {
        assertThat(backend.name()).isEqualTo("xl");
        assertThat(backend.uri()).isNull();
    }

    @Test
    void aDomainRunsIsNeverPersistentAndIsPvFromItsType() {
        xl.domain("web1").pv().passthrough("enabled").create().domain("win").hvm().create().domain("box").pvh().create();
        assertThat(backend.domain("web1")).isEqualTo(new Domain("web1", "xen", true, false, true, true, null));
        assertThat(backend.domain("win")).isEqualTo(new Domain("win", "xen", true, false, false, false, null));
        assertThat(backend.domain("box").paravirtualized()).isFalse();
        assertThat(xl.calls()).first().isEqualTo(List.of("xl", "list", "-l", "--", "web1"));
    }

    @ParameterizedTest(name = "passthrough {0}, created with a device {1}: hot-plug ready {2}")
    @CsvSource(nullValues = "absent", value = {
        "enabled, false, true", "sync_pt, false, true", "share_pt, false, true", "disabled, false, false",
        "absent, false, false", "default, false, false", "absent, true, true", "sync_pt, true, true",
        "future_pt, false, absent", "future_pt, true, true"})
    void hotplugReadinessFollowsPcidevsAndPassthrough(String passthrough, boolean withDevice, Boolean ready) {
        FakeXl.DomainBuilder b = xl.domain("g").passthrough(passthrough);
        if (withDevice) {
            b.pci(OTHER.toString());
        }
        b.create();
        assertThat(backend.domain("g").hotplugReady()).isEqualTo(ready);
    }

    @Test
    void aHotPluggedDeviceCountsAsPcidevs() {
        xl.domain("g").passthrough("enabled").create();
        backend.attach("g", DEV, Mode.LIVE);
        assertThat(XlBackend.hotplugReady(new XlOutput.Config(1, "g", "pv", null, List.of(DEV)))).isTrue();
        assertThat(backend.domain("g").hotplugReady()).isTrue();
    }

    @Test
    void anUnknownGuestIsNoDomain() {
        assertThat(backend.domain("web9")).isNull();
    }

    @Test
    void xlThatCannotReachXenIsAGuestExceptionInItsOwnWords() {
        xl.noHypervisor();
        assertThatThrownBy(() -> backend.domain("web1")).isInstanceOf(GuestException.class)
                .hasMessage("xl list -l -- web1 failed (exit 1): cannot open libxc handle: No such file or directory");
        assertThat(backend.xenIommuActive()).isNull();
    }

    @Test
    void attachIsPciAttachOfTheCanonicalAddressAndPciListShowsIt() {
        xl.domain("web1").passthrough("enabled").create();
        backend.attach("web1", DEV, Mode.LIVE);
        assertThat(xl.calls()).last().isEqualTo(List.of("xl", "pci-attach", "--", "web1", "0000:09:00.0"));
        assertThat(backend.devices("web1", true)).containsExactly(DEV);
        assertThat(xl.calls()).last().isEqualTo(List.of("xl", "pci-list", "--", "web1"));
    }

    @Test
    void attachToAGuestCreatedWithoutPassthroughIsXensEopnotsupp() {
        xl.domain("plain").create().domain("win").hvm().passthrough("disabled").create();
        assertThatThrownBy(() -> backend.attach("plain", DEV, Mode.LIVE)).isInstanceOf(GuestException.class)
                .hasMessage("xl pci-attach -- plain 0000:09:00.0 failed (exit 1): xc_assign_device failed: Operation"
                        + " not supported");
        assertThatThrownBy(() -> backend.attach("win", DEV, Mode.LIVE)).isInstanceOf(GuestException.class)
                .hasMessage("xl pci-attach -- win 0000:09:00.0 failed (exit 1): PCI device 0000:09:00.0 cannot be"
                        + " assigned - no IOMMU?");
        assertThat(backend.devices("plain", true)).isEmpty();
    }

    @Test
    void attachOfADeviceAnotherGuestHasIsNotAssignable() {
        xl.domain("a").pci(DEV.toString()).create().domain("b").passthrough("enabled").create();
        assertThatThrownBy(() -> backend.attach("b", DEV, Mode.LIVE))
                .hasMessage("xl pci-attach -- b 0000:09:00.0 failed (exit 1): PCI device 0:9:0.0 is not assignable");
    }

    @Test
    void attachNeedsTheDeviceOnPcibackInTheKernelSimulatorsTree() {
        FakeHost host = HostTrees.xenDom0(tmp.resolve("host"));
        xl.sysfs(host.sysfs()).domain("web1").passthrough("enabled").create();
        assertThatThrownBy(() -> backend.attach("web1", PciAddress.parse(XEN_BNX2), Mode.LIVE))
                .hasMessage("xl pci-attach -- web1 0000:09:00.0 failed (exit 1): PCI device 0:9:0.0 is not assignable");
        backend.attach("web1", PciAddress.parse(XEN_PCIBACK), Mode.LIVE);
        assertThat(backend.devices("web1", true)).containsExactly(PciAddress.parse(XEN_PCIBACK));
    }

    @Test
    void configModesAreBadInputPointingToXlCfgAndRunNothing() {
        xl.domain("web1").passthrough("enabled").create();
        for (Mode m : List.of(Mode.CONFIG, Mode.LIVE_CONFIG)) {
            assertThatThrownBy(() -> backend.attach("web1", DEV, m)).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessage("xl keeps no persistent guest configuration, so --config cannot attach through xl: add"
                            + " it to the guest's xl.cfg ('pcipass config 0000:09:00.0 --format xl' prints the lines),"
                            + " or attach --live only");
            assertThatThrownBy(() -> backend.detach("web1", DEV, m)).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessageContaining("--config cannot detach through xl: remove it from the pci line");
        }
        assertThat(xl.calls()).isEmpty();
    }

    @Test
    void detachIsPciDetachAndTheDeviceLeavesPciList() {
        xl.domain("web1").pci(DEV.toString(), OTHER.toString()).create();
        backend.detach("web1", DEV, Mode.LIVE);
        assertThat(xl.calls()).last().isEqualTo(List.of("xl", "pci-detach", "--", "web1", "0000:09:00.0"));
        assertThat(backend.devices("web1", true)).containsExactly(OTHER);
    }

    @Test
    void detachOfADeviceTheGuestDoesNotHaveIsXlsError() {
        xl.domain("web1").passthrough("enabled").create();
        assertThatThrownBy(() -> backend.detach("web1", DEV, Mode.LIVE)).isInstanceOf(GuestException.class)
                .hasMessage("xl pci-detach -- web1 0000:09:00.0 failed (exit 1): PCI device not attached to this"
                        + " domain");
    }

    @Test
    void aPvGuestThatNeverReleasesKeepsTheDeviceInPciListThoughXlSucceeded() {
        xl.domain("stuck").pci(DEV.toString()).neverReleases().create();
        backend.detach("stuck", DEV, Mode.LIVE);
        assertThat(backend.devices("stuck", true)).containsExactly(DEV);
        assertThat(backend.devices("stuck", true)).containsExactly(DEV);
        xl.release("stuck");
        assertThat(backend.devices("stuck", true)).isEmpty();
    }

    @Test
    void anHvmGuestThatNeverReleasesIsXlsTimeout() {
        xl.domain("win").hvm().pci(DEV.toString()).neverReleases().create();
        assertThatThrownBy(() -> backend.detach("win", DEV, Mode.LIVE)).isInstanceOf(GuestException.class)
                .hasMessage("xl pci-detach -- win 0000:09:00.0 failed (exit 1): timed out waiting for DM to remove"
                        + " pci-pt-09_00.0");
        assertThat(backend.devices("win", true)).containsExactly(DEV);
    }

    @Test
    void aSlowGuestReleasesAfterSomePciListCalls() {
        xl.domain("slow").pci(DEV.toString()).releasesAfter(2).create();
        backend.detach("slow", DEV, Mode.LIVE);
        assertThat(backend.devices("slow", true)).containsExactly(DEV);
        assertThat(backend.devices("slow", true)).containsExactly(DEV);
        assertThat(backend.devices("slow", true)).isEmpty();
    }

    @Test
    void devicesOfThePersistentDefinitionAreNoneAndAskNothing() {
        xl.domain("web1").pci(DEV.toString()).create();
        assertThat(backend.devices("web1", false)).isEmpty();
        assertThat(xl.calls()).isEmpty();
    }

    @Test
    void devicesOfAnUnknownGuestIsXlsInvalidDomainIdentifier() {
        assertThatThrownBy(() -> backend.devices("web9", true)).isInstanceOf(GuestException.class)
                .hasMessage("xl pci-list -- web9 failed (exit 1): web9 is an invalid domain identifier (rc=-6)");
    }

    @Test
    void assignedIsPciListOfEveryDomainButDom0AskedById() {
        xl.domain("web1").passthrough("enabled").create().domain("db 2").hvm().pci(OTHER.toString()).create()
                .domain("idle").create();
        backend.attach("web1", DEV, Mode.LIVE);
        assertThat(backend.assigned()).containsExactly(new Hostdev("web1", DEV, true, false, false),
                new Hostdev("db 2", OTHER, true, false, false));
        assertThat(xl.calls()).contains(List.of("xl", "list"), List.of("xl", "pci-list", "--", "2"))
                .doesNotContain(List.of("xl", "pci-list", "--", "0"));
    }

    @Test
    void anHvmGuestsStubDomainIsNotASecondOwner() {
        xl.domain("win").hvm().pci(DEV.toString()).create().domain("win-dm").pci(DEV.toString()).create()
                .domain("odd-dm").pci(OTHER.toString()).create();
        assertThat(backend.assigned()).containsExactly(new Hostdev("win", DEV, true, false, false),
                new Hostdev("odd-dm", OTHER, true, false, false));
    }

    @Test
    void xensIommuFromVirtCaps() {
        assertThat(backend.xenIommuActive()).isTrue();
        xl.iommu(false);
        assertThat(backend.xenIommuActive()).isFalse();
        assertThat(xl.calls()).containsExactly(List.of("xl", "info"), List.of("xl", "info"));
    }

    @Test
    void aHostileGuestNameReachesXlAsOneUntouchedArgument() {
        // GuestName refuses this before any backend; XlBackend must still never split or quote it
        String hostile = "web1; rm -rf / $(reboot) `id` 'q' \"d\" <x> & |y\nz";
        assertThat(backend.domain(hostile)).isNull();
        assertThatThrownBy(() -> backend.attach(hostile, DEV, Mode.LIVE)).isInstanceOf(GuestException.class);
        assertThatThrownBy(() -> backend.detach(hostile, DEV, Mode.LIVE)).isInstanceOf(GuestException.class);
        assertThatThrownBy(() -> backend.devices(hostile, true)).isInstanceOf(GuestException.class);
        assertThat(xl.calls()).containsExactly(List.of("xl", "list", "-l", "--", hostile),
                List.of("xl", "pci-attach", "--", hostile, "0000:09:00.0"),
                List.of("xl", "pci-detach", "--", hostile, "0000:09:00.0"), List.of("xl", "pci-list", "--", hostile));
    }

    @Test
    void aNameStartingWithADashIsNeverReadAsAnOption() {
        xl.domain("-f").passthrough("enabled").create();
        backend.attach("-f", DEV, Mode.LIVE);
        assertThat(xl.pciList("-f")).containsExactly("0000:09:00.0");
    }

    @Test
    void anAllDigitNameIsBadInputBecauseXlReadsItAsADomainId() {
        xl.domain("web1").passthrough("enabled").create();
        assertThatThrownBy(() -> backend.attach("1", DEV, Mode.LIVE)).isInstanceOf(PcipassException.BadInput.class)
                .hasMessage("guest name '1' is all digits, which xl reads as domain id 1, not a name; give such a guest"
                        + " through libvirt (--via libvirt) or rename it");
        assertThat(xl.calls()).isEmpty();
    }

    /** A runner answering from a script: argv joined by spaces → result; anything else is not found. */
    static CommandRunner scripted(Map<String, Result> answers) {
        return new CommandRunner() {
            @Override
            public Result run(List<String> argv) {
                return answers.getOrDefault(String.join(" ", argv), new Result(-1, "",
                        "Cannot run program \"" + argv.get(0) + "\": error=2, No such file or directory"));
            }

            @Override
            public boolean available(String program) {
                return false;
            }
        };
    }

    @Test
    void withoutVirtCapsXensDmesgLineDecides() {
        Result info = new Result(0, "xen_major              : 4\n", "");
        XlBackend b = new XlBackend(scripted(Map.of("xl info", info,
                "xl dmesg", new Result(0, "(XEN) I/O virtualisation disabled\n", ""))));
        assertThat(b.xenIommuActive()).isFalse();
        b = new XlBackend(scripted(Map.of("xl info", info, "xl dmesg", new Result(0, "(XEN) Brought up 2 CPUs\n", ""))));
        assertThat(b.xenIommuActive()).as("the ring lost the boot lines").isNull();
    }

    @Test
    void xlNotInstalledCouldNotBeRun() {
        assertThatThrownBy(() -> new XlBackend(scripted(Map.of())).devices("web1", true))
                .isInstanceOf(GuestException.class).hasMessage("xl pci-list -- web1 could not be run: Cannot run"
                        + " program \"xl\": error=2, No such file or directory");
    }

    @Test
    void aDomainWhoseStoredConfigurationLibxlCannotReadIsAnError() {
        // xl_info.c list_domains_details(): libxl_retrieve_domain_configuration failed, so "continue"
        XlBackend b = new XlBackend(scripted(Map.of("xl list -l -- web1", new Result(0, "[\n]\n",
                "libxl: error: libxl_domain.c:2335:libxl_retrieve_domain_configuration: Domain 3:Fail to get domain"
                        + " configuration\n"))));
        assertThatThrownBy(() -> b.domain("web1")).isInstanceOf(GuestException.class)
                .hasMessage("xl list -l -- web1 printed no configuration for the domain (libxl could not read its"
                        + " stored configuration: Fail to get domain configuration)");
    }

    @Test
    void aListRowPcipassCannotReadStopsAssigned() {
        XlBackend b = new XlBackend(scripted(Map.of("xl list", new Result(0, "Name ID\nweb1 ?\n", ""))));
        assertThatThrownBy(b::assigned).isInstanceOf(GuestException.class)
                .hasMessage("xl list printed a line pcipass cannot read: 'web1 ?'");
    }
}
