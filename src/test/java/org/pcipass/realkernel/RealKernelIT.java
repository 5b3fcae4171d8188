package org.pcipass.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.pcipass.testing.Lspci;
import org.pcipass.testing.LspciAgreement;

/**
 * pcipass on a real Linux kernel: {@code realkernel/stage.sh} boots this Debian release's kernel under
 * QEMU (TCG) with an emulated Intel IOMMU, e1000e, e1000, rtl8139, NVMe and virtio devices behind
 * root ports, a PCIe switch and a PCIe-to-PCI bridge (and a PCI test device that the kernel command
 * line's {@code pci-stub.ids=} names), and runs {@code realkernel/scenarios.sh} there
 * in two boots of the same machine (the second shows what {@code --persist} does across a reboot);
 * each test here judges one scenario from what the guest wrote down: pcipass's output and exit
 * codes, and the kernel's own sysfs read by the guest's shell, not by pcipass.
 *
 * <p>Needs qemu-system-x86_64, busybox-static, kmod and cpio (./test installs them as root with apt)
 * and the network to Debian's archive once (the kernel package is cached in .cache/kernel). Without
 * them the tests skip, except with CI=true, where they fail.
 */
@Order(1)
class RealKernelIT {
    private static Stage stage;
    private static Path results;
    private static Map<String, String> facts;

    /** scenario f, the hide/unhide cycles: a boot of the same machine of its own, beside the two boots */
    private static final CompletableFuture<Stage> CYCLES = new CompletableFuture<>();
    private static Stage cycles;

    @RegisterExtension
    static final TestWatcher LOGS = Stage.printsOnFailure(() -> stage, "console.1.log", "console.2.log",
            "results/scenarios.1.log", "results/scenarios.2.log");
    @RegisterExtension
    static final TestWatcher CYCLES_LOGS = Stage.printsOnFailure(() -> cycles, "console.1.log",
            "results/scenarios.1.log");

    @AfterAll
    static void printTheFigure() {
        Stage.printFigure("the KVM host's two boots", stage);
        Stage.printFigure("the KVM host's cycles' boot", cycles);
    }

    @BeforeAll
    static void bootTheGuestAndRunTheScenarios() throws Exception {
        List<String> tools = Stage.MACHINE_TOOLS;
        Thread cyclesBoot = new Thread(() -> {
            try {
                CYCLES.complete(Stage.run("stage.sh", "real-kernel-cycles", tools, "cycles.sh", "1"));
            } catch (Throwable e) {
                CYCLES.completeExceptionally(e);
            }
        }, "real-kernel-cycles");
        cyclesBoot.start();
        stage = Stage.run("stage.sh", "real-kernel", tools);
        results = stage.results;
        facts = stage.facts();
        assertThat(exit("modprobe")).as("modprobe of the drivers in the guest: %s", text("modprobe.err")).isZero();
    }

    private static String fact(String key) {
        return stage.fact(key);
    }

    private static String dev(String name) {
        String address = fact("dev." + name);
        assertThat(address).as("the guest found device %s", name).matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
        return address;
    }

    private static String text(String file) throws IOException {
        return stage.text(file);
    }

    private static int exit(String step) throws IOException {
        return stage.exit(step);
    }

    private static JsonNode json(String step) throws IOException {
        return stage.json(step);
    }

    /** a. */
    @Test
    void listAgreesWithLspciInTheSameGuestOnEveryFieldIommuGroupsIncluded() throws IOException {
        Lspci.Result oracle = Lspci.parse(text("lspci.out"), text("lspci.err"));
        assertThat(exit("lspci")).as(oracle.stderr()).isZero();
        JsonNode list = json("list");
        assertThat(list).hasSize(oracle.records().size());
        assertThat(oracle.records().values()).as("lspci shows the IOMMU's groups")
                .allSatisfy(r -> assertThat(r).containsKey("IOMMUGroup"));
        LspciAgreement.assertAgrees(list, oracle);
    }

    /** a. */
    @Test
    void groupsMatchSysKernelIommuGroups() throws IOException {
        Map<Integer, TreeSet<String>> kernel = new TreeMap<>();
        for (String line : text("iommu_groups.txt").split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.split(" ");
                kernel.computeIfAbsent(Integer.valueOf(f[0]), g -> new TreeSet<>()).add(f[1]);
            }
        }
        assertThat(kernel).as("the emulated IOMMU made groups").hasSizeGreaterThan(5);
        Map<Integer, TreeSet<String>> pcipass = new TreeMap<>();
        for (JsonNode g : json("groups")) {
            TreeSet<String> members = new TreeSet<>();
            g.get("members").forEach(m -> members.add(m.get("address").asText()));
            pcipass.put(g.get("id").asInt(), members);
        }
        assertThat(pcipass).isEqualTo(kernel);
        // the PCIe-to-PCI bridge's group: the bridge, the e1000 and the rtl8139
        assertThat(kernel.values()).contains(new TreeSet<>(List.of(dev("BRIDGE"), dev("E1000"), dev("RTL"))));
        assertThat(kernel.values()).contains(new TreeSet<>(List.of(dev("MF0"), dev("MF1"))));
    }

    /** check on a real kernel with an emulated IOMMU (no /dev/kvm under TCG: the hypervisor line warns). */
    @Test
    void checkSeesTheIommuAndTheStubDrivers() throws IOException {
        JsonNode check = stage.jsonOf("check.out");
        Map<String, String> status = new LinkedHashMap<>();
        check.forEach(c -> status.put(c.get("name").asText(), c.get("status").asText()));
        assertThat(status).as(text("check.out")).containsEntry("iommu", "PASS")
                .containsEntry("stub vfio-pci", "PASS").containsEntry("stub pci-stub", "PASS")
                .containsEntry("hypervisor", "WARN").doesNotContainValue("FAIL");
        assertThat(exit("check")).isZero();
    }

    /** b. */
    @Test
    void anE1000eGoesToVfioPciGetsADevVfioNodeAndComesBackWithItsInterface() throws IOException {
        String before = fact("b.before.netifs");
        assertThat(fact("b.before.driver")).isEqualTo("e1000e");
        assertThat(before).as("the e1000e's network interface before").isNotEmpty();
        assertThat(fact("b.before.vfio-node")).as("no /dev/vfio node before").isEqualTo("no");
        assertThat(exit("hide-vfio-pci")).as(text("hide-vfio-pci.err")).isZero();
        assertThat(fact("b.hidden-vfio-pci.driver")).isEqualTo("vfio-pci");
        assertThat(fact("b.hidden-vfio-pci.vfio-node")).as("/dev/vfio/GROUP").isEqualTo("yes");
        assertThat(fact("b.hidden-vfio-pci.netifs")).as("no interface while hidden").isEmpty();
        assertThat(json("show-hidden-vfio-pci").get("verdict").asText()).as("on vfio-pci in a viable group")
                .isEqualTo("ready");
        assertThat(exit("unhide-vfio-pci")).as(text("unhide-vfio-pci.err")).isZero();
        assertThat(fact("b.returned-vfio-pci.driver")).isEqualTo("e1000e");
        assertThat(fact("b.returned-vfio-pci.netifs")).as("an interface again").isNotEmpty();
        assertThat(fact("b.returned-vfio-pci.vfio-node")).isEqualTo("no");
    }

    /** b. */
    @Test
    void theSameE1000eGoesToPciStubAndBack() throws IOException {
        assertThat(exit("hide-pci-stub")).as(text("hide-pci-stub.err")).isZero();
        assertThat(fact("b.hidden-pci-stub.driver")).isEqualTo("pci-stub");
        assertThat(fact("b.hidden-pci-stub.netifs")).isEmpty();
        assertThat(json("show-hidden-pci-stub").get("verdict").asText()).as("hidden, but not ready for KVM")
                .isNotEqualTo("ready");
        assertThat(exit("unhide-pci-stub")).as(text("unhide-pci-stub.err")).isZero();
        assertThat(fact("b.returned-pci-stub.driver")).isEqualTo("e1000e");
        assertThat(fact("b.returned-pci-stub.netifs")).isNotEmpty();
    }

    /** b, beyond the list: a storage controller's driver lets go and takes the device back. */
    @Test
    void theNvmeDriveGoesToVfioPciAndBack() throws IOException {
        assertThat(fact("b.nvme-before.driver")).isEqualTo("nvme");
        assertThat(exit("hide-nvme")).as(text("hide-nvme.err")).isZero();
        assertThat(fact("b.nvme-hidden.driver")).isEqualTo("vfio-pci");
        assertThat(fact("b.nvme-hidden.vfio-node")).isEqualTo("yes");
        assertThat(exit("unhide-nvme")).as(text("unhide-nvme.err")).isZero();
        assertThat(fact("b.nvme-returned.driver")).isEqualTo("nvme");
        assertThat(fact("b.nvme-returned.controller")).as("the nvme driver made its controller again").startsWith("nvme");
    }

    /**
     * h, beyond the list: --persist across a real reboot of the same machine. The e1000 and
     * the rtl8139 have ids no other device has, so modprobe's own configuration (options vfio-pci
     * ids=, softdep) keeps them on vfio-pci when their drivers load at boot; the e1000e shares its
     * ids with three that stay, so it boots on e1000e and pcipass apply-boot moves it.
     */
    @Test
    void persistedHidesHoldAcrossARealReboot() throws IOException {
        assertThat(exit("persist-hide-group")).as(text("persist-hide-group.err")).isZero();
        assertThat(exit("persist-hide-a")).as(text("persist-hide-a.err")).isZero();
        assertThat(fact("h.persisted-e1000.driver")).isEqualTo("vfio-pci");
        assertThat(fact("h.persisted-a.driver")).isEqualTo("vfio-pci");
        String conf = text("persisted.conf");
        assertThat(conf).contains("# BEGIN pcipass").contains("options vfio-pci ids=")
                .contains("8086:100e").contains("10ec:8139").contains("softdep e1000 pre: vfio-pci")
                .contains("softdep 8139cp pre: vfio-pci").doesNotContain("8086:10d3");

        assertThat(exit("boot-modprobe")).as(text("boot-modprobe.err")).isZero();
        assertThat(fact("h.booted-e1000.driver")).as("after the reboot, by modprobe's configuration").isEqualTo("vfio-pci");
        assertThat(fact("h.booted-rtl.driver")).as("after the reboot, by modprobe's configuration").isEqualTo("vfio-pci");
        assertThat(fact("h.booted-e1000.vfio-node")).isEqualTo("yes");
        assertThat(fact("h.booted-a.driver")).as("shared ids: modprobe cannot keep it").isEqualTo("e1000e");

        assertThat(exit("apply-boot")).as(text("apply-boot.err")).isZero();
        assertThat(fact("h.applied-a.driver")).isEqualTo("vfio-pci");
        assertThat(fact("h.applied-e1000.driver")).isEqualTo("vfio-pci");

        assertThat(exit("persist-unhide")).as(text("persist-unhide.err")).isZero();
        assertThat(fact("h.unhidden-e1000.driver")).isEqualTo("e1000");
        assertThat(fact("h.unhidden-rtl.driver")).isEqualTo("8139cp");
        assertThat(fact("h.unhidden-a.driver")).isEqualTo("e1000e");
        assertThat(fact("h.unhidden-a.netifs")).isNotEmpty();
        assertThat(Files.exists(results.resolve("unpersisted.conf")))
                .as("unhide --persist removed the file pcipass created").isFalse();
    }

    /**
     * i, issue 9's suspicion a: both boots' kernel command line has pci-stub.ids=1b36:0005 (the PCI
     * test device, which has no driver of its own), and pcipass persists the NVMe drive (1b36:0010) on
     * pci-stub. modprobe gives pci-stub the options line's ids, then the command line's, and the kernel
     * keeps the last: the command line wins and the line's own ids are lost at boot. So pcipass's line
     * carries both, it advises the merged parameter, and apply-boot hides the NVMe drive meanwhile;
     * with the advised command line (here a bind mount over /proc/cmdline, which is what modprobe
     * reads), pci-stub takes both devices.
     */
    @Test
    void theKernelCommandLinesStubIdsReplaceTheOptionsLinesSoPcipassAdvisesThemAndReappliesTheRest()
            throws IOException {
        String nvme = dev("NVME");
        dev("TESTDEV");
        assertThat(fact("h.kernel-cmdline")).contains(" pci-stub.ids=1b36:0005 ");
        assertThat(fact("i.boot1-testdev.driver")).as("the command line's pci-stub.ids, first boot").isEqualTo("pci-stub");

        assertThat(exit("persist-hide-nvme")).as(text("persist-hide-nvme.err")).isZero();
        assertThat(fact("i.persisted-nvme.driver")).isEqualTo("pci-stub");
        assertThat(text("persisted.conf")).as("the line carries the command line's ids too")
                .contains("options pci-stub ids=1b36:0005,1b36:0010\n").contains("softdep nvme pre: pci-stub\n");
        assertThat(text("persist-hide-nvme.out"))
                .contains("replace pci-stub.ids=1b36:0005 with pci-stub.ids=1b36:0005,1b36:0010 on the kernel command"
                        + " line: when modprobe loads pci-stub, it gives the command line's ids= after the options"
                        + " line's and the last one wins")
                .contains(nvme + ": the kernel command line's pci-stub.ids=1b36:0005 replaces the ids= of pcipass's"
                        + " line when pci-stub loads");

        // the reboot, in modprobe's own words: the configuration's options first, then the command line's
        assertThat(exit("i-show-config")).isZero();
        assertThat(text("i-show-config.out")).contains("options pci_stub ids=1b36:0005,1b36:0010\noptions pci_stub"
                + " ids=1b36:0005\n");
        assertThat(text("i-dry-run.out").strip()).matches("insmod \\S*/pci-stub\\.ko ids=1b36:0005,1b36:0010 ids=1b36:0005");
        // and the kernel keeps the last
        assertThat(fact("i.booted-testdev.driver")).isEqualTo("pci-stub");
        assertThat(fact("i.booted-nvme.driver")).as("the command line's ids replaced the line's").isEqualTo("nvme");
        assertThat(text("apply-boot.out")).contains(nvme + ": nvme -> pci-stub");
        assertThat(fact("i.applied-nvme.driver")).isEqualTo("pci-stub");

        assertThat(fact("i.unhidden-nvme.driver")).isEqualTo("nvme");
        assertThat(fact("i.unhidden-testdev.driver")).as("the command line's device is not pcipass's").isEqualTo("pci-stub");
        assertThat(text("persist-unhide.out")).contains("change pci-stub.ids=1b36:0005,1b36:0010 back to"
                + " pci-stub.ids=1b36:0005 on the kernel command line if you changed it");

        assertThat(fact("i.advised")).isEqualTo("pci-stub.ids=1b36:0005,1b36:0010");
        assertThat(text("i-advised-dry-run.out").strip())
                .matches("insmod \\S*/pci-stub\\.ko ids=1b36:0005,1b36:0010 ids=1b36:0005,1b36:0010");
        assertThat(exit("i-advised-modprobe")).as(text("i-advised-modprobe.err")).isZero();
        assertThat(fact("i.advised-nvme.driver")).as("the advised command line names it").isEqualTo("pci-stub");
        assertThat(fact("i.advised-testdev.driver")).isEqualTo("pci-stub");
        assertThat(fact("i.returned-nvme.driver")).isEqualTo("nvme");
    }

    /** c. */
    @Test
    void theE1000BehindThePciBridgeIsRefusedAloneNamingTheRtl8139() throws IOException {
        assertThat(exit("hide-e1000")).as(text("hide-e1000.err")).isEqualTo(3);
        String err = text("hide-e1000.err");
        assertThat(err.strip()).as("one line").doesNotContain("\n");
        assertThat(err).contains(dev("RTL")).contains("8139cp").contains("--with-group");
        assertThat(fact("c.refused-e1000.driver")).as("nothing changed").isEqualTo("e1000");
        assertThat(fact("c.refused-rtl.driver")).as("nothing changed").isEqualTo("8139cp");
    }

    /** c; and unhide loads an original driver's module that was unloaded meanwhile. */
    @Test
    void withGroupTheE1000AndTheRtl8139MoveTogetherAndTheBridgeStays() throws IOException {
        assertThat(exit("hide-e1000-group")).as(text("hide-e1000-group.err")).isZero();
        assertThat(fact("c.hidden-e1000.driver")).isEqualTo("vfio-pci");
        assertThat(fact("c.hidden-rtl.driver")).isEqualTo("vfio-pci");
        assertThat(fact("c.hidden-e1000.vfio-node")).isEqualTo("yes");
        String bridge = fact("c.before-bridge.driver");
        assertThat(fact("c.hidden-bridge.driver")).as("the PCIe-to-PCI bridge keeps its driver (or none)")
                .isEqualTo(bridge);
        assertThat(text("hide-e1000-group.out")).doesNotContain(dev("BRIDGE"));
        // their modules were unloaded while they were hidden: unhide loads them, and they take the devices
        assertThat(exit("rmmod-originals")).as(text("rmmod-originals.err")).isZero();
        assertThat(fact("c.originals-unloaded")).isEqualTo("yes");
        assertThat(exit("unhide-e1000-group")).as(text("unhide-e1000-group.err")).isZero();
        assertThat(fact("c.returned-e1000.driver")).isEqualTo("e1000");
        assertThat(fact("c.returned-rtl.driver")).isEqualTo("8139cp");
        assertThat(fact("c.returned-e1000.netifs")).isNotEmpty();
        assertThat(fact("c.returned-rtl.netifs")).isNotEmpty();
        assertThat(fact("c.returned-bridge.driver")).isEqualTo(bridge);
    }

    /** d. */
    @Test
    void theVirtioDeviceBehindTheNinePRootIsHostCriticalAndRefusedEvenWithForce() throws IOException {
        String root = dev("ROOT9P");
        JsonNode show = json("show-root");
        assertThat(show.get("verdict").asText()).isEqualTo("host-critical");
        assertThat(show.get("reasons").toString()).contains("root filesystem (/)");
        for (String step : List.of("hide-root", "hide-root-force")) {
            assertThat(exit(step)).as(text(step + ".err")).isEqualTo(3);
            assertThat(text(step + ".err")).contains(root);
        }
        assertThat(fact("d.after.driver")).as("still on virtio-pci").isEqualTo("virtio-pci");
        for (JsonNode d : json("list")) {
            if (d.get("address").asText().equals(root)) {
                assertThat(d.get("verdict").asText()).isEqualTo("host-critical");
            }
        }
    }

    /** e. */
    @Test
    void aSigkillInTheMiddleOfATwoDeviceHideIsUndoneByRecover() throws IOException {
        assertThat(fact("e.paused")).as("the hide paused after step %s: %s", fact("e.pause-after"),
                text("crash-hide.err")).isEqualTo("yes");
        assertThat(Integer.parseInt(fact("e.pause-after"))).isPositive()
                .isLessThan(Integer.parseInt(fact("e.steps")));
        assertThat(fact("e.killed-command")).as("the process killed was the JVM running the hide")
                .matches("(\\S*/)?java .*-jar \\S*pcipass\\.jar hide .*");
        assertThat(fact("e.hide-exit")).as("killed by SIGKILL").isEqualTo("137");
        // killed half-way: the first device moved, the second not yet
        assertThat(fact("e.killed-a.driver")).isEqualTo("vfio-pci");
        assertThat(fact("e.killed-s.driver")).isEqualTo("e1000e");
        assertThat(fact("e.journal-left")).as("the journal survives the kill").isEqualTo("yes");
        assertThat(exit("recover")).as(text("recover.err")).isZero();
        assertThat(fact("e.recovered-a.driver")).isEqualTo("e1000e");
        assertThat(fact("e.recovered-s.driver")).isEqualTo("e1000e");
        assertThat(fact("e.recovered-a.netifs")).isNotEmpty();
        for (JsonNode d : json("list-after-recover")) {
            if (d.get("address").asText().equals(dev("A")) || d.get("address").asText().equals(dev("S"))) {
                assertThat(d.get("driver").asText()).isEqualTo("e1000e");
            }
        }
    }

    /** f, g: the figures are benchmarks, printed, not gates; the stage's own timeout is the bound. */
    @Test
    void hideUnhideCyclesOfOneDeviceAllSucceed() throws Exception {
        cycles = cyclesStage();
        Map<String, String> f = cycles.facts();
        int count = Integer.parseInt(cycles.fact("f.cycles"));
        assertThat(count).isGreaterThanOrEqualTo(10);
        assertThat(cycles.fact("f.before.driver")).as("the device before the cycles").isEqualTo("e1000e");
        List<String> failures = new ArrayList<>();
        List<Long> ms = new ArrayList<>();
        for (int c = 1; c <= count; c++) {
            ms.add(Long.valueOf(cycles.fact("f." + c + ".ms")));
            if (f.containsKey("f." + c + ".failure")) {
                failures.add("cycle " + c + ": " + f.get("f." + c + ".failure"));
            }
        }
        assertThat(failures).isEmpty();
        assertThat(cycles.fact("f.failed")).isEqualTo("0");
        assertThat(cycles.fact("f.after.driver")).isEqualTo("e1000e");
        ms.sort(null);
        System.out.printf("real-kernel benchmark: %d hide/unhide cycles under TCG, median %d ms per cycle"
                + " (min %d, max %d); both boots with every other scenario %s s, the cycles' boot %s s%n", count,
                ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1), stage.bootSeconds(),
                cycles.bootSeconds());
    }

    /** The cycles' boot, once it ended (its failure, if it failed, is this test's). */
    private static Stage cyclesStage() throws Exception {
        try {
            return CYCLES.get(20, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            if (e.getCause() instanceof Error x) {
                throw x;
            }
            throw e;
        }
    }
}
