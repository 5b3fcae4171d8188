package org.pcipass.sysfs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.pcipass.pci.PciAddress;

/**
 * Finds who on this host depends on each PCI device (REFERENCE.md, "Who depends on a device"):
 * mounted filesystems, active swap, default routes and the console.
 *
 * <p>Interfaces and disks hang below child devices ({@code …/0000:00:03.0/virtio2/net/eth0}), so
 * each {@code class/net} and {@code class/block} entry is mapped to its nearest PCI ancestor;
 * partitions sit under their disk; device-mapper and md devices are followed through
 * {@code slaves/}; bridges, bonds and VLANs through {@code lower_*} and {@code brif/}.
 */
public final class UsageScanner {
    /** Mount points whose loss takes the host down: DESIGN.md's system filesystems. */
    private static final Set<String> SYSTEM_MOUNTS = Set.of("/", "/boot", "/usr", "/var");

    private final Sysfs sys;
    private final Sysfs root;
    private final Map<PciAddress, List<Usage>> usage = new TreeMap<>();
    private final Map<String, Set<PciAddress>> blockCache = new HashMap<>();
    private final Map<String, Set<String>> netCache = new HashMap<>();

    public UsageScanner(Sysfs sys, Sysfs root) {
        this.sys = sys;
        this.root = root;
    }

    /** Every device's usage, critical entries first within each device. */
    public Map<PciAddress, List<Usage>> scan() {
        List<Mount> mounts = Mount.parseAll(root.readAll("proc/self/mountinfo"));
        scanMounts(mounts);
        scanSwaps(mounts);
        scanRoutes();
        scanInterfaces();
        scanConsole();
        usage.values().forEach(list -> list.sort((a, b) -> Boolean.compare(b.isCritical(), a.isCritical())));
        return usage;
    }

    private void add(PciAddress device, Usage u) {
        List<Usage> list = usage.computeIfAbsent(device, k -> new ArrayList<>());
        if (!list.contains(u)) {
            list.add(u);
        }
    }

    // ---- block devices and filesystems ----

    private void scanMounts(List<Mount> mounts) {
        Set<String> seen = new LinkedHashSet<>();
        for (Mount m : mounts) {
            if (!seen.add(m.source() + " " + m.mountPoint())) {
                continue;
            }
            Map<String, Set<PciAddress>> devices = mountDevices(m);
            String what = m.mountPoint().equals("/") ? "the root filesystem (/)"
                    : "a system filesystem (" + m.mountPoint() + ")";
            String critical = SYSTEM_MOUNTS.contains(m.mountPoint()) ? "carries " + what : null;
            devices.forEach((name, pcis) -> pcis.forEach(pci -> add(pci,
                    new Usage(Usage.BLOCK, name, "mounted at " + m.mountPoint() + " (" + m.fsType() + ")", critical))));
        }
    }

    /** The block devices (or 9p tags) behind a mount, each with the PCI devices under it. */
    private Map<String, Set<PciAddress>> mountDevices(Mount m) {
        Map<String, Set<PciAddress>> out = new TreeMap<>();
        if (m.fsType().equals("9p")) {
            Set<PciAddress> pci = virtio9p(m.source());
            if (!pci.isEmpty()) {
                out.put(m.source(), pci);
            }
            return out;
        }
        String name = m.major() != 0 ? sys.linkName("dev/block/" + m.major() + ":" + m.minor()) : null;
        if (name == null && m.source().startsWith("/dev/")) {
            name = devName(m.source());
        }
        if (name == null) {
            return out;
        }
        Set<String> names = new LinkedHashSet<>();
        names.add(name);
        if (m.fsType().equals("btrfs")) {
            names.addAll(btrfsSiblings(name));
        }
        for (String n : names) {
            Set<PciAddress> pci = blockPci(n);
            if (!pci.isEmpty()) {
                out.put(n, pci);
            }
        }
        return out;
    }

    /** The kernel name of a {@code /dev/…} path ({@code /dev/mapper/vg-root} → {@code dm-0}). */
    private String devName(String devPath) {
        String rel = devPath.substring(1);
        String resolved = root.resolve(rel);
        String candidate = resolved != null ? lastComponent(resolved) : lastComponent(rel);
        return sys.exists("class/block/" + candidate) ? candidate : null;
    }

    private Set<String> btrfsSiblings(String name) {
        Set<String> out = new LinkedHashSet<>();
        for (String uuid : sys.list("fs/btrfs")) {
            String[] devs = sys.list("fs/btrfs/" + uuid + "/devices");
            if (List.of(devs).contains(name)) {
                out.addAll(List.of(devs));
            }
        }
        return out;
    }

    /** The PCI devices a block device lives on, following partitions and dm/md slaves. */
    Set<PciAddress> blockPci(String name) {
        Set<PciAddress> cached = blockCache.get(name);
        if (cached != null) {
            return cached;
        }
        blockCache.put(name, Set.of()); // breaks cycles
        Set<PciAddress> out = new LinkedHashSet<>();
        PciAddress direct = nearestPci(sys.readlink("class/block/" + name));
        if (direct != null) {
            out.add(direct);
        } else {
            for (String slave : sys.list("class/block/" + name + "/slaves")) {
                out.addAll(blockPci(slave));
            }
            out.addAll(nvmeMultipath(name));
        }
        blockCache.put(name, out);
        return out;
    }

    /** A multipath NVMe namespace hangs below a virtual subsystem; its controllers are PCI. */
    private Set<PciAddress> nvmeMultipath(String name) {
        Set<PciAddress> out = new LinkedHashSet<>();
        String path = sys.readlink("class/block/" + name);
        if (path == null || !path.contains("nvme-subsystem/")) {
            return out;
        }
        String subsys = "class/block/" + name + "/..";
        for (String entry : sys.list(subsys)) {
            if (!entry.matches("nvme\\d+")) {
                continue; // namespaces and attributes; the controllers are nvmeN
            }
            PciAddress pci = nearestPci(sys.readlink(subsys + "/" + entry));
            if (pci != null) {
                out.add(pci);
            }
        }
        return out;
    }

    private Set<PciAddress> virtio9p(String tag) {
        Set<PciAddress> out = new LinkedHashSet<>();
        for (String dev : sys.list("bus/virtio/devices")) {
            if (tag.equals(sys.read("bus/virtio/devices/" + dev + "/mount_tag"))) {
                PciAddress pci = nearestPci(sys.resolve("bus/virtio/devices/" + dev));
                if (pci != null) {
                    out.add(pci);
                }
            }
        }
        return out;
    }

    private void scanSwaps(List<Mount> mounts) {
        String text = root.readAll("proc/swaps");
        if (text == null) {
            return;
        }
        String[] lines = text.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split("\\s+");
            if (f.length < 2 || f[0].isEmpty()) {
                continue;
            }
            String file = Mount.unescape(f[0]);
            Map<String, Set<PciAddress>> devices = new TreeMap<>();
            if (f[1].equals("partition") && file.startsWith("/dev/")) {
                String name = devName(file);
                if (name != null) {
                    devices.put(name, blockPci(name));
                }
            } else {
                Mount holder = Mount.holding(mounts, file);
                if (holder != null) {
                    devices.putAll(mountDevices(holder));
                }
            }
            devices.forEach((name, pcis) -> pcis.forEach(pci -> add(pci,
                    new Usage(Usage.SWAP, name, "active swap " + file, "holds active swap (" + file + ")"))));
        }
    }

    // ---- network ----

    private void scanRoutes() {
        Set<String> defaults = new LinkedHashSet<>();
        String v4 = root.readAll("proc/net/route");
        if (v4 != null) {
            String[] lines = v4.split("\n");
            for (int i = 1; i < lines.length; i++) {
                String[] f = lines[i].trim().split("\\s+");
                if (f.length >= 8 && f[1].equals("00000000") && f[7].equals("00000000") && up(f[3], 16)) {
                    defaults.add(f[0]);
                }
            }
        }
        String v6 = root.readAll("proc/net/ipv6_route");
        if (v6 != null) {
            for (String line : v6.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 10 && f[0].chars().allMatch(c -> c == '0') && f[1].equals("00")
                        && up(f[8], 16) && !f[9].equals("lo")) {
                    defaults.add(f[9]);
                }
            }
        }
        for (String iface : defaults) {
            for (String phys : physicalInterfaces(iface)) {
                PciAddress pci = nearestPci(sys.readlink("class/net/" + phys));
                if (pci == null) {
                    continue;
                }
                String via = phys.equals(iface) ? "" : ", through " + iface;
                add(pci, new Usage(Usage.NET, phys, "default route" + (via.isEmpty() ? "" : " via " + iface),
                        "carries the default route (interface " + phys + via + ")"));
            }
        }
    }

    /** RTF_UP set and RTF_REJECT clear. */
    private static boolean up(String flags, int radix) {
        try {
            long f = Long.parseLong(flags, radix);
            return (f & 0x1) != 0 && (f & 0x200) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The interfaces with a PCI device below {@code iface}: itself, or its lower devices. */
    Set<String> physicalInterfaces(String iface) {
        Set<String> cached = netCache.get(iface);
        if (cached != null) {
            return cached;
        }
        netCache.put(iface, Set.of());
        Set<String> out = new LinkedHashSet<>();
        if (nearestPci(sys.readlink("class/net/" + iface)) != null) {
            out.add(iface);
        } else {
            Set<String> lowers = new LinkedHashSet<>();
            for (String e : sys.list("class/net/" + iface)) {
                if (e.startsWith("lower_")) {
                    lowers.add(e.substring(6));
                }
            }
            lowers.addAll(List.of(sys.list("class/net/" + iface + "/brif")));
            String slaves = sys.read("class/net/" + iface + "/bonding/slaves");
            if (slaves != null && !slaves.isBlank()) {
                lowers.addAll(List.of(slaves.trim().split("\\s+")));
            }
            for (String lower : lowers) {
                out.addAll(physicalInterfaces(lower));
            }
        }
        netCache.put(iface, out);
        return out;
    }

    private void scanInterfaces() {
        for (String iface : sys.list("class/net")) {
            PciAddress pci = nearestPci(sys.readlink("class/net/" + iface));
            boolean known = pci != null && usage.getOrDefault(pci, List.of()).stream()
                    .anyMatch(u -> u.kind().equals(Usage.NET) && u.name().equals(iface));
            if (pci != null && !known) {
                String state = sys.read("class/net/" + iface + "/operstate");
                add(pci, new Usage(Usage.NET, iface, "network interface" + (state == null ? "" : ", " + state), null));
            }
        }
    }

    // ---- console ----

    /* The device links are relative ("../../../0000:00:02.0", or "../.." from below the device): resolve them. */
    private void scanConsole() {
        for (String fb : sys.list("class/graphics")) {
            if (!fb.startsWith("fb")) {
                continue;
            }
            PciAddress pci = nearestPci(sys.resolve("class/graphics/" + fb + "/device"));
            if (pci != null) {
                boolean console = fb.equals("fb0");
                add(pci, new Usage(Usage.CONSOLE, fb, console ? "console framebuffer" : "framebuffer",
                        console ? "drives the console framebuffer (" + fb + ")" : null));
            }
        }
        for (String card : sys.list("class/drm")) {
            if (!card.startsWith("card") || card.contains("-")) {
                continue;
            }
            PciAddress pci = nearestPci(sys.resolve("class/drm/" + card + "/device"));
            if (pci != null) {
                add(pci, new Usage(Usage.CONSOLE, card, "DRM card", null));
            }
        }
    }

    /** The nearest PCI function on a sysfs path: the last component that is a PCI address. */
    static PciAddress nearestPci(String path) {
        if (path == null) {
            return null;
        }
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            PciAddress a = PciAddress.ofSysfsName(parts[i]);
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    private static String lastComponent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
