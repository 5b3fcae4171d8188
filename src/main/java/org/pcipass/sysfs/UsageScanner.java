package org.pcipass.sysfs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.pcipass.pci.PciAddress;

/**
 * Finds who on this host depends on each PCI device (REFERENCE.md, "Who depends on a device"):
 * mounted filesystems, active swap, default routes and the console. A filesystem or swap on the
 * network (NFS, SMB, Ceph, a software iSCSI disk) depends on the NICs the kernel routes to its
 * servers through.
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
    private final Map<String, Backing> blockCache = new HashMap<>();
    private final Map<String, Set<String>> netCache = new HashMap<>();
    private final List<String> unplaced = new ArrayList<>();
    private RouteTable routes;

    public UsageScanner(Sysfs sys, Sysfs root) {
        this.sys = sys;
        this.root = root;
    }

    /** Every device's usage, critical entries first within each device. */
    public Map<PciAddress, List<Usage>> scan() {
        List<Mount> mounts = Mount.parseAll(root.readAll("proc/self/mountinfo"));
        routes = RouteTable.read(root);
        scanMounts(mounts);
        scanSwaps(mounts);
        scanRoutes();
        scanInterfaces();
        scanConsole();
        usage.values().forEach(list -> list.sort((a, b) -> Boolean.compare(b.isCritical(), a.isCritical())));
        return usage;
    }

    /**
     * System filesystems (and active swap) on the network whose servers lead to no PCI NIC: a host
     * name where the kernel gave no address, no route, or only virtual interfaces below the route.
     * One sentence each, for {@code check} to report.
     */
    public List<String> unplaced() {
        return List.copyOf(unplaced);
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
            String what = m.mountPoint().equals("/") ? "the root filesystem (/)"
                    : "a system filesystem (" + m.mountPoint() + ")";
            String critical = SYSTEM_MOUNTS.contains(m.mountPoint()) ? "carries " + what : null;
            String detail = "mounted at " + m.mountPoint() + " (" + m.fsType() + ")";
            addBacking(mountDevices(m), Usage.BLOCK, detail, critical);
            for (NetworkServers.Server s : NetworkServers.of(m)) {
                reach(s, m.mountPoint() + " (" + m.fsType() + ")", critical);
            }
        }
    }

    /**
     * One usage per PCI device each block device lives on, and, for a disk of an iSCSI session,
     * one per NIC that reaches the session's targets.
     */
    private void addBacking(Map<String, Backing> devices, String kind, String detail, String critical) {
        devices.forEach((name, b) -> {
            b.pci().forEach(pci -> add(pci, new Usage(kind, name, detail, critical)));
            for (String session : b.iscsiSessions()) {
                for (NetworkServers.Server s : NetworkServers.iscsi(sys, session)) {
                    reach(s, name + (kind.equals(Usage.SWAP) ? ", " : " ") + detail, critical);
                }
            }
        });
    }

    /** The block devices (or 9p tags) behind a mount, each with what it lives on. */
    private Map<String, Backing> mountDevices(Mount m) {
        Map<String, Backing> out = new TreeMap<>();
        if (m.fsType().equals("9p")) {
            Set<PciAddress> pci = virtio9p(m.source());
            if (!pci.isEmpty()) {
                out.put(m.source(), new Backing(pci, Set.of()));
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
            Backing b = backing(n);
            if (!b.isEmpty()) {
                out.put(n, b);
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

    /**
     * What a block device lives on: PCI devices, and the sessions of the software iSCSI initiator
     * (whose disks have no PCI device above them; an iSCSI HBA's do).
     *
     * @param iscsiSessions session directories relative to the sysfs root
     */
    private record Backing(Set<PciAddress> pci, Set<String> iscsiSessions) {
        boolean isEmpty() {
            return pci.isEmpty() && iscsiSessions.isEmpty();
        }
    }

    /** What a block device lives on, following partitions and dm/md slaves. */
    private Backing backing(String name) {
        Backing cached = blockCache.get(name);
        if (cached != null) {
            return cached;
        }
        blockCache.put(name, new Backing(Set.of(), Set.of())); // breaks cycles
        Set<PciAddress> pci = new LinkedHashSet<>();
        Set<String> sessions = new LinkedHashSet<>();
        String link = sys.readlink("class/block/" + name);
        PciAddress direct = nearestPci(link);
        String session = direct == null ? NetworkServers.iscsiSession(sys, name, link) : null;
        if (direct != null) {
            pci.add(direct);
        } else if (session != null) {
            sessions.add(session);
        } else {
            for (String slave : sys.list("class/block/" + name + "/slaves")) {
                Backing b = backing(slave);
                pci.addAll(b.pci());
                sessions.addAll(b.iscsiSessions());
            }
            pci.addAll(nvmeMultipath(name));
        }
        Backing out = new Backing(pci, sessions);
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
            Map<String, Backing> devices = new TreeMap<>();
            String critical = "holds active swap (" + file + ")";
            if (f[1].equals("partition") && file.startsWith("/dev/")) {
                String name = devName(file);
                if (name != null) {
                    devices.put(name, backing(name));
                }
            } else {
                Mount holder = Mount.holding(mounts, file);
                if (holder != null) {
                    devices.putAll(mountDevices(holder));
                    for (NetworkServers.Server s : NetworkServers.of(holder)) {
                        reach(s, "active swap " + file, critical);
                    }
                }
            }
            addBacking(devices, Usage.SWAP, "active swap " + file, critical);
        }
    }

    // ---- network ----

    private void scanRoutes() {
        for (String iface : routes.defaultInterfaces()) {
            nicsBelow(iface).forEach((phys, pci) -> {
                String via = phys.equals(iface) ? "" : ", through " + iface;
                add(pci, new Usage(Usage.NET, phys, "default route" + (via.isEmpty() ? "" : " via " + iface),
                        "carries the default route (interface " + phys + via + ")"));
            });
        }
    }

    /**
     * Adds a usage to each PCI NIC the kernel reaches server {@code s} through: the interface of a
     * scoped link-local address, else the best route's, followed through bridges, bonds and VLANs.
     *
     * @param of what lives on the server, in words ({@code / (nfs4)})
     */
    private void reach(NetworkServers.Server s, String of, String critical) {
        Set<String> ifaces = s.ip() == null ? Set.of() : s.scope() != null ? scopedInterface(s.scope())
                : routes.interfacesTo(s.ip());
        boolean placed = false;
        for (String iface : ifaces) {
            for (Map.Entry<String, PciAddress> nic : nicsBelow(iface).entrySet()) {
                String via = nic.getKey().equals(iface) ? "" : ", through " + iface;
                add(nic.getValue(), new Usage(Usage.NET, nic.getKey(),
                        "reaches the " + s.role() + " " + s.address() + " of " + of + via, critical));
                placed = true;
            }
        }
        if (!placed && critical != null) {
            String why = s.ip() == null ? "it is a host name and pcipass asks no DNS"
                    : ifaces.isEmpty() ? "no route leads to it" : "no PCI NIC lies below " + String.join(", ", ifaces);
            unplaced.add(of + " lives on the " + s.role() + " " + s.address() + ", but " + why
                    + ": pcipass cannot tell which NIC the host needs for it");
        }
    }

    /** {@code fe80::1%2}: the interface of index 2 (or named so). */
    private Set<String> scopedInterface(String scope) {
        if (!scope.chars().allMatch(Character::isDigit)) {
            boolean name = !scope.contains("/") && !scope.startsWith(".") && sys.exists("class/net/" + scope);
            return name ? Set.of(scope) : Set.of();
        }
        for (String iface : sys.list("class/net")) {
            if (scope.equals(sys.read("class/net/" + iface + "/ifindex"))) {
                return Set.of(iface);
            }
        }
        return Set.of();
    }

    /** The PCI NICs below {@code iface} (itself, or its lower devices), by interface name. */
    private Map<String, PciAddress> nicsBelow(String iface) {
        Map<String, PciAddress> out = new LinkedHashMap<>();
        for (String phys : physicalInterfaces(iface)) {
            PciAddress pci = nearestPci(sys.readlink("class/net/" + phys));
            if (pci != null) {
                out.put(phys, pci);
            }
        }
        return out;
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
