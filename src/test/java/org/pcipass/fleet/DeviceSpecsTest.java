package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;

/** Nova's device_spec grammar, case by case (nova/pci/devspec.py of 26.2.2). */
class DeviceSpecsTest {
    private static DeviceSpecs specs(String... json) {
        return DeviceSpecs.parse(java.util.Arrays.stream(json).map(j -> new ConfigValue(j, "spec.json")).toList());
    }

    private static Device dev(String address, String vendor, String product, String parent) {
        return new Device(address, vendor, product, parent == null ? Device.TYPE_PCI : Device.TYPE_VF, 0, parent);
    }

    private static boolean offered(DeviceSpecs s, String address) {
        return s.tags(dev(address, "8086", "154c", null), a -> false) != null;
    }

    @Test
    void vendorAndProductAreHexNumbersComparedWithTheDevicesLowerCaseIds() {
        DeviceSpecs s = specs("{\"vendor_id\": \"0x8086\", \"product_id\": \"154C\"}");
        assertThat(s.tags(dev("0000:3b:00.1", "8086", "154c", null), a -> false)).isEmpty();
        assertThat(s.tags(dev("0000:3b:00.1", "8086", "1572", null), a -> false)).isNull();
        assertThat(specs("{\"vendor_id\": \" 10de\"}").tags(dev("0000:3b:00.1", "10de", "1db4", null), a -> false))
                .isEmpty();
        // a device listed in upper case is not matched: Nova compares the strings
        assertThat(specs("{\"vendor_id\": \"10de\"}").tags(dev("0000:3b:00.1", "10DE", "1db4", null), a -> false))
                .isNull();
    }

    @Test
    void globAddressesFillMissingFieldsFromTheLeftWithAny() {
        assertThat(offered(specs("{\"address\": \"*:3b:00.*\"}"), "0000:3b:00.5")).isTrue();
        assertThat(offered(specs("{\"address\": \"*:3b:00.*\"}"), "0000:3c:00.5")).isFalse();
        assertThat(offered(specs("{\"address\": \"0000:81:\"}"), "0000:81:1f.7")).isTrue();
        assertThat(offered(specs("{\"address\": \":00.\"}"), "0001:99:00.3")).isTrue();
        assertThat(offered(specs("{\"address\": \":00.\"}"), "0001:99:01.3")).isFalse();
        // "3b:00" is bus 3b slot 00; "00" alone is the slot
        assertThat(offered(specs("{\"address\": \"3b:00\"}"), "0000:3b:00.2")).isTrue();
        assertThat(offered(specs("{\"address\": \"00\"}"), "0000:3b:00.2")).isTrue();
        assertThat(offered(specs("{\"address\": \"00\"}"), "0000:3b:01.2")).isFalse();
        assertThat(offered(specs("{\"address\": \"3B:0.1\"}"), "0000:3b:00.1")).isTrue();
        assertThat(offered(specs("{\"address\": \"\"}"), "0000:3b:00.1")).isTrue();
    }

    @Test
    void regexAddressesMatchAtTheStartOfEachNormalisedField() {
        DeviceSpecs s = specs("{\"address\": {\"bus\": \"8[0-9]\", \"function\": \"[1-7]\"}}");
        assertThat(offered(s, "0000:81:00.1")).isTrue();
        assertThat(offered(s, "0000:81:00.0")).isFalse();
        assertThat(offered(s, "0000:91:00.1")).isFalse();
        // re.match is anchored at the start only
        assertThat(offered(specs("{\"address\": {\"bus\": \"3\"}}"), "0000:3b:00.0")).isTrue();
        assertThat(offered(specs("{\"address\": {\"bus\": \"b\"}}"), "0000:3b:00.0")).isFalse();
    }

    @Test
    void theFirstMatchingEntryGivesItsTagsAndRemoteManagedTrueMatchesNothing() {
        DeviceSpecs s = specs("[{\"vendor_id\": \"8086\", \"product_id\": \"154c\", \"physical_network\": \"physnet1\","
                + " \"trusted\": true}, {\"vendor_id\": \"8086\"}]",
                "{\"vendor_id\": \"10de\", \"remote_managed\": \"true\"}");
        assertThat(s.tags(dev("0000:3b:00.1", "8086", "154c", null), a -> false))
                .isEqualTo(Map.of("physical_network", "physnet1", "trusted", "True"));
        assertThat(s.tags(dev("0000:3b:00.1", "8086", "1572", null), a -> false)).isEmpty();
        assertThat(s.tags(dev("0000:3b:00.1", "10de", "1db4", null), a -> false)).isNull();
    }

    @Test
    void aSingleAddressThatIsAPfAlsoMatchesItsVfs() {
        DeviceSpecs s = specs("{\"address\": \"0000:3b:00.0\", \"physical_network\": \"p\"}");
        Device vf = dev("0000:3b:02.1", "8086", "154c", "0000:3b:00.0");
        assertThat(s.tags(vf, a -> a.equals("0000:3b:00.0"))).containsEntry("physical_network", "p");
        assertThat(s.tags(vf, a -> false)).isNull();
        assertThat(s.tags("0000:3b:02.1", "8086", "154c", "0000:3b:00.0")).isNotNull();
        assertThat(s.tags("0000:3b:02.1", "8086", "154c", "0000:3c:00.0")).isNull();
    }

    @Test
    void malformedEntriesAreOneLineErrorsNamingWhereTheyWereWritten() {
        List<String[]> bad = List.of(
                new String[] {"{\"vendor_id\": \"10_de\"}", "vendor_id"},
                new String[] {"{\"vendor_id\": \"1ffff\"}", "greater than ffff"},
                new String[] {"{\"product_id\": 4318}", "product_id is a number"},
                new String[] {"{\"address\": \"0:0:0:0.0\"}", "more than"},
                new String[] {"{\"address\": \"*:3b:0*.*\"}", "slot"},
                new String[] {"{\"address\": \"*:3b:00.8\"}", "greater than 7"},
                new String[] {"{\"address\": {\"bus\": \"(\"}}", "not a regular expression"},
                new String[] {"{\"address\": 5}", "glob"},
                new String[] {"{\"devname\": \"eth0\"}", "devname"},
                new String[] {"{\"physical_network\": [\"a\"]}", "tag"},
                new String[] {"\"x\"", "object"},
                new String[] {"{\"vendor_id\": ", "not valid JSON"});
        for (String[] b : bad) {
            assertThatThrownBy(() -> specs(b[0])).as(b[0]).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessageStartingWith("spec.json: ").hasMessageContaining(b[1])
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }
}
