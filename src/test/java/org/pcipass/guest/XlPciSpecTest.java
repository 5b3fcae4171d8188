package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pcipass.guest.XlPciSpec.RdmPolicy;
import org.pcipass.pci.PciAddress;

/** xl-pci-configuration(5) as Xen 4.17's libxlu reads it, with pcipass's stricter rules (REFERENCE.md). */
class XlPciSpecTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "0000:09:00.0|0000:09:00.0",
        "09:00.0|0000:09:00.0",
        "9:0:0.0|0009:00:00.0",
        "0a:04.1@5|0000:0a:04.1@05",
        "0000:09:00.0@00|0000:09:00.0@00",
        "36:00.0@1f,seize=1|0000:36:00.0@1f,seize=1",
        "36:00.0,vslot=1f,seize=1|0000:36:00.0@1f,seize=1",
        "bdf=36:00.0,vslot=1f,seize=1|0000:36:00.0@1f,seize=1",
        "vslot=1F,bdf=36:00.0|0000:36:00.0@1f",
        "0000:09:00.0,permissive=1|0000:09:00.0,permissive=1",
        "09:00.*|0000:09:00.*",
        "bdf=09:00.*,permissive=0|0000:09:00.*,permissive=0",
        "FFFF:FF:1F.7,power_mgmt=0,msitranslate=1,rdm_policy=relaxed|ffff:ff:1f.7,msitranslate=1,power_mgmt=0,rdm_policy=relaxed",
        "rdm_policy=strict,seize=0,bdf=1:2.3|0000:01:02.3,seize=0,rdm_policy=strict",
        "09:00.0,|0000:09:00.0",
        "09:00.0,permissive=1,|0000:09:00.0,permissive=1",
        "name=gpu0|name=gpu0",
        "name=gpu0,vslot=3|name=gpu0,vslot=03",
        "permissive=1,name=nic-1.a_b+c|name=nic-1.a_b+c,permissive=1",
    })
    void validSpecsParseAndPrintCanonically(String spec, String canonical) {
        XlPciSpec parsed = XlPciSpec.parse(spec);
        assertThat(parsed.toString()).isEqualTo(canonical);
        assertThat(XlPciSpec.parse(canonical)).isEqualTo(parsed);
    }

    @Test
    void theFieldsAreWhatTheSpecSays() {
        XlPciSpec s = XlPciSpec.parse("0a:04.1@5,permissive=1,msitranslate=0,rdm_policy=relaxed");
        assertThat(s.device()).isEqualTo(PciAddress.parse("0000:0a:04.1"));
        assertThat(s.allFunctions()).isFalse();
        assertThat(s.vslot()).isEqualTo(5);
        assertThat(s.permissive()).isTrue();
        assertThat(s.msitranslate()).isFalse();
        assertThat(s.seize()).isNull();
        assertThat(s.powerMgmt()).isNull();
        assertThat(s.rdmPolicy()).isEqualTo(RdmPolicy.RELAXED);
        assertThat(s.name()).isNull();
        XlPciSpec all = XlPciSpec.parse("09:00.*");
        assertThat(all.device()).isEqualTo(PciAddress.parse("0000:09:00.0"));
        assertThat(all.allFunctions()).isTrue();
        assertThat(XlPciSpec.of(PciAddress.parse("09:00.0")).toString()).isEqualTo("0000:09:00.0");
    }

    /** Every invalid spec REFERENCE.md names, and each rule, with its exact message. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // REFERENCE.md: no spaces (libxlu reads the key " permissive" and fails)
        "01:00.0, permissive=1|a space at character 9; xl takes no spaces: write it without them, e.g. 01:00.0,permissive=1",
        // REFERENCE.md: the man page's own examples, vslot 20 is hex and above 1f
        "36:00.0@20|vslot 20 is above 1f (vslot is hex, 0-1f)",
        "36:00.0@20,seize=1|vslot 20 is above 1f (vslot is hex, 0-1f)",
        "36:00.0,vslot=20,seize=1|vslot 20 is above 1f (vslot is hex, 0-1f)",
        "bdf=36:00.0,vslot=20,seize=1|vslot 20 is above 1f (vslot is hex, 0-1f)",
        // REFERENCE.md: each key at most once
        "09:00.0,permissive=1,permissive=0|permissive is given twice; each key at most once",
        "09:00.0,bdf=0a:00.0|bdf is given twice (a bare BDF and bdf= are the same key); each key at most once",
        "09:00.0@3,vslot=4|vslot is given twice (@VSLOT and vslot= are the same key); each key at most once",
        "name=a,name=b|name is given twice; each key at most once",
        // REFERENCE.md: BDF limits domain <= ffff, bus <= ff, slot <= 1f, function <= 7
        "10000:09:00.0|domain 10000 is above ffff (xl's limit for a BDF's domain)",
        "100:00.0|bus 100 is above ff (xl's limit for a BDF's bus)",
        "09:20.0|slot 20 is above 1f (xl's limit for a BDF's slot)",
        "09:00.8|function 8 is above 7 (xl's limit for a BDF's function)",
        "123456789abc:09:00.0|domain 123456789abc is above ffff (xl's limit for a BDF's domain)",
        "09:00|'09:00' is not a BDF: write [DDDD:]BB:SS.F in hex, F 0-7 or *",
        "0x09:00.0|'0x09:00.0' is not a BDF: write [DDDD:]BB:SS.F in hex, F 0-7 or *",
        "bdf=36:00.0@1|'36:00.0@1' is not a BDF: write [DDDD:]BB:SS.F in hex, F 0-7 or *",
        "bdf=01:00.0junk|'01:00.0junk' is not a BDF: write [DDDD:]BB:SS.F in hex, F 0-7 or *",
        // REFERENCE.md: vslot hex <= 1f
        "09:00.0@|'@' is not a hex slot number; vslot is hex, 0-1f",
        "09:00.0,vslot=0x5|vslot=0x5 is not a hex slot number; vslot is hex, 0-1f",
        // REFERENCE.md: the booleans 0/1 and rdm_policy strict/relaxed
        "09:00.0,permissive=yes|permissive takes 0 or 1, not 'yes'",
        "09:00.0,seize=2|seize takes 0 or 1, not '2'",
        "09:00.0,power_mgmt=|power_mgmt takes 0 or 1, not ''",
        "09:00.0,msitranslate=true|msitranslate takes 0 or 1, not 'true'",
        "09:00.0,rdm_policy=STRICT|rdm_policy takes strict or relaxed, not 'STRICT'",
        "09:00.0,rdm_policy=invalid|rdm_policy takes strict or relaxed, not 'invalid'",
        // keys and the shape of the list
        "09:00.0,foo=1|unknown key 'foo'; the keys are bdf, vslot, permissive, msitranslate, seize, power_mgmt, rdm_policy, name",
        "09:00.0,=1|'=1' has no key before =",
        "09:00.0,permissive|'permissive' has no value: write permissive=VALUE",
        "09:00.0,1f|'1f' is not KEY=VALUE; only the first element may be a bare BDF[@VSLOT]",
        "09:00.0,,permissive=1|it has an empty element (two commas in a row)",
        ",09:00.0|it starts with a comma",
        "09:00.0,,|it has an empty element (two commas in a row)",
        // a device: exactly one of BDF and name
        "permissive=1|it names no device: give a BDF (e.g. 0000:09:00.0) or name=NAME",
        "09:00.0,name=gpu0|it gives both a BDF and name=gpu0: a name stands for a BDF, give one of them",
        "name=|name '' is not 1-64 characters of A-Z a-z 0-9 _ . + -",
        "name=it's|name 'it's' is not 1-64 characters of A-Z a-z 0-9 _ . + -",
        "name=$(reboot)|name '$(reboot)' is not 1-64 characters of A-Z a-z 0-9 _ . + -",
        "name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not 1-64 characters of A-Z a-z 0-9 _ . + -",
    })
    void invalidSpecsAreRejectedWithAMessageNamingTheSpecAndTheFault(String spec, String why) {
        assertThatThrownBy(() -> XlPciSpec.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid xl PCI spec '" + spec + "': " + why);
    }

    @Test
    void emptyTabsNewlinesAndNullAreRejected() {
        String fix = "; xl takes no spaces: write it without them, e.g. 01:00.0,permissive=1";
        assertThatThrownBy(() -> XlPciSpec.parse("")).hasMessage(
                "invalid xl PCI spec '': it is empty; write BDF[@VSLOT][,KEY=VALUE]..., e.g. 0000:09:00.0,permissive=1");
        assertThatThrownBy(() -> XlPciSpec.parse(null)).hasMessageStartingWith("invalid xl PCI spec '': it is empty");
        assertThatThrownBy(() -> XlPciSpec.parse("09:00.0,\tseize=1"))
                .hasMessage("invalid xl PCI spec '09:00.0,\\x09seize=1': a tab at character 9" + fix);
        assertThatThrownBy(() -> XlPciSpec.parse("09:00.0\n"))
                .hasMessage("invalid xl PCI spec '09:00.0\\x0a': a newline at character 8" + fix);
        assertThatThrownBy(() -> XlPciSpec.parse("09:00.0\u0000"))
                .hasMessage("invalid xl PCI spec '09:00.0\\x00': the control character U+0000 at character 8" + fix);
        assertThatThrownBy(() -> XlPciSpec.parse(" 09:00.0"))
                .hasMessage("invalid xl PCI spec ' 09:00.0': a space at character 1" + fix);
    }

    @Test
    void theRecordRefusesWhatNoSpecCanSay() {
        PciAddress a = PciAddress.parse("09:00.1");
        assertThatThrownBy(() -> new XlPciSpec(null, false, null, null, null, null, null, null, null))
                .hasMessage("an xl PCI spec gives exactly one of a device and a name, not neither");
        assertThatThrownBy(() -> new XlPciSpec(a, false, null, null, null, null, null, null, "gpu"))
                .hasMessage("an xl PCI spec gives exactly one of a device and a name, not both");
        assertThatThrownBy(() -> XlPciSpec.of(PciAddress.parse("10000:e1:00.0")))
                .hasMessage("device 10000:e1:00.0: xl takes PCI domains up to ffff");
        assertThatThrownBy(() -> new XlPciSpec(a, true, null, null, null, null, null, null, null))
                .hasMessage("allFunctions needs a device whose function is 0, got 0000:09:00.1");
        assertThatThrownBy(() -> new XlPciSpec(a, false, 0x20, null, null, null, null, null, null))
                .hasMessage("vslot out of range (0-1f): 20");
        assertThatThrownBy(() -> new XlPciSpec(null, false, null, null, null, null, null, null, "a,b"))
                .hasMessage("name 'a,b' is not 1-64 characters of A-Z a-z 0-9 _ . + -");
    }

    @Property(tries = 2000)
    void printThenParseGivesTheSameSpec(@ForAll("specs") XlPciSpec spec) {
        String printed = spec.toString();
        assertThat(XlPciSpec.parse(printed)).isEqualTo(spec);
        assertThat(printed).doesNotContain(" ", "'", "\"");
    }

    @Property(tries = 2000)
    void printingAParsedSpecIsAFixedPoint(@ForAll("writtenSpecs") String written) {
        XlPciSpec parsed = XlPciSpec.parse(written);
        String canonical = parsed.toString();
        assertThat(XlPciSpec.parse(canonical)).isEqualTo(parsed);
        assertThat(XlPciSpec.parse(canonical).toString()).isEqualTo(canonical);
    }

    @Property(tries = 1000)
    void aSpaceAnywhereIsRejected(@ForAll("writtenSpecs") String written, @ForAll @IntRange(min = 0, max = 200) int at) {
        int i = Math.min(at, written.length());
        String spaced = written.substring(0, i) + " " + written.substring(i);
        assertThatThrownBy(() -> XlPciSpec.parse(spaced))
                .hasMessage("invalid xl PCI spec '" + spaced + "': a space at character " + (i + 1)
                        + "; xl takes no spaces: write it without them, e.g. 01:00.0,permissive=1");
    }

    @Property(tries = 1000)
    void aKeyGivenTwiceIsRejected(@ForAll("writtenSpecs") String written,
            @ForAll("options") String option) {
        String key = option.substring(0, option.indexOf('='));
        String base = written.endsWith(",") ? written.substring(0, written.length() - 1) : written;
        String twice = base + "," + option + "," + option;
        assertThatThrownBy(() -> XlPciSpec.parse(twice))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid xl PCI spec '" + twice + "': " + key + " is given twice");
    }

    /** Arbitrary text either parses to a spec that prints and parses back, or is refused with the spec named. */
    @Property(tries = 3000)
    void anyStringParsesOrIsRejectedWithTheSpecNamed(@ForAll("noise") String text) {
        XlPciSpec s;
        try {
            s = XlPciSpec.parse(text);
        } catch (IllegalArgumentException e) {
            assertThat(e).hasMessageStartingWith("invalid xl PCI spec '");
            return;
        }
        assertThat(XlPciSpec.parse(s.toString())).isEqualTo(s);
    }

    @Provide
    Arbitrary<XlPciSpec> specs() {
        Arbitrary<PciAddress> address = Combinators.combine(Arbitraries.longs().between(0, 0xffff),
                        Arbitraries.integers().between(0, 0xff), Arbitraries.integers().between(0, 0x1f),
                        Arbitraries.integers().between(0, 7))
                .as(PciAddress::new);
        Arbitrary<Boolean> flag = Arbitraries.of(Boolean.TRUE, Boolean.FALSE).injectNull(0.4);
        Arbitrary<Integer> vslot = Arbitraries.integers().between(0, 0x1f).injectNull(0.5);
        Arbitrary<RdmPolicy> policy = Arbitraries.of(RdmPolicy.class).injectNull(0.5);
        Arbitrary<String> name = Arbitraries.strings().withChars("abcXYZ019_.+-").ofMinLength(1).ofMaxLength(64)
                .injectNull(0.7);
        Arbitrary<Boolean> all = Arbitraries.of(true, false);
        return Combinators.combine(address, all, vslot, flag, flag, flag, flag, policy).flatAs(
                (a, every, vs, p, m, s, pm, rdm) -> name.map(n -> n != null
                        ? new XlPciSpec(null, false, vs, p, m, s, pm, rdm, n)
                        : new XlPciSpec(every ? new PciAddress(a.domain(), a.bus(), a.slot(), 0) : a, every, vs, p, m,
                                s, pm, rdm, null)));
    }

    /** Specs as people write them: any case, short BDFs, keys in any order, bdf= and vslot= as keys, a trailing comma. */
    @Provide
    Arbitrary<String> writtenSpecs() {
        Arbitrary<String> hex = Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofMinLength(1).ofMaxLength(2);
        Arbitrary<String> bdf = Combinators.combine(
                        Arbitraries.of("", "0:", "0000:", "ffff:", "1A:"), hex,
                        Arbitraries.integers().between(0, 0x1f).map(Integer::toHexString),
                        Arbitraries.of("0", "1", "7", "*"))
                .as((d, b, s, f) -> d + b + ":" + s + "." + f);
        Arbitrary<String> vslot = Arbitraries.integers().between(0, 0x1f)
                .map(v -> Integer.toHexString(v).toUpperCase()).injectNull(0.5);
        Arbitrary<List<String>> options = options().list().uniqueElements(o -> o.substring(0, o.indexOf('=')))
                .ofMaxSize(5);
        return Combinators.combine(bdf, vslot, options, Arbitraries.integers().between(0, 3),
                        Arbitraries.of(true, false), Arbitraries.randomValue(r -> r.nextLong()))
                .as((b, vs, opts, form, trailing, seed) -> {
                    List<String> parts = new ArrayList<>(opts);
                    String head = null;
                    switch (form) {
                        case 0 -> head = b + (vs == null ? "" : "@" + vs);
                        case 1 -> {
                            head = b;
                            if (vs != null) parts.add("vslot=" + vs);
                        }
                        case 2 -> {
                            parts.add("bdf=" + b);
                            if (vs != null) parts.add("vslot=" + vs);
                        }
                        default -> {
                            parts.add("name=dev" + Math.abs(seed % 100));
                            if (vs != null) parts.add("vslot=" + vs);
                        }
                    }
                    Collections.shuffle(parts, new java.util.Random(seed));
                    if (head != null) parts.add(0, head);
                    return String.join(",", parts) + (trailing ? "," : "");
                });
    }

    @Provide
    Arbitrary<String> options() {
        return Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("permissive", "msitranslate", "seize", "power_mgmt"),
                        Arbitraries.of("0", "1")).as((k, v) -> k + "=" + v),
                Arbitraries.of("strict", "relaxed").map(p -> "rdm_policy=" + p));
    }

    /** Fragments of specs glued at random, with some stray characters. */
    @Provide
    Arbitrary<String> noise() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("09", "00", "1f", "20", "ffff", "10000", ":", ".", "*", "@", ",", "=", "bdf", "vslot",
                        "permissive", "name", "rdm_policy", "strict", "0", "1", "x", " ", "'", "\u00e9"),
                Arbitraries.strings().ofMaxLength(3));
        return piece.list().ofMaxSize(12).map(l -> String.join("", l));
    }
}
