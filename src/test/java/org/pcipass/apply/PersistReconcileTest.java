package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.WS_VF0;
import static org.pcipass.testing.HostTrees.WS_VF1;
import static org.pcipass.testing.HostTrees.XEN_BNX2;
import static org.pcipass.testing.HostTrees.XEN_E1000_F0;
import static org.pcipass.testing.HostTrees.XEN_PCIBACK;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.store.Store;

/**
 * Issue 9, defects 4 and 5, through the commands against the kernel simulator. A hide --persist of
 * a device someone else put on the stub adopts it and persists it (4). The modprobe block, not the
 * registry alone, is the truth for every device a command does not change: a registry that was
 * lost or moved aside (pcipass's own "garbled state file" message says to move it) or a line
 * removed by hand never makes a command drop another device's persistence (5); where the block
 * cannot be edited without dropping a device pcipass has no record of, the command refuses (exit
 * 1) and changes nothing.
 *
 * <p>xenDom0: 09:00.0 on bnx2, 0a:04.0 on e1000 and 0a:04.1 already on pciback (not by pcipass),
 * both 8086:1010; kvmWorkstation: the VFs 03:10.0 and 03:10.4 on igbvf, both 8086:1520.
 */
class PersistReconcileTest {
    static final String XEN_CONF = "etc/modprobe.d/pcipass.conf";

    @TempDir
    Path tmp;

    private CrashHost xen() {
        return CrashHost.create(CrashHost.XEN_TWO, tmp.resolve("xen"));
    }

    private static Cli.Result ok(CrashHost h, String... words) {
        Cli.Result r = h.run(words);
        assertThat(r.exitCode()).as("%s: %s", List.of(words), r.err()).isZero();
        return r;
    }

    private static String conf(CrashHost h) {
        return CrashHost.read(h.host.configRoot().resolve(XEN_CONF));
    }

    private static void loseRegistry(CrashHost h) throws IOException {
        Files.move(h.state.resolve(Store.FILE), h.state.resolve(Store.FILE + ".moved-aside"));
    }

    // ---- defect 5: the block is the truth for the devices a command does not change ---------------------

    @Test
    void withTheRegistryMovedAsideUnhidePersistOfOneDeviceKeepsTheOther() throws IOException {
        CrashHost h = xen();
        ok(h, "hide", XEN_BNX2, XEN_E1000_F0, "--persist");
        assertThat(conf(h)).isEqualTo("""
                # BEGIN pcipass
                install bnx2 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install bnx2
                install e1000 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install e1000
                options xen-pciback hide=(0000:09:00.0)(0000:0a:04.0)
                # END pcipass
                """);
        loseRegistry(h);

        Cli.Result r = ok(h, "unhide", XEN_BNX2, "--persist");
        assertThat(r.out()).contains(XEN_BNX2 + ": pciback -> bnx2 (the kernel's choice)")
                .contains("note: " + h.host.configRoot().resolve(XEN_CONF) + "'s pcipass block keeps " + XEN_E1000_F0
                        + " hidden at boot, and pcipass has no record of it: 'pcipass hide DEVICE --persist' records one,"
                        + " 'pcipass unhide DEVICE --persist' returns one for good\n");
        assertThat(h.driver(XEN_BNX2)).isEqualTo("bnx2");
        assertThat(conf(h)).as("0a:04.0 stays persisted; bnx2's install line stays: no record says whose it was")
                .isEqualTo("""
                        # BEGIN pcipass
                        install bnx2 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install bnx2
                        install e1000 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install e1000
                        options xen-pciback hide=(0000:0a:04.0)
                        # END pcipass
                        """);
        assertThat(h.driver(XEN_E1000_F0)).isEqualTo("pciback");
    }

    @Test
    void withTheRegistryMovedAsideHidePersistAddsOnlyItsOwnLines() throws IOException {
        CrashHost h = xen();
        ok(h, "hide", XEN_BNX2, "--persist");
        loseRegistry(h);
        ok(h, "hide", XEN_E1000_F0, "--persist");
        assertThat(conf(h)).isEqualTo("""
                # BEGIN pcipass
                install bnx2 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install bnx2
                install e1000 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install e1000
                options xen-pciback hide=(0000:09:00.0)(0000:0a:04.0)
                # END pcipass
                """);
    }

    @Test
    void aDeviceWhoseLineWasRemovedByHandIsNotWrittenBackByAnotherDevicesCommand() throws IOException {
        CrashHost h = xen();
        ok(h, "hide", XEN_BNX2, XEN_E1000_F0, "--persist");
        Path conf = h.host.configRoot().resolve(XEN_CONF);
        Files.writeString(conf, conf(h).replace("(0000:09:00.0)", ""));
        Cli.Result r = ok(h, "unhide", XEN_E1000_F0, "--persist");
        assertThat(r.out()).contains("note: " + XEN_BNX2 + " is persisted in pcipass's registry, but " + conf
                + "'s pcipass block does not hide it (its line was removed by hand?): left as the file says;"
                + " 'pcipass hide " + XEN_BNX2 + " --persist' writes it again\n");
        assertThat(conf).as("nothing left for pciback to hide at boot: the block goes").doesNotExist();

        ok(h, "hide", XEN_BNX2, "--persist");
        assertThat(conf(h)).isEqualTo("""
                # BEGIN pcipass
                install bnx2 /sbin/modprobe xen-pciback; /sbin/modprobe --first-time --ignore-install bnx2
                options xen-pciback hide=(0000:09:00.0)
                # END pcipass
                """);
    }

    /**
     * The ids= line kept both VFs hidden; the registry is gone. Returning one VF for good must drop
     * the line, which would return the other at the next boot: refused (exit 1, nothing changed),
     * with the fix. Once the other is recorded (hide --persist adopts it), the same unhide works and
     * the other VF moves to apply-boot.
     */
    @Test
    void droppingAnIdsLineThatKeepsAnUnrecordedDeviceIsRefusedUntilItIsRecorded() throws IOException {
        CrashHost h = CrashHost.kvm(tmp.resolve("kvm"));
        ok(h, "hide", WS_VF0, WS_VF1, "--persist");
        Path conf = h.host.configRoot().resolve(XEN_CONF);
        String both = """
                # BEGIN pcipass
                options vfio-pci ids=8086:1520
                softdep igbvf pre: vfio-pci
                # END pcipass
                """;
        assertThat(CrashHost.read(conf)).isEqualTo(both);
        loseRegistry(h);
        int writes = h.sim.writes().size();

        Cli.Result refused = h.run("unhide", WS_VF0, "--persist");
        assertThat(refused.exitCode()).as(refused.err()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo("pcipass: " + conf + "'s pcipass block kept " + WS_VF1 + " hidden at boot by"
                + " its ids, which this change removes, and pcipass has no record of " + WS_VF1 + ": run 'pcipass hide "
                + WS_VF1 + " --persist' first so that pcipass records it (or, if it should not be hidden, remove its ids"
                + " from the block by hand), then run this again\n");
        assertThat(h.sim.writes()).hasSize(writes);
        assertThat(CrashHost.read(conf)).isEqualTo(both);
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");

        Cli.Result adopt = ok(h, "hide", WS_VF1, "--persist");
        assertThat(adopt.out()).contains("note: " + WS_VF1 + " was put on vfio-pci by someone else (at boot, or by"
                + " hand): pcipass records it now; its original driver is not known, so unhide will let the kernel pick"
                + " one\n");
        assertThat(CrashHost.read(conf)).isEqualTo(both);

        Cli.Result back = ok(h, "unhide", WS_VF0, "--persist");
        assertThat(back.out()).contains(WS_VF1 + ": other devices that stay on the host also have ids 8086:1520");
        assertThat(h.driver(WS_VF0)).isEqualTo("igbvf");
        assertThat(conf).as("no ids= line left, and no softdep for a stub that takes nothing").doesNotExist();
        HiddenDevice vf1 = h.registry().get(PciAddress.parse(WS_VF1));
        assertThat(vf1.persisted()).isTrue();
        assertThat(vf1.adopted()).isTrue();
        assertThat(h.host.configRoot().resolve("etc/systemd/system/pcipass-apply-boot.service")).exists();
    }

    @Test
    void aPatternInTheHideListIsNeverEditedForOneDevice() throws IOException {
        CrashHost h = xen();
        ok(h, "hide", XEN_BNX2, XEN_E1000_F0, "--persist");
        Path conf = h.host.configRoot().resolve(XEN_CONF);
        String byHand = conf(h).replace("(0000:0a:04.0)", "(0000:0a:04.*)");
        Files.writeString(conf, byHand);
        Cli.Result r = h.run("unhide", XEN_E1000_F0, "--persist");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pcipass: " + conf + "'s pcipass block hides " + XEN_E1000_F0 + " by the pattern"
                + " (0000:0a:04.*), which can take other devices too: edit that line by hand, then run again\n");
        assertThat(conf(h)).isEqualTo(byHand);
        assertThat(h.driver(XEN_E1000_F0)).isEqualTo("pciback");
    }

    /**
     * A hand-written options line for a stub inside the block that pcipass cannot read (a long-form
     * id): a second options line of pcipass's would fight it at boot (the kernel keeps the last), so
     * the edit is refused.
     */
    @Test
    void aStubOptionsLineInTheBlockThatPcipassCannotReadIsNeverDoubled() throws IOException {
        CrashHost h = CrashHost.kvm(tmp.resolve("kvm"));
        ok(h, "hide", WS_VF0, WS_VF1, "--persist");
        Path conf = h.host.configRoot().resolve(XEN_CONF);
        String byHand = CrashHost.read(conf).replace("ids=8086:1520", "ids=8086:1520:ffffffff:ffffffff:020000:ffff00");
        Files.writeString(conf, byHand);
        Cli.Result r = h.run("unhide", WS_VF0, "--persist");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("pcipass: " + conf + "'s pcipass block has the line 'options vfio-pci"
                + " ids=8086:1520:ffffffff:ffffffff:020000:ffff00', which pcipass cannot read as the devices or ids it"
                + " hides (pcipass writes one hide= entry per device and vendor:device pairs): edit it by hand, then run"
                + " again\n");
        assertThat(CrashHost.read(conf)).isEqualTo(byHand);
        assertThat(h.driver(WS_VF0)).isEqualTo("vfio-pci");
    }

    // ---- defect 4: a device already on the stub is adopted by hide --persist -------------------------------

    @Test
    void hidePersistOfADeviceSomeoneElseHidAdoptsAndPersistsIt() {
        CrashHost h = xen();
        assertThat(h.driver(XEN_PCIBACK)).isEqualTo("pciback");
        Cli.Result r = ok(h, "hide", XEN_PCIBACK, "--persist");
        assertThat(r.out()).contains("note: " + XEN_PCIBACK + " is already hidden on pciback\n")
                .contains("note: " + XEN_PCIBACK + " was put on pciback by someone else (at boot, or by hand): pcipass"
                        + " records it now; its original driver is not known, so unhide will let the kernel pick one\n");
        assertThat(conf(h)).isEqualTo("""
                # BEGIN pcipass
                options xen-pciback hide=(0000:0a:04.1)
                # END pcipass
                """);
        HiddenDevice rec = h.registry().get(PciAddress.parse(XEN_PCIBACK));
        assertThat(rec.persisted()).isTrue();
        assertThat(rec.adopted()).isTrue();
        assertThat(rec.originalDriver()).isNull();

        Cli.Result back = ok(h, "unhide", XEN_PCIBACK, "--persist");
        assertThat(back.out()).contains(XEN_PCIBACK + ": pciback -> e1000 (the kernel's choice)");
        assertThat(h.host.configRoot().resolve(XEN_CONF)).doesNotExist();
        assertThat(h.registry()).isEmpty();
    }

    /** The registry is gone but the block names one module for the one device it hides: that module is loaded on unhide. */
    @Test
    void anAdoptedDeviceGetsTheModuleTheBlockNamesForItAlone() throws IOException {
        CrashHost h = xen();
        ok(h, "hide", XEN_BNX2, "--persist");
        loseRegistry(h);
        ok(h, "hide", XEN_BNX2, "--persist");
        Map<PciAddress, HiddenDevice> reg = h.registry();
        HiddenDevice rec = reg.get(PciAddress.parse(XEN_BNX2));
        assertThat(rec.adopted()).isTrue();
        assertThat(rec.originalModule()).isEqualTo("bnx2");

        assertThat(h.sim.run(List.of("modprobe", "-r", "bnx2")).exitCode()).as("bnx2 unloaded meanwhile").isZero();
        Cli.Result back = ok(h, "unhide", XEN_BNX2, "--persist");
        assertThat(h.sim.commandsRun()).contains(List.of("modprobe", "bnx2"));
        assertThat(back.out()).contains(XEN_BNX2 + ": pciback -> bnx2 (the kernel's choice)");
        assertThat(h.host.configRoot().resolve(XEN_CONF)).as("bnx2's line went with its device").doesNotExist();
    }
}
