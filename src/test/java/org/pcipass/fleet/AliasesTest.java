package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;

/** Nova's alias grammar and the flavor string (nova/pci/request.py of 26.2.2). */
class AliasesTest {
    private static Aliases aliases(String... json) {
        return Aliases.parse(java.util.Arrays.stream(json).map(j -> new ConfigValue(j, "aliases.json")).toList());
    }

    @Test
    void aFlavorStringBecomesOneRequestPerItemInOrder() {
        Aliases a = aliases("{\"name\": \"gpu\", \"vendor_id\": \"10DE\", \"product_id\": \"1db4\","
                + " \"device_type\": \"type-PCI\", \"numa_policy\": \"preferred\"}",
                "{\"name\": \" vf \", \"vendor_id\": \"8086\", \"device_type\": \"type-VF\"}");
        List<PciRequest> r = a.requests("gpu:2, vf : 1", null);
        assertThat(r).containsExactly(
                new PciRequest("gpu", 2, "preferred", List.of(Map.of("vendor_id", "10DE", "product_id", "1db4",
                        "dev_type", "type-PCI"))),
                new PciRequest("vf", 1, "legacy", List.of(Map.of("vendor_id", "8086", "dev_type", "type-VF"))));
        assertThat(a.requests("vf:1", "socket").get(0).numaPolicy()).isEqualTo("socket");
    }

    @Test
    void aliasesSharingANameAreAlternatives() {
        Aliases a = aliases("[{\"name\": \"nic\", \"vendor_id\": \"8086\", \"device_type\": \"type-VF\"},"
                + " {\"name\": \"nic\", \"vendor_id\": \"15b3\", \"device_type\": \"type-VF\"}]");
        assertThat(a.requests("nic:1", null).get(0).spec()).hasSize(2);
        assertThatThrownBy(() -> aliases("{\"name\": \"n\", \"vendor_id\": \"8086\"}", "{\"name\": \"n\","
                + " \"vendor_id\": \"15b3\"}")).isInstanceOf(PcipassException.BadInput.class)
                .hasMessageContaining("same device_type");
        assertThatThrownBy(() -> aliases("{\"name\": \"n\", \"device_type\": \"type-VF\"}", "{\"name\": \"n\","
                + " \"device_type\": \"type-VF\", \"numa_policy\": \"required\"}"))
                .hasMessageContaining("numa_policy");
    }

    @Test
    void badAliasesAndFlavorStringsAreOneLineErrors() {
        for (String[] b : List.of(new String[] {"{\"vendor_id\": \"8086\"}", "name"},
                new String[] {"{\"name\": \"x\", \"vendor_id\": \"808\"}", "4 hex"},
                new String[] {"{\"name\": \"x\", \"device_type\": \"vdpa\"}", "device_type"},
                new String[] {"{\"name\": \"x\", \"numa_policy\": \"strict\"}", "numa_policy"},
                new String[] {"{\"name\": \"x\", \"physical_network\": \"p\"}", "not one of"},
                new String[] {"{\"name\": \"\"}", "1 to 256"})) {
            assertThatThrownBy(() -> aliases(b[0])).as(b[0]).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessageStartingWith("aliases.json: ").hasMessageContaining(b[1]);
        }
        Aliases a = aliases("{\"name\": \"gpu\"}");
        for (String[] b : List.of(new String[] {"gpu", "NAME:COUNT"}, new String[] {"gpu:0", "at least 1"},
                new String[] {"gpu:x", "at least 1"}, new String[] {"gpu:1,", "NAME:COUNT"},
                new String[] {"gpu:1:2", "NAME:COUNT"}, new String[] {"tpu:1", "the aliases are gpu"})) {
            assertThatThrownBy(() -> a.requests(b[0], null)).as(b[0]).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessageContaining(b[1]);
        }
    }
}
