package org.pcipass.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The fake config-root ({@code --config-root}): a fake {@code /} with {@code proc/}, {@code etc/},
 * {@code dev/} and {@code lib/modules/RELEASE/}, in the kernel's own file formats.
 */
public final class FakeRoot {
    /** {@code /proc/net/route} header, padded to 127 characters as the kernel does. */
    static final String ROUTE_HEADER =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";
    /** {@code /proc/swaps} header. */
    static final String SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

    private final Path root;
    private final String release;
    private int nextMountId = 21;
    private int rootMountId = -1;

    FakeRoot(Path root, String release) {
        this.root = root;
        this.release = release;
        Fs.write(path("proc/sys/kernel/osrelease"), release + "\n");
        Fs.write(path("proc/self/mountinfo"), "");
        Fs.write(path("proc/swaps"), SWAPS_HEADER);
        Fs.write(path("proc/net/route"), pad127(ROUTE_HEADER));
        Fs.write(path("proc/net/ipv6_route"), "");
        Fs.write(path("proc/cmdline"), "BOOT_IMAGE=/boot/vmlinuz-" + release + " root=/dev/sda1 ro quiet\n");
        Fs.touch(path("lib/modules/" + release + "/modules.dep"));
        Fs.touch(path("lib/modules/" + release + "/modules.builtin"));
        Fs.mkdirs(path("etc/modprobe.d"));
        Fs.mkdirs(path("dev"));
        cpuinfo("GenuineIntel", "vmx");
    }

    /** The config-root directory. */
    public Path dir() {
        return root;
    }

    /** A path below the config-root, e.g. {@code path("etc/os-release")}. */
    public Path path(String relative) {
        return root.resolve(relative);
    }

    /** {@code lib/modules/RELEASE}. */
    public Path modulesDir() {
        return path("lib/modules/" + release);
    }

    /** Writes any file below the config-root. */
    public FakeRoot file(String relative, String content) {
        Fs.write(path(relative), content);
        return this;
    }

    /** Puts an (empty) .ko under lib/modules/RELEASE and its line into modules.dep. Idempotent. */
    public FakeRoot installModule(String module) {
        String ko = FakeDrivers.koPath(module);
        Path file = modulesDir().resolve(ko);
        if (Files.exists(file)) {
            return this;
        }
        Fs.touch(file);
        String deps = "";
        if (FakeDrivers.sysfsModuleName(module).equals("vfio_pci")) {
            installModule("vfio_pci_core");
            installModule("vfio");
            deps = " " + FakeDrivers.koPath("vfio_pci_core") + " " + FakeDrivers.koPath("vfio");
        } else if (FakeDrivers.sysfsModuleName(module).equals("vfio_pci_core")) {
            installModule("vfio");
            deps = " " + FakeDrivers.koPath("vfio");
        }
        Fs.append(modulesDir().resolve("modules.dep"), ko + ":" + deps + "\n");
        return this;
    }

    /** Lists a module in modules.builtin (no .ko file). Idempotent. */
    public FakeRoot builtinModule(String module) {
        String line = FakeDrivers.koPath(module);
        Path f = modulesDir().resolve("modules.builtin");
        if (!Fs.read(f).lines().anyMatch(line::equals)) {
            Fs.append(f, line + "\n");
        }
        return this;
    }

    /**
     * Appends a line to {@code proc/self/mountinfo}, e.g.
     * {@code 26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw}. The first mount of
     * {@code /} gets parent id 1; later mounts get the root mount as their parent.
     */
    public FakeRoot mount(String majMin, String mountPoint, String fsType, String source, String superOptions) {
        int id = nextMountId++;
        int parent = 1;
        if (mountPoint.equals("/") && rootMountId < 0) {
            rootMountId = id;
        } else if (rootMountId >= 0) {
            parent = rootMountId;
        }
        Fs.append(path("proc/self/mountinfo"), String.format("%d %d %s / %s rw,relatime shared:%d - %s %s %s%n",
                id, parent, majMin, escape(mountPoint), id - 20, fsType, escape(source), superOptions));
        return this;
    }

    /** A mount with super options {@code rw}. */
    public FakeRoot mount(String majMin, String mountPoint, String fsType, String source) {
        return mount(majMin, mountPoint, fsType, source, "rw");
    }

    /** The usual anonymous mounts: /proc, /sys, /dev, /run (all {@code 0:N}). */
    public FakeRoot virtualMounts() {
        mount("0:22", "/sys", "sysfs", "sysfs", "rw");
        mount("0:23", "/proc", "proc", "proc", "rw");
        mount("0:5", "/dev", "devtmpfs", "udev", "rw,size=8126100k,nr_inodes=2031525,mode=755");
        mount("0:25", "/run", "tmpfs", "tmpfs", "rw,size=1632388k,mode=755");
        return this;
    }

    /** Appends an active swap area to {@code proc/swaps}, in the kernel's padding. */
    public FakeRoot swap(String file, boolean partition, long sizeKb, long usedKb, int priority) {
        int pad = file.length() < 40 ? 40 - file.length() : 1;
        Fs.append(path("proc/swaps"), String.format("%s%" + pad + "s%s\t%d\t%s%d\t%s%d%n", file, " ",
                partition ? "partition" : "file\t", sizeKb, sizeKb < 10000000 ? "\t" : "",
                usedKb, usedKb < 10000000 ? "\t" : "", priority));
        return this;
    }

    /** Appends an IPv4 route; addresses in dotted form, written as little-endian hex. */
    public FakeRoot route(String iface, String destination, String gateway, String mask, int flags, int metric) {
        Fs.append(path("proc/net/route"), pad127(String.format("%s\t%s\t%s\t%04X\t%d\t%d\t%d\t%s\t%d\t%d\t%d",
                iface, hexLe(destination), hexLe(gateway), flags, 0, 0, metric, hexLe(mask), 0, 0, 0)));
        return this;
    }

    /** A default route (destination 00000000, flags UP|GATEWAY) plus the link's own subnet route. */
    public FakeRoot defaultRoute(String iface, String gateway, String network, String mask) {
        route(iface, "0.0.0.0", gateway, "0.0.0.0", 0x0003, 100);
        return route(iface, network, "0.0.0.0", mask, 0x0001, 100);
    }

    /**
     * Appends a raw {@code proc/net/ipv6_route} line: dest/plen, src/plen, next hop, metric, refcnt,
     * use, flags, device ({@code %8s}). Addresses are 32 hex digits.
     */
    public FakeRoot ipv6Route(String dest, int plen, String nextHop, int metric, int flags, String iface) {
        String zero = "0".repeat(32);
        Fs.append(path("proc/net/ipv6_route"), String.format("%s %02x %s %02x %s %08x %08x %08x %08x %8s%n",
                dest, plen, zero, 0, nextHop, metric, 1, 0, flags, iface));
        return this;
    }

    /** An IPv6 default route via a link-local router, plus the loopback entries. */
    public FakeRoot ipv6DefaultRoute(String iface) {
        String zero = "0".repeat(32);
        ipv6Route("fe800000000000000000000000000000", 64, zero, 256, 0x00000001, iface);
        ipv6Route(zero, 0, "fe800000000000000000000000000001", 1024, 0x00000003, iface);
        ipv6Route("00000000000000000000000000000001", 128, zero, 0, 0x80200001, "lo");
        return ipv6Route(zero, 0, zero, 0xffffffff, 0x00200200, "lo");
    }

    public FakeRoot cmdline(String line) {
        return file("proc/cmdline", line + "\n");
    }

    /** Two processors with {@code vendor_id} and a flags line containing {@code virtFlag} (vmx/svm). */
    public FakeRoot cpuinfo(String vendorId, String virtFlag) {
        StringBuilder sb = new StringBuilder();
        for (int cpu = 0; cpu < 2; cpu++) {
            sb.append("processor\t: ").append(cpu).append('\n')
              .append("vendor_id\t: ").append(vendorId).append('\n')
              .append("cpu family\t: 6\nmodel\t\t: 158\nmodel name\t: Intel(R) Core(TM) i9-9900K CPU @ 3.60GHz\n")
              .append("flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
                      + "dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc ")
              .append(virtFlag == null ? "" : virtFlag + " ").append("smx est tm2 ssse3 sdbg fma cx16 xtpr\n\n");
        }
        return file("proc/cpuinfo", sb.toString());
    }

    public FakeRoot osRelease(String content) {
        return file("etc/os-release", content);
    }

    /** Debian 12 {@code etc/os-release}. */
    public FakeRoot debian12() {
        return osRelease("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                + "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"
                + "HOME_URL=\"https://www.debian.org/\"\n");
    }

    public FakeRoot redhatRelease(String line) {
        return file("etc/redhat-release", line + "\n");
    }

    /** {@code dev/kvm} (empty file). */
    public FakeRoot kvmDevice() {
        Fs.touch(path("dev/kvm"));
        return this;
    }

    /** {@code dev/vfio/vfio} and {@code dev/vfio/N} (empty files). */
    public FakeRoot vfioGroup(int group) {
        Fs.touch(path("dev/vfio/vfio"));
        Fs.touch(path("dev/vfio/" + group));
        return this;
    }

    /** {@code proc/xen/capabilities}: {@code control_d} in dom0, empty in a domU. */
    public FakeRoot xenCapabilities(String content) {
        return file("proc/xen/capabilities", content.isEmpty() ? "" : content + "\n");
    }

    /** Little-endian hex of a dotted IPv4 address: 192.0.2.1 → {@code 010200C0}. */
    static String hexLe(String dotted) {
        String[] p = dotted.split("\\.");
        return String.format(Locale.ROOT, "%02X%02X%02X%02X", Integer.parseInt(p[3]), Integer.parseInt(p[2]),
                Integer.parseInt(p[1]), Integer.parseInt(p[0]));
    }

    private static String pad127(String line) {
        return String.format("%-127s%n", line);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
    }
}
