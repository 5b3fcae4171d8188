package org.pcipass.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * pcipass through a real libvirtd on the KVM side: {@code realkernel/stage.sh} boots the real-kernel
 * machine once more and runs {@code realkernel/libvirt-scenarios.sh}: libvirtd's qemu driver (with
 * virtlogd) starts a nested TCG domain with no OS, and pcipass gives it an e1000e live and in its
 * persistent definition. Each test judges from what libvirtd, QEMU's monitor ({@code info pci}) or the
 * kernel showed. An OS-less guest never answers an unplug: that is the case this machine can show
 * and a fake cannot.
 *
 * <p>Needs what RealKernelIT needs and libvirt-daemon with its qemu driver (./test installs it as root
 * with apt). Without them the tests skip, except with CI=true, where they fail.
 */
@Order(2)
class RealLibvirtIT {
    private static Stage stage;

    @RegisterExtension
    static final TestWatcher LOGS = Stage.printsOnFailure(() -> stage, "console.1.log",
            "results/scenarios.1.log", "results/libvirtd.log");

    @AfterAll
    static void printTheFigure() {
        Stage.printFigure("the KVM host's libvirtd boot", stage);
    }

    @BeforeAll
    static void bootTheHostAndRunLibvirtd() throws Exception {
        stage = Stage.run("stage.sh", "real-libvirt", Stage.tools("virsh", "libvirtd", "virtlogd"),
                "libvirt-scenarios.sh", "1");
    }

    @Test
    void libvirtdStartsTheNestedDomain() throws IOException {
        assertThat(stage.exit("modprobe")).as(stage.text("modprobe.err")).isZero();
        assertThat(stage.fact("libvirtd")).as("libvirtd answered on qemu:///system").isEqualTo("up");
        assertThat(stage.exit("virsh-start")).as("the nested domain started: %s", stage.text("virsh-start.err"))
                .isZero();
    }

    private static String a() {
        return stage.fact("dev.A");
    }

    /** QEMU's {@code info pci} line for the e1000e (82574L) */
    private static boolean qemuLists(String infoPci) {
        return infoPci.contains("8086:10d3");
    }

    @Test
    void attachLiveMovesTheNicToVfioPciAndQemuListsIt() throws IOException {
        assertThat(stage.fact("before.driver")).isEqualTo("e1000e");
        assertThat(stage.exit("attach-live")).as(stage.text("attach-live.err")).isZero();
        assertThat(stage.fact("attached.driver")).isEqualTo("vfio-pci");
        assertThat(stage.exit("info-pci-attached")).as(stage.text("info-pci-attached.err")).isZero();
        assertThat(qemuLists(stage.text("info-pci-attached.out"))).as(stage.text("info-pci-attached.out")).isTrue();
        assertThat(stage.text("dumpxml-attached.out")).contains("<hostdev mode='subsystem' type='pci' managed='no'>");
    }

    @Test
    void migrateCheckExits3NamingTheNic() throws IOException {
        assertThat(stage.exit("migrate-check")).isEqualTo(3);
        assertThat(stage.text("migrate-check.out") + stage.text("migrate-check.err")).contains(a());
    }

    @Test
    void aDetachTheOsLessGuestNeverAnswersExits1AndKeepsTheNicHiddenAndAssigned() throws IOException {
        assertThat(stage.exit("detach-unreleased")).as(stage.text("detach-unreleased.err")).isEqualTo(1);
        assertThat(stage.fact("unreleased.driver")).isEqualTo("vfio-pci");
        assertThat(qemuLists(stage.text("info-pci-unreleased.out"))).as("QEMU still has it").isTrue();
        JsonNode assignment = stage.json("assignments-unreleased").get(0);
        assertThat(assignment.get("guest").asText()).isEqualTo("kvm1");
        assertThat(assignment.get("state").asText()).isEqualTo("detach-pending");
        for (JsonNode d : stage.json("list-unreleased")) {
            if (d.get("address").asText().equals(a())) {
                assertThat(d.get("owner").asText()).isEqualTo("kvm1");
                assertThat(d.get("verdict").asText()).isEqualTo("assigned");
            }
        }
    }

    @Test
    void afterVirshDestroyDetachReturnReconcilesAndGivesTheNicBack() throws IOException {
        assertThat(stage.exit("virsh-destroy")).as(stage.text("virsh-destroy.err")).isZero();
        assertThat(stage.exit("detach-reconcile")).as(stage.text("detach-reconcile.err")).isZero();
        assertThat(stage.fact("reconciled.driver")).isEqualTo("e1000e");
        assertThat(stage.json("assignments-reconciled")).isEmpty();
    }

    @Test
    void attachAndDetachConfigEditTheShutOffDomainsPersistentXml() throws IOException {
        assertThat(stage.exit("attach-config")).as(stage.text("attach-config.err")).isZero();
        assertThat(stage.fact("config-attached.driver")).as("hidden now, for the guest's next start")
                .isEqualTo("vfio-pci");
        assertThat(stage.text("dumpxml-config-attached.out"))
                .contains("<hostdev mode='subsystem' type='pci' managed='no'>")
                .contains("bus='0x" + a().substring(5, 7) + "'");
        assertThat(stage.exit("detach-config")).as(stage.text("detach-config.err")).isZero();
        assertThat(stage.fact("config-detached.driver")).isEqualTo("e1000e");
        assertThat(stage.text("dumpxml-config-detached.out")).doesNotContain("<hostdev");
        assertThat(stage.json("assignments-end")).isEmpty();
    }
}
