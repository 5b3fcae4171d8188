package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.pcipass.pci.PciAddress;

class HostdevXmlTest {
    private static final PciAddress NIC = PciAddress.parse("0000:09:00.0");

    @Test
    void aXenHostdevIsUnmanagedWithTheXenDriver() {
        assertThat(HostdevXml.hostdev(NIC, true, false)).isEqualTo("""
                <hostdev mode='subsystem' type='pci' managed='no'>
                  <driver name='xen'/>
                  <source>
                    <address domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>
                  </source>
                </hostdev>""");
    }

    @Test
    void aKvmHostdevHasNoDriverElement() {
        assertThat(HostdevXml.hostdev(PciAddress.parse("0000:af:1f.7"), false, false)).isEqualTo("""
                <hostdev mode='subsystem' type='pci' managed='no'>
                  <source>
                    <address domain='0x0000' bus='0xaf' slot='0x1f' function='0x7'/>
                  </source>
                </hostdev>""");
    }

    @Test
    void managedYesOnlyWhenAsked() {
        assertThat(HostdevXml.hostdev(NIC, false, true)).startsWith("<hostdev mode='subsystem' type='pci' managed='yes'>\n");
        assertThat(HostdevXml.hostdev(NIC, true, true)).contains("managed='yes'").contains("<driver name='xen'/>");
    }

    @Test
    void aVmdDomainKeepsAllItsDigits() {
        assertThat(HostdevXml.address(PciAddress.parse("10000:e1:00.3")))
                .isEqualTo("<address domain='0x10000' bus='0xe1' slot='0x00' function='0x3'/>");
    }

    @Test
    void escapeAttrEscapesMarkupQuotesAndLineBreaks() {
        assertThat(TestDomains.escapeAttr("a&b<c>'d\"e\tf\ng\rh")).isEqualTo("a&amp;b&lt;c&gt;&apos;d&quot;e&#9;f&#10;g&#13;h");
        assertThat(TestDomains.escapeAttr("web-1.example_2+x")).isEqualTo("web-1.example_2+x");
        assertThat(TestDomains.escapeAttr("gpu \uD83D\uDE80")).isEqualTo("gpu \uD83D\uDE80");
    }

    @Test
    void escapeAttrRefusesWhatXmlCannotCarry() {
        assertThatThrownBy(() -> TestDomains.escapeAttr("a\u0000b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("character U+0000 at index 1 cannot be written in XML");
        assertThatThrownBy(() -> TestDomains.escapeAttr("\u001b[31m")).hasMessageContaining("U+001B at index 0");
        assertThatThrownBy(() -> TestDomains.escapeAttr("x\uD800")).hasMessageContaining("U+D800 at index 1");
        assertThatThrownBy(() -> TestDomains.escapeAttr("\uDC00x")).hasMessageContaining("U+DC00 at index 0");
        assertThatThrownBy(() -> TestDomains.escapeAttr("\uFFFF")).hasMessageContaining("U+FFFF");
    }

    /** Whatever the text, a parser gives it back from an attribute and from element content. */
    @Property(tries = 300)
    void escapedTextSurvivesAParser(@ForAll("xmlText") String text) {
        String xml = "<domain type='" + TestDomains.escapeAttr(text.isEmpty() ? "x" : text) + "'><name>"
                + TestDomains.escapeAttr(text.isEmpty() ? "n" : text) + "</name></domain>";
        DomainXml d = DomainXml.parse(xml);
        assertThat(d.type()).isEqualTo(text.isEmpty() ? "x" : text);
        assertThat(d.name()).isEqualTo(text.isEmpty() ? "n" : text);
    }

    /** Every address comes back from the generated element, Xen or not, managed or not. */
    @Property(tries = 300)
    void theGeneratedAddressParsesBack(@ForAll("addresses") PciAddress a, @ForAll boolean xen, @ForAll boolean managed) {
        DomainXml d = DomainXml.parse(TestDomains.kvm("g", HostdevXml.hostdev(a, xen, managed)));
        assertThat(d.hostdevs()).containsExactly(new DomainXml.PciHostdev(a, managed));
    }

    @Provide
    Arbitrary<String> xmlText() {
        return Arbitraries.strings().withChars("ab &<>'\"\t\n\r;$()`\\/").withCharRange('\u00e0', '\u00ff')
                .ofMaxLength(40);
    }

    @Provide
    Arbitrary<PciAddress> addresses() {
        return Combinators.combine(Arbitraries.longs().between(0, 0xffff_ffffL), Arbitraries.integers().between(0, 0xff),
                Arbitraries.integers().between(0, 0x1f), Arbitraries.integers().between(0, 7)).as(PciAddress::new);
    }
}
