package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;

/**
 * {@code pcipass config}'s guest formats on the fake hosts: exact stdout (only what is pasted or
 * run), warnings on stderr, exit 0 whatever the device's verdict.
 */
class ConfigGuestFormatsTest {
    static final String BNX2_XEN = """
            <hostdev mode='subsystem' type='pci' managed='no'>
              <driver name='xen'/>
              <source>
                <address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>
              </source>
            </hostdev>
            """;
    static final String E1000_XEN = """
            <hostdev mode='subsystem' type='pci' managed='no'>
              <driver name='xen'/>
              <source>
                <address domain='0x0000' bus='0x0a' slot='0x04' function='0x1'/>
              </source>
            </hostdev>
            """;
    static final String SPARE_KVM = """
            <hostdev mode='subsystem' type='pci' managed='no'>
              <source>
                <address domain='0x0000' bus='0x0b' slot='0x00' function='0x0'/>
              </source>
            </hostdev>
            """;
    static final String BNX2_ON_BNX2 = "pcipass: warning: 0000:09:00.0 is on bnx2, not pciback: ";

    @TempDir
    Path tmp;

    static Cli.Result config(FakeHost h, String... args) {
        List<String> a = new ArrayList<>(List.of("config"));
        a.addAll(List.of(args));
        Cli.Result r = ShowGroupsCheckTest.on(h, a.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r;
    }

    @Test
    void libvirtInAXenDom0IsTheXenFormAndWarnsOfADeviceNotOnPciback() {
        Cli.Result r = config(HostTrees.xenDom0(tmp), XEN_BNX2, XEN_PCIBACK, "--format", "libvirt");

        assertThat(r.out()).isEqualTo(BNX2_XEN + E1000_XEN);
        assertThat(r.err()).isEqualTo(BNX2_ON_BNX2 + "libvirt leaves a managed='no' device where it is, and the guest"
                + " needs it on pciback; first run: pcipass hide 0000:09:00.0 --driver pciback\n");
    }

    @Test
    void libvirtOnKvmIsTheKvmFormAndAReadyDeviceNeedsNoWord() {
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp), WS_SPARE_NIC, "--format", "libvirt");

        assertThat(r.out()).isEqualTo(SPARE_KVM);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void managedLeavesTheBindingToLibvirtSoNoStubWarning() {
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp), WS_GPU, WS_GPU_AUDIO, "--format", "libvirt", "--managed");

        assertThat(r.out()).isEqualTo("""
                <hostdev mode='subsystem' type='pci' managed='yes'>
                  <source>
                    <address domain='0x0000' bus='0x0a' slot='0x00' function='0x0'/>
                  </source>
                </hostdev>
                <hostdev mode='subsystem' type='pci' managed='yes'>
                  <source>
                    <address domain='0x0000' bus='0x0a' slot='0x00' function='0x1'/>
                  </source>
                </hostdev>
                """);
        assertThat(r.err()).as("both group members listed: no sibling warning either").isEmpty();
    }

    @Test
    void driverChoosesTheXenOrKvmForm() {
        Cli.Result xenOnKvm = config(HostTrees.kvmWorkstation(tmp.resolve("w")), WS_SPARE_NIC, "--format", "libvirt",
                "--driver", "pciback");
        assertThat(xenOnKvm.out()).contains("  <driver name='xen'/>\n");
        assertThat(xenOnKvm.err()).startsWith("pcipass: warning: 0000:0b:00.0 is on vfio-pci, not pciback: ");

        Cli.Result kvmOnXen = config(HostTrees.xenDom0(tmp.resolve("x")), XEN_BNX2, "--format", "virsh", "--driver",
                "vfio-pci");
        assertThat(kvmOnXen.out()).startsWith("virsh nodedev-detach pci_0000_09_00_0 --driver vfio\n")
                .doesNotContain("xen");
    }

    @Test
    void everyVerdictStillPrintsAndSaysWhatStandsInTheWay() {
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp), WS_LPC, WS_DEFAULT_NIC, WS_GPU, WS_SMBUS,
                "--format", "libvirt");

        assertThat(r.out()).contains("bus='0x00' slot='0x1f' function='0x0'", "bus='0x09' slot='0x00' function='0x0'",
                "bus='0x0a' slot='0x00' function='0x0'", "bus='0x00' slot='0x1f' function='0x4'");
        assertThat(r.errLines()).containsExactly(
                "pcipass: warning: 0000:00:1f.0 is not-endpoint: ISA/LPC bridge (class 0601): never handed to a guest",
                "pcipass: warning: 0000:09:00.0 is host-critical: carries the default route (interface enp9s0,"
                        + " through br0)",
                "pcipass: warning: 0000:0a:00.0 shares IOMMU group 13 with 0000:0a:00.1 (driver snd_hda_intel): give"
                        + " the guest both (list 0000:0a:00.1 too; pcipass hide 0000:0a:00.0 --with-group)",
                "pcipass: warning: 0000:0a:00.0 is on nouveau, not vfio-pci: libvirt leaves a managed='no' device"
                        + " where it is, and the guest needs it on vfio-pci; first run: pcipass hide 0000:0a:00.0"
                        + " --driver vfio-pci",
                "pcipass: warning: 0000:00:1f.4 is group-blocked: IOMMU group 22 also holds ISA/LPC bridge"
                        + " 0000:00:1f.0 bound to driver lpc_ich");
    }

    @Test
    void virshIsAScriptThatDetachesWritesEachFileAndAttaches() {
        Cli.Result r = config(HostTrees.xenDom0(tmp), XEN_BNX2, XEN_PCIBACK, "--format", "virsh", "--guest", "vm1");

        assertThat(r.out()).isEqualTo("virsh nodedev-detach pci_0000_09_00_0 --driver xen\n"
                + "cat > hostdev-0000_09_00_0.xml <<'EOF'\n" + BNX2_XEN + "EOF\n"
                + "virsh attach-device vm1 hostdev-0000_09_00_0.xml --live --config\n"
                + "virsh nodedev-detach pci_0000_0a_04_1 --driver xen\n"
                + "cat > hostdev-0000_0a_04_1.xml <<'EOF'\n" + E1000_XEN + "EOF\n"
                + "virsh attach-device vm1 hostdev-0000_0a_04_1.xml --live --config\n");
        assertThat(r.err()).as("the script detaches the device itself").isEmpty();
    }

    /** The script as sh runs it, with a stub virsh on PATH that records its arguments. */
    @Test
    void theVirshScriptRunsUnderShAndWritesTheXmlByteForByte() throws Exception {
        Cli.Result r = config(HostTrees.xenDom0(tmp.resolve("x")), XEN_BNX2, XEN_PCIBACK, "--format", "virsh",
                "--guest", "web-01.example");
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path virsh = Files.writeString(bin.resolve("virsh"), "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done"
                + " >> calls\necho >> calls\n");
        assertThat(virsh.toFile().setExecutable(true)).isTrue();
        Path script = Files.writeString(tmp.resolve("script.sh"), r.out());

        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-eu", script.toString()).directory(work.toFile())
                .redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());

        assertThat(p.waitFor()).as(output).isZero();
        assertThat(Files.readString(work.resolve("hostdev-0000_09_00_0.xml"))).isEqualTo(BNX2_XEN);
        assertThat(Files.readString(work.resolve("hostdev-0000_0a_04_1.xml"))).isEqualTo(E1000_XEN);
        assertThat(Files.readString(work.resolve("calls"))).isEqualTo("""
                [nodedev-detach][pci_0000_09_00_0][--driver][xen]
                [attach-device][web-01.example][hostdev-0000_09_00_0.xml][--live][--config]
                [nodedev-detach][pci_0000_0a_04_1][--driver][xen]
                [attach-device][web-01.example][hostdev-0000_0a_04_1.xml][--live][--config]
                """);
    }

    @Test
    void virshWithoutAGuestNamesThePlaceholderAndManagedDropsTheDetach() {
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp), WS_SPARE_NIC, "--format", "virsh", "--managed");

        assertThat(r.out()).isEqualTo("cat > hostdev-0000_0b_00_0.xml <<'EOF'\n"
                + SPARE_KVM.replace("managed='no'", "managed='yes'") + "EOF\n"
                + "virsh attach-device GUEST hostdev-0000_0b_00_0.xml --live --config\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "x|''|--host-device=pci_0000_09_00_0",
            "x|--managed|--host-device=pci_0000_09_00_0,xpath.set=./@managed=yes",
            "w|''|--host-device=pci_0000_09_00_0,xpath.set=./@managed=no",
            "w|--managed|--host-device=pci_0000_09_00_0"})
    void virtInstallGetsOneHostDevicePerDeviceWithManagedAsAsked(String host, String managed, String line) {
        FakeHost h = host.equals("x") ? HostTrees.xenDom0(tmp) : HostTrees.kvmWorkstation(tmp);
        List<String> args = new ArrayList<>(List.of("09:00.0", "--format", "virt-install"));
        if (!managed.isEmpty()) {
            args.add(managed);
        }
        assertThat(config(h, args.toArray(String[]::new)).out()).isEqualTo(line + "\n");
    }

    @Test
    void xlIsExactlyTheCfgLinesWithNoOtherQuote() {
        Cli.Result r = config(HostTrees.xenDom0(tmp), XEN_BNX2, XEN_PCIBACK, "--format", "xl");

        assertThat(r.out()).isEqualTo("pci = [ '0000:09:00.0', '0000:0a:04.1' ]\npassthrough = \"enabled\"\n");
        assertThat(r.out().chars().filter(c -> c == '\'').count()).isEqualTo(4);
        assertThat(r.errLines()).containsExactly(BNX2_ON_BNX2 + "xl gives guests only devices pciback holds; first"
                        + " run: pcipass hide 0000:09:00.0 --driver pciback",
                "pcipass: note: add these lines to the guest's xl.cfg; they take effect when it is next created"
                        + " (xl create); for a running guest use --format xl-attach");
    }

    @Test
    void xlNamesTheGuestOnStderrOnlyAndTakesAnyHostsDevices() {
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp), WS_SPARE_NIC, "--format", "xl", "--guest", "vm1");

        assertThat(r.out()).isEqualTo("pci = [ '0000:0b:00.0' ]\npassthrough = \"enabled\"\n");
        assertThat(r.errLines()).containsExactly("pcipass: warning: 0000:0b:00.0 is on vfio-pci, not pciback: xl gives"
                        + " guests only devices pciback holds; first run: pcipass hide 0000:0b:00.0 --driver pciback",
                "pcipass: note: add these lines to vm1's xl.cfg; they take effect when vm1 is next created"
                        + " (xl create); for a running guest use --format xl-attach");
    }

    @Test
    void xlAttachIsTheCommandsAndSaysPcibackMustHoldTheDevice() {
        FakeHost x = HostTrees.xenDom0(tmp);
        Cli.Result r = config(x, XEN_BNX2, XEN_PCIBACK, "--format", "xl-attach", "--guest", "vm1");

        assertThat(r.out()).isEqualTo("xl pci-attach vm1 0000:09:00.0\nxl pci-attach vm1 0000:0a:04.1\n");
        assertThat(r.errLines()).containsExactly(BNX2_ON_BNX2 + "xl gives guests only devices pciback holds; first"
                + " run: pcipass hide 0000:09:00.0 --driver pciback");
        assertThat(config(x, XEN_PCIBACK, "--format", "xl-attach").out()).isEqualTo("xl pci-attach GUEST 0000:0a:04.1\n");
    }

    static final String RHEL53_HVM = "etc/redhat-release says Red Hat Enterprise Linux Server release 5.3 (Tikanga):"
            + " HVM (fully virtualized) guests can be given PCI devices from RHEL 5.4 on, para-virtualized guests on any"
            + " RHEL 5; update to RHEL 5.4 or newer before giving these devices to an HVM guest";

    @Test
    void aRhel5RootOlderThan54WarnsThatHvmGuestsCannotHaveDevices() {
        FakeHost h = HostTrees.rhel5Root(tmp);
        String warning = "pcipass: warning: " + h.configRoot().resolve(RHEL53_HVM);
        for (String format : List.of("libvirt", "virsh", "virt-install", "xl", "xl-attach")) {
            Cli.Result r = config(h, R5_BNX2, "--format", format);
            assertThat(r.errLines()).as(format).contains(warning);
            assertThat(r.out()).as(format).doesNotContain("RHEL");
        }
        assertThat(config(h, R5_BNX2, "--format", "nodedev").err()).isEmpty();
        assertThat(config(h, R5_BNX2, "--format", "modprobe").err()).isEmpty();
    }

    @Test
    void rhel54AndNewerAndOtherSystemsGetNoSuchWarning() {
        FakeHost h = HostTrees.rhel5Root(tmp.resolve("r"));
        for (String release : List.of("Red Hat Enterprise Linux Server release 5.4 (Tikanga)",
                "CentOS release 5.11 (Final)", "Fedora Core release 5 (Bordeaux)")) {
            h.rootfs().redhatRelease(release);
            assertThat(config(h, R5_BNX2, "--format", "libvirt").err()).as(release).doesNotContain("HVM");
        }
        assertThat(config(h, R5_BNX2, "--format", "libvirt").err()).isNotEmpty(); // bnx2 is still not on pciback
        assertThat(config(HostTrees.xenDom0(tmp.resolve("x")), XEN_PCIBACK, "--format", "xl").err())
                .doesNotContain("HVM");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "xl|--managed|--managed applies to --format libvirt, virsh and virt-install (libvirt's managed='yes'), not"
                    + " to --format xl; leave it out",
            "modprobe|--managed|--managed applies to --format libvirt, virsh and virt-install (libvirt's"
                    + " managed='yes'), not to --format modprobe; leave it out",
            "nodedev|--driver=vfio-pci|--driver does not apply to --format nodedev: it describes the device as it is;"
                    + " leave --driver out",
            "xl-attach|--driver=vfio-pci|--driver vfio-pci does not apply to --format xl-attach: xl gives guests only"
                    + " devices pciback holds; give --driver pciback or leave it out",
            "virsh|--driver=pci-stub|--driver pci-stub does not apply to --format virsh: libvirt gives KVM guests"
                    + " devices from vfio-pci and Xen guests devices from pciback; give --driver vfio-pci or --driver"
                    + " pciback",
            "libvirt|--driver=nouveau|--driver 'nouveau' is not a stub driver; give pciback, vfio-pci or pci-stub"})
    void optionsThatDoNotFitTheFormatAreBadInput(String format, String option, String message) {
        Cli.Result r = ShowGroupsCheckTest.on(HostTrees.xenDom0(tmp), "config", "09:00.0", "--format", format, option);

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("pcipass: " + message + "\n");
    }

    @Test
    void anUnknownDeviceIsBadInput() {
        Cli.Result r = ShowGroupsCheckTest.on(HostTrees.xenDom0(tmp), "config", "0000:42:00.0", "--format", "xl");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("pcipass: no PCI device 0000:42:00.0 under ");
    }
}
