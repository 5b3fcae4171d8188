package org.pcipass.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.SoftAssertions;

/**
 * {@code pcipass list --json} against lspci's {@code -D -vmm -nn -k} records of the same devices, on
 * every field the two share: address (and order), ids, subsystem ids, class and prog-if, revision,
 * driver, IOMMU group, NUMA node, and the vendor, device and class names.
 */
public final class LspciAgreement {
    private LspciAgreement() {
    }

    public static void assertAgrees(JsonNode list, Lspci.Result oracle) {
        List<String> listed = new ArrayList<>();
        list.forEach(d -> listed.add(d.get("address").asText()));
        assertThat(listed).as("addresses, in lspci's order").containsExactlyElementsOf(oracle.addresses());
        SoftAssertions soft = new SoftAssertions();
        for (JsonNode d : list) {
            fields(soft, d, oracle.get(d.get("address").asText()));
        }
        soft.assertAll();
    }

    private static void fields(SoftAssertions soft, JsonNode d, Map<String, String> rec) {
        String a = d.get("address").asText() + " ";
        Function<String, String> text = k -> d.get(k).isNull() ? null : d.get(k).asText();
        soft.assertThat(text.apply("vendorId")).as(a + "vendorId").isEqualTo(Lspci.id(rec.get("Vendor")));
        soft.assertThat(text.apply("deviceId")).as(a + "deviceId").isEqualTo(Lspci.id(rec.get("Device")));
        if (rec.containsKey("SVendor")) {
            soft.assertThat(text.apply("subsystemVendorId")).as(a + "subsystemVendorId")
                    .isEqualTo(Lspci.id(rec.get("SVendor")));
            soft.assertThat(text.apply("subsystemDeviceId")).as(a + "subsystemDeviceId")
                    .isEqualTo(Lspci.id(rec.get("SDevice")));
        } else {
            // lspci leaves the subsystem out when its vendor is 0000 or ffff; pcipass still shows the
            // ids as sysfs gives them (DESIGN.md: "0000" included). Every tree compared here has the files.
            soft.assertThat(text.apply("subsystemVendorId")).as(a + "subsystemVendorId").isIn("0000", "ffff");
            soft.assertThat(text.apply("subsystemDeviceId")).as(a + "subsystemDeviceId").matches("[0-9a-f]{4}");
        }
        String cls = text.apply("classCode");
        soft.assertThat(cls.substring(0, 4)).as(a + "class").isEqualTo(Lspci.id(rec.get("Class")));
        soft.assertThat(cls.substring(4)).as(a + "prog-if").isEqualTo(rec.getOrDefault("ProgIf", "00"));
        soft.assertThat(text.apply("revision")).as(a + "revision").isEqualTo(rec.getOrDefault("Rev", "00"));
        soft.assertThat(text.apply("driver")).as(a + "driver").isEqualTo(rec.get("Driver"));
        soft.assertThat(text.apply("iommuGroup")).as(a + "iommuGroup").isEqualTo(rec.get("IOMMUGroup"));
        soft.assertThat(text.apply("numaNode")).as(a + "numaNode").isEqualTo(rec.get("NUMANode"));
        // lspci prints a generic word where pci.ids has no name
        soft.assertThat(orElse(text.apply("vendorName"), "Vendor")).as(a + "vendorName")
                .isEqualTo(Lspci.name(rec.get("Vendor")));
        soft.assertThat(orElse(text.apply("deviceName"), "Device")).as(a + "deviceName")
                .isEqualTo(Lspci.name(rec.get("Device")));
        soft.assertThat(orElse(text.apply("className"), "Class")).as(a + "className")
                .isEqualTo(Lspci.name(rec.get("Class")));
    }

    private static String orElse(String value, String generic) {
        return value == null ? generic : value;
    }
}
