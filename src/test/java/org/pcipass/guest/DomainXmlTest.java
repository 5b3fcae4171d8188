package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.guest.DomainXml.PciHostdev;
import org.pcipass.pci.PciAddress;

class DomainXmlTest {
    @TempDir
    Path tmp;

    private static PciHostdev hd(String address, boolean managed) {
        return new PciHostdev(PciAddress.parse(address), managed);
    }

    /** What libvirt's libxl driver gives for a running PV guest (trimmed), with a device pcipass attached. */
    @Test
    void aXenPvGuestWithPassthroughAndLibosinfo() {
        DomainXml d = DomainXml.parse("""
                <domain type='xen' id='3'>
                  <name>web1</name>
                  <uuid>440a4890-3ec5-4626-b830-3fe804cb8cb7</uuid>
                  <metadata>
                    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                      <libosinfo:os id="http://redhat.com/rhel/6.10"/>
                    </libosinfo:libosinfo>
                  </metadata>
                  <memory unit='KiB'>524288</memory>
                  <os>
                    <type arch='x86_64' machine='xenpv'>linux</type>
                    <kernel>/boot/vmlinuz</kernel>
                  </os>
                  <features>
                    <xen>
                      <passthrough state='on' mode='sync_pt'/>
                    </xen>
                  </features>
                  <devices>
                    <disk type='file' device='disk'>
                      <source file='/var/lib/xen/web1.img'/>
                      <target dev='xvda' bus='xen'/>
                    </disk>
                    <hostdev mode='subsystem' type='pci' managed='no'>
                      <driver name='xen'/>
                      <source>
                        <address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>
                      </source>
                    </hostdev>
                  </devices>
                </domain>
                """);
        assertThat(d.name()).isEqualTo("web1");
        assertThat(d.type()).isEqualTo("xen");
        assertThat(d.xen()).isTrue();
        assertThat(d.osType()).isEqualTo("linux");
        assertThat(d.paravirtualized()).isTrue();
        assertThat(d.xenPassthrough()).isTrue();
        assertThat(d.osId()).isEqualTo("http://redhat.com/rhel/6.10");
        assertThat(d.hostdevs()).containsExactly(hd("0000:09:00.0", false));
    }

    @Test
    void aKvmGuestWithDecimalOctalAndHexAddressesManagedOrNot() {
        DomainXml d = DomainXml.parse("""
                <domain type='kvm'>
                  <name>db1</name>
                  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
                  <devices>
                    <hostdev mode='subsystem' type='pci' managed='yes'>
                      <source><address domain='0' bus='9' slot='0' function='1'/></source>
                      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
                    </hostdev>
                    <hostdev mode='subsystem' type='pci'>
                      <source><address domain='0x0000' bus='0xAF' slot='0x1F' function='0x7'/></source>
                    </hostdev>
                    <hostdev mode='subsystem' type='pci' managed='no'>
                      <source><address bus='010' slot='0x2' function='0'/></source>
                    </hostdev>
                    <hostdev mode='subsystem' type='usb' managed='yes'>
                      <source><vendor id='0x1234'/><product id='0xbeef'/></source>
                    </hostdev>
                    <hostdev mode='capabilities' type='storage'>
                      <source><block>/dev/sdf1</block></source>
                    </hostdev>
                    <interface type='hostdev' managed='yes'>
                      <source><address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x2'/></source>
                    </interface>
                    <interface type='network'>
                      <source network='default'/>
                      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
                    </interface>
                  </devices>
                </domain>
                """);
        assertThat(d.xen()).isFalse();
        assertThat(d.paravirtualized()).isFalse();
        assertThat(d.xenPassthrough()).isFalse();
        assertThat(d.osId()).isNull();
        assertThat(d.hostdevs()).as("PCI hostdevs and VF interfaces only; the guest-side <address> is not the device")
                .containsExactly(hd("0000:09:00.1", true), hd("0000:af:1f.7", false), hd("0000:08:02.0", false),
                        hd("0000:3b:10.2", true));
    }

    @Test
    void xenHvmAndTheOlderPvNameAndAPassthroughTurnedOff() {
        assertThat(DomainXml.parse("<domain type='xen'><name>h</name><os><type>hvm</type></os></domain>")
                .paravirtualized()).isFalse();
        assertThat(DomainXml.parse("<domain type='xen'><name>p</name><os><type>xen</type></os></domain>")
                .paravirtualized()).isTrue();
        assertThat(DomainXml.parse("<domain type='kvm'><name>k</name><os><type>linux</type></os></domain>")
                .paravirtualized()).as("only Xen has PV guests").isFalse();
        assertThat(DomainXml.parse("""
                <domain type='xen'><name>o</name><features><xen><passthrough state='off'/></xen></features></domain>
                """).xenPassthrough()).isFalse();
    }

    @Test
    void libosinfoIsMatchedByNamespaceNotPrefix() {
        DomainXml d = DomainXml.parse("""
                <domain type='kvm'><name>n</name><metadata>
                  <os xmlns="http://example.org/other"><os id="http://example.org/not-it"/></os>
                  <osinfo:libosinfo xmlns:osinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                    <osinfo:os id="http://redhat.com/rhel/5.4"/>
                  </osinfo:libosinfo>
                </metadata></domain>
                """);
        assertThat(d.osId()).isEqualTo("http://redhat.com/rhel/5.4");
    }

    @Test
    void hostileNamesAreReadAsTextNeverAsMarkup() {
        DomainXml d = DomainXml.parse("<domain type='test'><name>evil&apos;&lt;x&gt;&amp;&quot;y;$(rm -rf /)`id`"
                + "</name></domain>");
        assertThat(d.name()).isEqualTo("evil'<x>&\"y;$(rm -rf /)`id`");
        assertThat(d.hostdevs()).isEmpty();
    }

    @Test
    void aDoctypeIsRefusedAndNoEntityIsExpanded() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret"), "TOP-SECRET");
        String external = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM '" + secret.toUri() + "'>]>"
                + "<domain type='kvm'><name>&x;</name></domain>";
        assertThatThrownBy(() -> DomainXml.parse(external)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a well-formed domain XML (line 1): ")
                .hasMessageContaining("DOCTYPE").hasMessageNotContaining("TOP-SECRET");
        String laughs = "<!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                + "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><domain type='kvm'><name>&c;</name></domain>";
        assertThatThrownBy(() -> DomainXml.parse(laughs)).hasMessageContaining("DOCTYPE");
        String parameter = "<!DOCTYPE domain SYSTEM '" + secret.toUri() + "'><domain type='kvm'><name>n</name></domain>";
        assertThatThrownBy(() -> DomainXml.parse(parameter)).hasMessageContaining("DOCTYPE");
    }

    @Test
    void anUndeclaredEntityIsAnError() {
        assertThatThrownBy(() -> DomainXml.parse("<domain type='kvm'><name>&x;</name></domain>"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"x\"");
    }

    @Test
    void brokenDocumentsSayWhatIsWrongInOneLine() {
        assertThatThrownBy(() -> DomainXml.parse("<domain type='kvm'><name>n</name>"))
                .hasMessageStartingWith("not a well-formed domain XML (line 1): ").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> DomainXml.parse("<network><name>n</name></network>"))
                .hasMessage("the root element is <network>, not <domain>");
        assertThatThrownBy(() -> DomainXml.parse("<domain><name>n</name></domain>"))
                .hasMessage("the <domain> has no type");
        assertThatThrownBy(() -> DomainXml.parse("<domain type='kvm'></domain>")).hasMessage("the <domain> has no <name>");
    }

    @Test
    void anAddressOutOfRangeOrNotANumberIsNamed() {
        String bus = "<domain type='kvm'><name>n</name><devices><hostdev mode='subsystem' type='pci'><source>"
                + "<address domain='0x0000' bus='0x100' slot='0x00' function='0x0'/></source></hostdev></devices></domain>";
        assertThatThrownBy(() -> DomainXml.parse(bus)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("hostdev address domain='0x0000' bus='0x100' slot='0x00' function='0x0': ")
                .hasMessageContaining("bus");
        String text = bus.replace("0x100", "nine");
        assertThatThrownBy(() -> DomainXml.parse(text)).hasMessageContaining("bus 'nine' is not a number");
        String negative = bus.replace("0x100", "-1");
        assertThatThrownBy(() -> DomainXml.parse(negative)).hasMessageContaining("bus '-1' is not an unsigned number");
    }
}
