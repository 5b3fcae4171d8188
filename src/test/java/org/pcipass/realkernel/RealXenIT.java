package org.pcipass.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * pcipass in a real Xen dom0: {@code realkernel/xen-stage.sh} boots Debian's Xen 4.17 under QEMU (TCG,
 * q35, an emulated Intel IOMMU) with this Debian release's kernel as its PV dom0 and two e1000e NICs,
 * and runs {@code realkernel/xen-scenarios.sh} there in two boots (the second is the seed's reboot).
 * The PV guests are busybox initramfs that write the PCI devices their pcifront sees to their console;
 * xenconsoled logs it. Each test judges from what the kernel, xl, libvirtd or the guest showed, not
 * from pcipass's exit code alone.
 *
 * <p>Needs what RealKernelIT needs and xen-utils-4.17 and libvirt-daemon with its xen driver (./test
 * installs them as root with apt); the hypervisor package is downloaded once into .cache/xen. Without
 * them the tests skip, except with CI=true, where they fail.
 */
@Order(3)
class RealXenIT {
    /** the e1000e's ids, as the guest's pcifront shows them: 82574L */
    private static final String NIC = "=8086:10d3@";
    private static Stage stage;

    @RegisterExtension
    static final TestWatcher LOGS = Stage.printsOnFailure(() -> stage, "console.1.log", "console.2.log",
            "results/scenarios.1.log", "results/scenarios.2.log", "results/consoles", "results/libvirtd.log");

    @AfterAll
    static void printTheFigure() {
        Stage.printFigure("the Xen dom0's two boots", stage);
    }

    @BeforeAll
    static void bootXenAndRunTheScenarios() throws Exception {
        stage = Stage.run("xen-stage.sh", "real-xen", Stage.tools("xl", "virsh", "libvirtd"));
    }

    private static String a() {
        String address = stage.fact("dev.A");
        assertThat(address).as("dom0 found the first e1000e").matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
        return address;
    }

    private static String b() {
        return stage.fact("dev.B");
    }

    private static JsonNode listEntry(String step, String address) throws IOException {
        for (JsonNode d : stage.json(step)) {
            if (d.get("address").asText().equals(address)) {
                return d;
            }
        }
        throw new AssertionError(step + " does not list " + address);
    }

    /** The devices lines a guest wrote to its console between KEY's two marks (xen-scenarios.sh watch). */
    private static List<String> guestSaw(String guest, String key) throws IOException {
        List<String> lines = Files.readAllLines(stage.results.resolve("consoles/guest-" + guest + ".log"),
                StandardCharsets.ISO_8859_1);
        int from = Integer.parseInt(stage.fact(key + ".from"));
        int to = Math.min(lines.size(), Integer.parseInt(stage.fact(key + ".to")));
        List<String> seen = new ArrayList<>();
        for (String line : lines.subList(Math.min(from, to), to)) {
            if (line.startsWith("pcipass-guest: devices:")) {
                seen.add(line);
            }
        }
        return seen;
    }

    private static String lastSeen(String guest, String key) throws IOException {
        List<String> seen = guestSaw(guest, key);
        assertThat(seen).as("guest %s wrote its devices after %s", guest, key).isNotEmpty();
        return seen.get(seen.size() - 1);
    }

    /** the guest's pcifront shows the NIC with its real ids and a memory BAR */
    private static void assertSeesTheNic(String line) {
        assertThat(line).contains(NIC);
        String bar = line.substring(line.indexOf(NIC) + NIC.length()).split(" ")[0];
        assertThat(Long.decode(bar)).as("the NIC's first BAR in the guest: %s", line).isPositive();
    }

    @Test
    void xenBootsWithDom0AndItsIommu() throws IOException {
        assertThat(stage.exit("modprobe")).as("modprobe e1000e in dom0: %s", stage.text("modprobe.err")).isZero();
        assertThat(stage.fact("1.hypervisor-type")).isEqualTo("xen");
        assertThat(stage.fact("1.capabilities")).contains("control_d");
        assertThat(stage.text("xl-info-1.out")).contains("xen_version            : 4.17")
                .containsPattern("virt_caps\\s*:.*iommu");
        assertThat(stage.text("../console.1.log")).as("Xen's console").contains("I/O virtualisation enabled");
    }

    @Test
    void checkNamesTheXenDom0AndPasses() throws IOException {
        Map<String, JsonNode> checks = new LinkedHashMap<>();
        stage.jsonOf("check.out").forEach(c -> checks.put(c.get("name").asText(), c));
        assertThat(checks.get("hypervisor").get("status").asText()).isEqualTo("PASS");
        assertThat(checks.get("hypervisor").get("detail").asText()).contains("Xen dom0");
        assertThat(checks.get("iommu").get("status").asText()).isEqualTo("PASS");
        assertThat(checks.get("stub pciback").get("status").asText()).isEqualTo("PASS");
        assertThat(stage.exit("check")).isZero();
    }

    @Test
    void listGivesTheNicsAssignableAndNothingNoIommu() throws IOException {
        for (JsonNode d : stage.json("list")) {
            assertThat(d.get("verdict").asText()).as("%s in dom0", d.get("address")).isNotEqualTo("no-iommu");
        }
        assertThat(stage.fact("before-a.driver")).isEqualTo("e1000e");
        assertThat(listEntry("list", a()).get("verdict").asText()).isEqualTo("assignable");
        assertThat(listEntry("list", b()).get("verdict").asText()).isEqualTo("assignable");
    }

    @Test
    void hideUsesPcibackByDefaultAndXlAgrees() throws IOException {
        assertThat(stage.exit("hide")).as(stage.text("hide.err")).isZero();
        assertThat(stage.fact("hidden.driver")).isEqualTo("pciback");
        assertThat(stage.text("xl-assignable-hidden.out").lines().map(String::strip)).contains(a());
    }

    @Test
    void attachThroughXlShowsTheNicInTheGuest() throws IOException {
        assertThat(guestSaw("g1", "x.attach")).as("before the attach the guest had no PCI device")
                .first().asString().endsWith("devices: none");
        assertThat(stage.exit("attach-xl")).as(stage.text("attach-xl.err")).isZero();
        assertSeesTheNic(lastSeen("g1", "x.attach"));
        assertThat(stage.text("xl-pci-list-attached.out")).contains(a());
        JsonNode listed = listEntry("list-assigned", a());
        assertThat(listed.get("verdict").asText()).isEqualTo("assigned");
        assertThat(listed.get("owner").asText()).isEqualTo("g1");
        JsonNode assignment = stage.json("assignments").get(0);
        assertThat(assignment.get("guest").asText()).isEqualTo("g1");
        assertThat(assignment.get("backend").asText()).isEqualTo("xl");
        assertThat(assignment.get("state").asText()).isEqualTo("attached");
    }

    @Test
    void migrateCheckAndUnhideRefuseWhileTheGuestHasTheNic() throws IOException {
        assertThat(stage.exit("migrate-check")).isEqualTo(3);
        assertThat(stage.text("migrate-check.out") + stage.text("migrate-check.err")).contains(a());
        assertThat(stage.exit("unhide-assigned")).isEqualTo(3);
        assertThat(stage.text("unhide-assigned.err")).contains("g1").contains("detach");
        assertThat(stage.fact("unhide-refused.driver")).as("still on pciback").isEqualTo("pciback");
    }

    @Test
    void hostileGuestNamesExit2InOneLineAndTouchNothing() throws IOException {
        for (String step : List.of("hostile", "hostile-newline")) {
            assertThat(stage.exit(step)).as(stage.text(step + ".err")).isEqualTo(2);
            assertThat(stage.text(step + ".err").strip().lines()).as(step).hasSize(1);
        }
        assertThat(stage.text("xl-list-after-hostile.out")).as("g1 still runs").containsPattern("(?m)^g1\\s");
        assertThat(stage.fact("after-hostile.driver")).isEqualTo("pciback");
    }

    @Test
    void detachReturnTakesTheNicFromTheGuestBackToE1000e() throws IOException {
        assertThat(stage.exit("detach-xl")).as(stage.text("detach-xl.err")).isZero();
        assertThat(lastSeen("g1", "x.detach")).doesNotContain(NIC).endsWith("devices: none");
        assertThat(stage.fact("returned-xl.driver")).isEqualTo("e1000e");
        assertThat(stage.text("xl-assignable-returned.out")).doesNotContain(a());
        assertThat(stage.text("xl-pci-list-returned.out")).doesNotContain(a());
    }

    @Test
    void attachToAGuestWithoutPassthroughIsRefusedAndChangesNothing() throws IOException {
        assertThat(stage.exit("attach-nopt")).as(stage.text("attach-nopt.err")).isEqualTo(3);
        assertThat(stage.text("attach-nopt.err")).contains("passthrough").contains("g0");
        assertThat(stage.fact("nopt.driver")).isEqualTo("e1000e");
        assertThat(stage.text("xl-assignable-nopt.out")).doesNotContain(a());
        assertThat(stage.text("xl-pci-list-nopt.out")).doesNotContain(a());
        assertThat(guestSaw("g0", "x.nopt")).noneMatch(l -> l.contains(NIC));
    }

    @Test
    void attachThroughLibvirtdsLibxlDriverAndDetachReturn() throws IOException {
        assertThat(stage.fact("libvirtd")).isEqualTo("up");
        assertThat(stage.exit("virsh-create-lv1")).as(stage.text("virsh-create-lv1.err")).isZero();
        assertThat(stage.exit("attach-libvirt")).as(stage.text("attach-libvirt.err")).isZero();
        assertSeesTheNic(lastSeen("lv1", "l.attach"));
        assertThat(stage.fact("attached-libvirt.driver")).isEqualTo("pciback");
        String xml = stage.text("virsh-dumpxml-attached.out");
        assertThat(xml).contains("<hostdev mode='subsystem' type='pci' managed='no'>")
                .contains("bus='0x" + a().substring(5, 7) + "'");
        assertThat(stage.text("xl-pci-list-libvirt.out")).contains(a());

        assertThat(stage.exit("detach-libvirt")).as(stage.text("detach-libvirt.err")).isZero();
        assertThat(lastSeen("lv1", "l.detach")).doesNotContain(NIC);
        assertThat(stage.fact("returned-libvirt.driver")).isEqualTo("e1000e");
        assertThat(stage.text("virsh-dumpxml-returned.out")).doesNotContain("<hostdev");
        assertThat(stage.json("assignments-end")).isEmpty();
    }

    @Test
    void hidePersistWritesTheSeedsTwoLinesForXenPciback() throws IOException {
        assertThat(stage.exit("persist-hide")).as(stage.text("persist-hide.err")).isZero();
        assertThat(stage.fact("persisted-a.driver")).isEqualTo("pciback");
        assertThat(stage.fact("persisted-b.driver")).isEqualTo("e1000e");
        assertThat(stage.text("persisted.conf").lines()).contains(
                "install e1000e /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install e1000e",
                "options xen-pciback hide=(" + a() + ")");
    }

    @Test
    void afterTheRebootTheLinesAloneGiveTheNicToPcibackAndItsTwinToE1000e() throws IOException {
        assertThat(stage.fact("2.hypervisor-type")).isEqualTo("xen");
        assertThat(stage.fact("p.pciback-before-modprobe")).as("nothing loaded pciback before e1000e")
                .isEqualTo("absent");
        assertThat(stage.exit("p-boot-modprobe")).as(stage.text("p-boot-modprobe.err")).isZero();
        assertThat(stage.fact("p.booted-a.driver")).isEqualTo("pciback");
        assertThat(stage.fact("p.booted-b.driver")).isEqualTo("e1000e");
    }

    @Test
    void unhidePersistAfterARebootThatLostTheStateDirWorksFromTheModprobeBlock() throws IOException {
        assertThat(stage.fact("p.state-dir-after-reboot")).as("a fresh /var").isEqualTo("absent");
        assertThat(stage.exit("p-unhide-persist")).as(stage.text("p-unhide-persist.err")).isZero();
        assertThat(stage.fact("p.unhidden-a.driver")).isEqualTo("e1000e");
        assertThat(stage.fact("p.unhidden-b.driver")).isEqualTo("e1000e");
        assertThat(stage.text("p-after-unhide.conf")).doesNotContain("xen-pciback").doesNotContain("install e1000e");
    }
}
