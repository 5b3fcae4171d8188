package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.host.CommandRunner;
import org.pcipass.pci.PciAddress;

/**
 * Acceptance a (domain part): the generated hostdev, inside a minimal Xen and a minimal KVM domain,
 * passes libvirt's own RelaxNG schema through {@code virt-xml-validate FILE domain} (Debian's
 * libvirt-clients with libxml2-utils). Under CI=true the tool must be there.
 */
class DomainSchemaTest {
    private static final PciAddress GPU = PciAddress.parse("0000:09:00.0");
    private static final PciAddress AUDIO = PciAddress.parse("0000:09:00.1");
    private static final PciAddress VMD = PciAddress.parse("10000:e1:00.0");

    @TempDir
    Path tmp;

    @BeforeAll
    static void validatorPresent() {
        boolean present = CommandRunner.SYSTEM.available("virt-xml-validate") && CommandRunner.SYSTEM.available("xmllint");
        assertThat(present || !Cli.CI).as("virt-xml-validate and xmllint on PATH (required under CI=true:"
                + " apt install libvirt-clients libxml2-utils)").isTrue();
        assumeTrue(present, "virt-xml-validate or xmllint missing (apt install libvirt-clients libxml2-utils)");
    }

    private CommandRunner.Result validate(String name, String xml) throws Exception {
        Path f = Files.writeString(tmp.resolve(name + ".xml"), xml);
        return CommandRunner.SYSTEM.run(List.of("virt-xml-validate", f.toString(), "domain"));
    }

    private void assertValid(String name, String xml) throws Exception {
        CommandRunner.Result r = validate(name, xml);
        assertThat(r.exitCode()).as("virt-xml-validate on %s:%n%s%n%s%s", name, xml, r.stdout(), r.stderr()).isZero();
    }

    @Test
    void xenPvDomainWithUnmanagedHostdevsValidates() throws Exception {
        assertValid("xen", TestDomains.xenPv("web1", TestDomains.hostdevs(true, GPU, AUDIO, VMD)));
    }

    @Test
    void kvmDomainWithUnmanagedHostdevsValidates() throws Exception {
        assertValid("kvm", TestDomains.kvm("db1", TestDomains.hostdevs(false, GPU, AUDIO, VMD)));
    }

    @Test
    void managedHostdevsValidateToo() throws Exception {
        assertValid("managed-xen", TestDomains.xenPv("web2", HostdevXml.hostdev(GPU, true, true)));
        assertValid("managed-kvm", TestDomains.kvm("db2", HostdevXml.hostdev(GPU, false, true)));
    }

    @Test
    void aHostileNameEscapedStillValidates() throws Exception {
        assertValid("hostile", TestDomains.kvm("evil'<x>&\"y;$(id)", HostdevXml.hostdev(GPU, false, false)));
    }

    /** The check is real: a hostdev libvirt's schema does not allow is refused. */
    @Test
    void aBrokenHostdevFails() throws Exception {
        String good = HostdevXml.hostdev(GPU, false, false);
        for (String broken : List.of(good.replace("managed='no'", "managed='maybe'"),
                good.replace("function='0x0'", "function='0x8'"), good.replace("mode='subsystem'", "mode='sideways'"),
                good.replace("<source>", "<origin>").replace("</source>", "</origin>"))) {
            CommandRunner.Result r = validate("broken", TestDomains.kvm("db1", broken));
            assertThat(r.exitCode()).as("virt-xml-validate must refuse:%n%s", broken).isNotZero();
            assertThat(r.stdout() + r.stderr()).contains("fails to validate");
        }
    }
}
