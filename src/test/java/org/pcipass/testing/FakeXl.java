package org.pcipass.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.host.CommandRunner;
import org.pcipass.testing.FakeXlState.Dev;
import org.pcipass.testing.FakeXlState.Dom;

/**
 * A fake {@code xl}, Xen 4.17's toolstack as a {@link CommandRunner}: it plays argv[0] == "xl" with the
 * real tool's output formats, messages and exit codes ({@link FakeXlCommands}, {@link FakeXlFormat})
 * and hands every other command to the runner it wraps (the {@link KernelSim kernel simulator}
 * for modprobe). Its Xen (domains, their PCI backends in xenstore, stored configurations, the
 * IOMMU) lives on disk in one directory ({@link FakeXlState}), so child JVMs share it.
 *
 * <pre>
 * FakeXl xl = FakeXl.at(tmp.resolve("xl")).over(kernelSim).sysfs(host.sysfs())
 *         .domain("web1").pv().passthrough("enabled").create()
 *         .domain("db").hvm().pci("0000:06:01.0").neverReleases().create();
 * </pre>
 *
 * <p>What xl would do, the fake does: pci-attach refuses a device pciback does not hold (with
 * {@link #sysfs} the tree's {@code bus/pci/drivers/pciback/BDF}, else {@link #assignable}) or one another
 * domain has, and a domain created without PCI devices or passthrough gets "xc_assign_device failed:
 * Operation not supported" (PV) or "cannot be assigned - no IOMMU?" (HVM). pci-detach asks the guest,
 * which lets go at once, never, or after some pci-list calls ({@link DomainBuilder}).
 */
public final class FakeXl implements CommandRunner {
    private static final CommandRunner NOTHING_ELSE = new CommandRunner() {
        @Override
        public Result run(List<String> argv) {
            return new Result(127, "", (argv.isEmpty() ? "" : argv.get(0)) + ": command not found\n");
        }

        @Override
        public boolean available(String program) {
            return false;
        }
    };

    private final Path dir;
    private final CommandRunner other;

    private FakeXl(Path dir, CommandRunner other) {
        this.dir = dir.toAbsolutePath().normalize();
        this.other = other;
        FakeXlState.update(this.dir, s -> null);
    }

    /** A fake xl keeping its Xen in {@code dir} (created, or taken up as another instance left it). */
    public static FakeXl at(Path dir) {
        return new FakeXl(dir, NOTHING_ELSE);
    }

    /** The environment variable naming a fake xl's directory for a child JVM ({@link #fromEnvironment}). */
    public static final String ENV = "PCIPASS_FAKE_XL";

    /**
     * For a child JVM's main (as {@link SimMain} builds its runner): a fake xl on the directory
     * {@value #ENV} names, over {@code other}; {@code other} itself when the variable is unset or empty.
     */
    public static CommandRunner fromEnvironment(Map<String, String> env, CommandRunner other) {
        String dir = env.get(ENV);
        return dir == null || dir.isBlank() ? other : new FakeXl(Path.of(dir), other);
    }

    /** The same fake xl, handing commands other than xl to {@code runner}. */
    public FakeXl over(CommandRunner runner) {
        return new FakeXl(dir, runner);
    }

    public Path dir() {
        return dir;
    }

    // ---- the host ---------------------------------------------------------------------------

    /** pciback's devices are those linked in {@code sysfs/bus/pci/drivers/pciback} (the kernel simulator's tree). */
    public FakeXl sysfs(Path sysfs) {
        FakeXlState.update(dir, s -> s.sysfs = sysfs.toAbsolutePath().normalize().toString());
        return this;
    }

    /** Without {@link #sysfs}: pciback holds exactly these devices (by default it holds any). */
    public FakeXl assignable(String... bdfs) {
        FakeXlState.update(dir, s -> s.assignable = new ArrayList<>(Arrays.asList(bdfs)));
        return this;
    }

    /** Whether Xen's IOMMU is on (virt_caps directio, the dmesg line; off, no device can be assigned). */
    public FakeXl iommu(boolean on) {
        FakeXlState.update(dir, s -> s.iommu = on);
        return this;
    }

    /** xl cannot reach a hypervisor (not a Xen dom0): every command fails as xl then does. */
    public FakeXl noHypervisor() {
        FakeXlState.update(dir, s -> s.hypervisor = false);
        return this;
    }

    public DomainBuilder domain(String name) {
        return new DomainBuilder(name);
    }

    /** {@code xl destroy NAME}: the domain and its devices are gone. */
    public FakeXl destroy(String name) {
        FakeXlState.update(dir, s -> s.domains.removeIf(d -> d.name.equals(name)));
        return this;
    }

    /** The guest finally lets go of every device it was asked to release, and answers later unplugs at once. */
    public FakeXl release(String name) {
        FakeXlState.update(dir, s -> {
            Dom d = existing(s, name);
            d.live.removeIf(v -> d.leaving.containsKey(v.bdf));
            d.leaving.clear();
            d.release = "at-once";
            return null;
        });
        return this;
    }

    // ---- what a test reads -----------------------------------------------------------------

    /** The devices in the domain's PCI backend (what pci-list shows), without counting as a pci-list call. */
    public Set<String> pciList(String name) {
        return FakeXlState.update(dir, s -> {
            Set<String> out = new LinkedHashSet<>();
            existing(s, name).live.forEach(v -> out.add(v.bdf));
            return out;
        });
    }

    public int domid(String name) {
        return FakeXlState.update(dir, s -> existing(s, name).domid);
    }

    /** Every xl command run on this directory, argv as given, oldest first. */
    public List<List<String>> calls() {
        return FakeXlState.update(dir, s -> List.copyOf(s.calls));
    }

    // ---- the runner ------------------------------------------------------------------------

    @Override
    public Result run(List<String> argv) {
        if (argv.isEmpty() || !isXl(argv.get(0))) {
            return other.run(argv);
        }
        return FakeXlState.update(dir, s -> {
            s.calls.add(List.copyOf(argv));
            return new FakeXlCommands(s).run(argv.subList(1, argv.size()));
        });
    }

    /** xl is installed (whether a hypervisor answers is {@link #noHypervisor}'s business). */
    @Override
    public boolean available(String program) {
        return isXl(program) || other.available(program);
    }

    private static boolean isXl(String program) {
        return Path.of(program).getFileName().toString().equals("xl");
    }

    private static Dom existing(FakeXlState s, String name) {
        Dom d = s.byName(name);
        if (d == null) {
            throw new IllegalArgumentException("FakeXl: no domain '" + name + "'");
        }
        return d;
    }

    /** A domain as {@code xl create} would start it from an xl.cfg; {@link #create} starts it. */
    public final class DomainBuilder {
        private final String name;
        private String type = "pv";
        private String passthrough;
        private final List<String> pci = new ArrayList<>();
        private String release = "at-once";
        private int releaseAfter;

        private DomainBuilder(String name) {
            this.name = name;
        }

        /** {@code type = "pv"} (the default). */
        public DomainBuilder pv() {
            type = "pv";
            return this;
        }

        public DomainBuilder hvm() {
            type = "hvm";
            return this;
        }

        public DomainBuilder pvh() {
            type = "pvh";
            return this;
        }

        /** xl.cfg's {@code passthrough = "VALUE"} (any text: a value libxl would not know is kept as written). */
        public DomainBuilder passthrough(String value) {
            passthrough = value;
            return this;
        }

        /** xl.cfg's {@code pci = [ ... ]}: devices given at creation (libxl then turns passthrough on). */
        public DomainBuilder pci(String... bdfs) {
            pci.addAll(Arrays.asList(bdfs));
            return this;
        }

        /** The guest never answers an unplug: the device stays in pci-list (until {@link FakeXl#release}). */
        public DomainBuilder neverReleases() {
            release = "never";
            return this;
        }

        /** The guest lets go after {@code lists} more pci-list calls on it. */
        public DomainBuilder releasesAfter(int lists) {
            release = "after";
            releaseAfter = lists;
            return this;
        }

        /**
         * Starts the domain. As libxl_create.c does, refuses passthrough on a Xen without IOMMU and a
         * domain with devices whose passthrough is "disabled"; a name in use is refused as xl does.
         */
        public FakeXl create() {
            FakeXlState.update(dir, s -> {
                boolean wantsPt = !pci.isEmpty() || passthrough != null && !passthrough.equals("disabled")
                        && !passthrough.equals("default");
                if (wantsPt && !s.iommu) {
                    throw new IllegalStateException("FakeXl: passthrough not supported on this platform (no IOMMU)");
                }
                if (!pci.isEmpty() && "disabled".equals(passthrough)) {
                    throw new IllegalStateException("FakeXl: passthrough disabled but devices are specified");
                }
                if (s.byName(name) != null || name.equals("Domain-0")) {
                    throw new IllegalStateException("FakeXl: domain with name \"" + name + "\" already exists");
                }
                Dom d = new Dom();
                d.name = name;
                d.domid = s.nextDomid++;
                d.type = type;
                d.passthrough = passthrough;
                d.release = release;
                d.releaseAfter = releaseAfter;
                int slot = 4;
                for (String bdf : pci) {
                    Dev v = new Dev(bdf, type.equals("hvm") ? slot++ << 3 : 0, false);
                    d.live.add(v);
                    d.config.add(v);
                }
                s.domains.add(d);
                return null;
            });
            return FakeXl.this;
        }
    }
}
