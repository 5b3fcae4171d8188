package org.pcipass.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PciAddressTest {
    /** An independent statement of the accepted grammar, to judge arbitrary strings. */
    private static final Pattern VALID = Pattern.compile(
            "(?i)((?:[0-9a-f]{1,8}:)?[0-9a-f]{1,2}:[01]?[0-9a-f]\\.[0-7]"
                    + "|pci_[0-9a-f]{1,8}_[0-9a-f]{1,2}_[01]?[0-9a-f]_[0-7])");

    @Property
    void everyValidAddressRoundTripsThroughEachForm(
            @ForAll @LongRange(min = 0, max = 0xffff_ffffL) long domain,
            @ForAll @IntRange(min = 0, max = 0xff) int bus,
            @ForAll @IntRange(min = 0, max = 0x1f) int slot,
            @ForAll @IntRange(min = 0, max = 7) int function) {
        PciAddress a = new PciAddress(domain, bus, slot, function);
        assertThat(a.toString()).isEqualTo(String.format("%04x:%02x:%02x.%x", domain, bus, slot, function));
        assertThat(a.nodedevName()).isEqualTo(String.format("pci_%04x_%02x_%02x_%x", domain, bus, slot, function));
        assertThat(a.shortForm()).isEqualTo(String.format("%02x:%02x.%x", bus, slot, function));
        assertThat(PciAddress.parse(a.toString())).isEqualTo(a);
        assertThat(PciAddress.parse(a.nodedevName())).isEqualTo(a);
        assertThat(PciAddress.parse(a.toString().toUpperCase())).isEqualTo(a);
        assertThat(PciAddress.parse(a.nodedevName().toUpperCase())).isEqualTo(a);
        if (domain == 0) {
            assertThat(PciAddress.parse(a.shortForm())).isEqualTo(a);
        }
        assertThat(PciAddress.looksLikeSysfsName(a.toString())).isTrue();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 0xfff, 0xffff, 0x10000, 0xfffff, 0x100000, 0xffffff, 0x1000000, 0xffff_ffffL})
    void domainsWiderThanFourDigitsPrintInFull(long domain) {
        PciAddress a = new PciAddress(domain, 0x3a, 0x1f, 7);
        assertThat(a.toString()).isEqualTo(String.format("%04x:3a:1f.7", domain));
        assertThat(PciAddress.ofSysfsName(a.toString())).isEqualTo(a);
    }

    @Property
    void invalidMutationsAreRejectedWithAMessageNamingTheInput(@ForAll("invalidAddresses") String text) {
        assertThatThrownBy(() -> PciAddress.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("write it as 0000:09:00.0, 09:00.0 or pci_0000_09_00_0");
    }

    @Property(tries = 2000)
    void anyStringIsEitherValidOrRejectedWithAMessage(@ForAll String text) {
        if (VALID.matcher(text).matches()) {
            assertThat(PciAddress.parse(text).toString()).matches("[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
        } else {
            assertThatThrownBy(() -> PciAddress.parse(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid PCI address '" + text + "'");
        }
    }

    @Provide
    Arbitrary<String> invalidAddresses() {
        Arbitrary<String> hex2 = Arbitraries.integers().between(0, 0xff).map(i -> String.format("%02x", i));
        Arbitrary<String> badFunction = Combinators.combine(hex2, Arbitraries.integers().between(0, 0x1f),
                        Arbitraries.integers().between(8, 15))
                .as((b, s, f) -> String.format("%s:%02x.%x", b, s, f));
        Arbitrary<String> badSlot = Combinators.combine(hex2, Arbitraries.integers().between(0x20, 0xff),
                        Arbitraries.integers().between(0, 7))
                .as((b, s, f) -> String.format("0000:%s:%02x.%x", b, s, f));
        Arbitrary<String> longBus = Combinators.combine(Arbitraries.integers().between(0x100, 0xfff),
                        Arbitraries.integers().between(0, 7))
                .as((b, f) -> String.format("0000:%03x:00.%x", b, f));
        Arbitrary<String> longDomain = Arbitraries.longs().between(0x1_0000_0000L, 0xf_ffff_ffffL)
                .map(d -> String.format("%x:00:00.0", d));
        Arbitrary<String> noFunction = hex2.map(b -> "0000:" + b + ":00");
        Arbitrary<String> junk = Arbitraries.strings().withChars("ghijklmnopqrstuvwxyz:._ -").ofMinLength(1).ofMaxLength(14);
        return Arbitraries.oneOf(badFunction, badSlot, longBus, longDomain, noFunction, junk);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0000:09:00", "09:00.8", "zz:00.0", "0000:100:00.0", "09:20.0", "", " ", "pci_0000_09_00",
            "0000:09:00.0.1", "pci-0000-09-00-0", "09:00.0 "})
    void acceptanceExamplesAreRejected(String text) {
        assertThatThrownBy(() -> PciAddress.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid PCI address '" + text + "'");
    }

    @Test
    void messagesSayWhatIsWrong() {
        assertThatThrownBy(() -> PciAddress.parse("09:00.8")).hasMessageContaining("function must be 0-7");
        assertThatThrownBy(() -> PciAddress.parse("09:20.0")).hasMessageContaining("slot must be 00-1f");
        assertThatThrownBy(() -> PciAddress.parse("0000:100:00.0")).hasMessageContaining("bus takes at most 2 hex digits");
        assertThatThrownBy(() -> PciAddress.parse("")).hasMessageContaining("it is empty");
    }

    @Test
    void printsEachForm() {
        PciAddress vmd = PciAddress.parse("10000:E1:00.0");
        assertThat(vmd.toString()).isEqualTo("10000:e1:00.0");
        assertThat(vmd.nodedevName()).isEqualTo("pci_10000_e1_00_0");
        PciAddress a = PciAddress.parse("pci_0000_0A_04_1");
        assertThat(a.toString()).isEqualTo("0000:0a:04.1");
        assertThat(a.shortForm()).isEqualTo("0a:04.1");
        assertThat(PciAddress.parse("09:00.0")).isEqualTo(new PciAddress(0, 9, 0, 0));
    }

    @Test
    void ordersByDomainBusSlotFunction() {
        assertThat(PciAddress.parse("0000:09:00.1")).isGreaterThan(PciAddress.parse("0000:09:00.0"));
        assertThat(PciAddress.parse("0001:00:00.0")).isGreaterThan(PciAddress.parse("0000:ff:1f.7"));
    }
}
