package org.pcipass.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.R5_BNX2;
import static org.pcipass.testing.HostTrees.WS_E1000;
import static org.pcipass.testing.HostTrees.WS_RTL8139;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.KernelSim;

/**
 * {@code hide --persist} on the kernel simulator refuses a line that fights pcipass's wherever
 * modprobe reads it: a file included from RHEL 5's modprobe.conf, kmod's /run and /lib directories.
 */
class PersistConflictTest {
    private static final String FIX = ": delete or comment out that line, then run again; pcipass keeps its own"
            + " lines between \"# BEGIN pcipass\" and \"# END pcipass\"";

    @TempDir
    Path tmp;

    private Cli.Result run(FakeHost h, KernelSim sim, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(),
                "--state-dir", tmp.resolve("state").toString()));
        return new Cli().kernel(sim).runner(sim).run(a.toArray(String[]::new));
    }

    @Test
    void theIssuesRhel5HostAHideInAFileIncludedFromModprobeConfIsRefusedAndNothingChanges() {
        FakeHost h = HostTrees.rhel5Root(tmp.resolve("h"));
        KernelSim sim = new KernelSim(h.sysfs(), h.configRoot());
        Path conf = h.configRoot().resolve("etc/modprobe.conf");
        Path local = h.configRoot().resolve("etc/modprobe.local");
        Fs.append(conf, "include /etc/modprobe.local\n");
        Fs.write(local, "options pciback hide=(0000:0a:00.0)\n");
        String before = Fs.read(conf);
        int writes = sim.writes().size();

        Cli.Result r = run(h, sim, "hide", R5_BNX2, "--persist");

        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        assertThat(r.err().strip()).isEqualTo("pcipass: " + local + " line 1 configures pciback outside pcipass's"
                + " block (\"options pciback hide=(0000:0a:00.0)\")" + FIX);
        assertThat(sim.writes()).as("no sysfs write").hasSize(writes);
        assertThat(sim.driverOf(R5_BNX2)).isEqualTo("bnx2");
        assertThat(Fs.read(conf)).isEqualTo(before);
        assertThat(Fs.read(local)).isEqualTo("options pciback hide=(0000:0a:00.0)\n");
        assertThat(h.configRoot().resolve("etc/modprobe.conf.pcipass.bak")).doesNotExist();
        assertThat(tmp.resolve("state/journal")).doesNotExist();
        org.pcipass.store.Db.onlyAudited(tmp.resolve("state"), "hide refused 3");
    }

    @Test
    void aKvmHostsRunAndLibModprobeDAreCheckedTooEveryConflictOnTheOneErrorLine() {
        FakeHost h = HostTrees.kvmWorkstation(tmp.resolve("h"));
        KernelSim sim = new KernelSim(h.sysfs(), h.configRoot());
        Path lib = h.configRoot().resolve("lib/modprobe.d/vfio.conf");
        Path run = h.configRoot().resolve("run/modprobe.d/nic.conf");
        Fs.write(lib, "options vfio-pci ids=10de:1b80\n");
        Fs.write(run, "# keep the onboard NIC\nblacklist e1000\n");
        int writes = sim.writes().size();

        Cli.Result r = run(h, sim, "hide", WS_E1000, "--with-group", "--persist");

        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        assertThat(r.err().strip()).isEqualTo("pcipass: " + lib + " line 1 configures vfio-pci outside pcipass's block"
                + " (\"options vfio-pci ids=10de:1b80\")" + FIX + " " + run + " line 2 configures e1000 outside"
                + " pcipass's block (\"blacklist e1000\")" + FIX);
        assertThat(sim.writes()).as("no sysfs write").hasSize(writes);
        assertThat(sim.driverOf(WS_E1000)).isEqualTo("e1000");
        assertThat(sim.driverOf(WS_RTL8139)).isEqualTo("8139cp");
        assertThat(h.configRoot().resolve("etc/modprobe.d/pcipass.conf")).doesNotExist();
    }
}
