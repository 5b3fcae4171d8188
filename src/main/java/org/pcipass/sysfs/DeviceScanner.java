package org.pcipass.sysfs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.pcipass.pci.IommuGroup;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;

/**
 * Reads every PCI function under {@code bus/pci/devices} and every IOMMU group.
 *
 * <p>Lean by design: one directory listing per device tells which attributes exist, so absent
 * ones cost no failed open; each present one is one open and one read. Devices are read on all
 * cores. Ids, class and revision come from the attribute files as lspci reads them (an SR-IOV
 * VF's config space says ffff; the kernel fills the attributes from its PF); {@code config} is read
 * only for the header type.
 */
public final class DeviceScanner {
    private static final String DEVICES = "bus/pci/devices/";

    private final Sysfs sys;
    private final Map<String, String> moduleOfDriver = new ConcurrentHashMap<>();

    public DeviceScanner(Sysfs sys) {
        this.sys = sys;
    }

    /** Every PCI function, by address. Entries whose names are not PCI addresses are skipped. */
    public TreeMap<PciAddress, PciDevice> scanDevices() {
        String[] names = sys.list(DEVICES);
        List<PciDevice> found = Arrays.stream(names).parallel()
                .filter(PciAddress::looksLikeSysfsName)
                .map(this::scanOne)
                .toList();
        TreeMap<PciAddress, PciDevice> byAddress = new TreeMap<>();
        for (PciDevice d : found) {
            byAddress.put(d.address(), d);
        }
        return byAddress;
    }

    /** Every IOMMU group under {@code kernel/iommu_groups}, by id. */
    public TreeMap<Integer, IommuGroup> scanGroups() {
        TreeMap<Integer, IommuGroup> groups = new TreeMap<>();
        for (String n : sys.list("kernel/iommu_groups")) {
            Integer id = parseIntOrNull(n);
            if (id == null) {
                continue;
            }
            List<PciAddress> members = new ArrayList<>();
            for (String m : sys.list("kernel/iommu_groups/" + n + "/devices")) {
                if (PciAddress.looksLikeSysfsName(m)) {
                    members.add(PciAddress.parse(m));
                }
            }
            groups.put(id, new IommuGroup(id, members));
        }
        return groups;
    }

    PciDevice scanOne(String name) {
        String dir = DEVICES + name + "/";
        Set<String> has = new HashSet<>(Arrays.asList(sys.list(dir)));
        String driver = has.contains("driver") ? sys.linkName(dir + "driver") : null;
        List<PciAddress> virtfns = new ArrayList<>();
        List<Integer> vfIndexes = new ArrayList<>();
        for (String e : has) {
            if (e.startsWith("virtfn")) {
                Integer i = parseIntOrNull(e.substring(6));
                if (i != null) {
                    vfIndexes.add(i);
                }
            }
        }
        vfIndexes.sort(null);
        for (int i : vfIndexes) {
            PciAddress vf = addressOrNull(sys.linkName(dir + "virtfn" + i));
            if (vf != null) {
                virtfns.add(vf);
            }
        }
        Integer numa = has.contains("numa_node") ? sys.readInt(dir + "numa_node") : null;
        return new PciDevice(
                PciAddress.parse(name),
                sysfsPath(name),
                hex(has, dir, "vendor"),
                hex(has, dir, "device"),
                hex(has, dir, "subsystem_vendor"),
                hex(has, dir, "subsystem_device"),
                hex(has, dir, "class"),
                hex(has, dir, "revision"),
                has.contains("config") ? headerType(sys.readBytes(dir + "config", 64)) : null,
                driver,
                driver == null ? null : emptyToNull(moduleOfDriver.computeIfAbsent(driver, this::moduleOf)),
                has.contains("iommu_group") ? parseIntOrNull(sys.linkName(dir + "iommu_group")) : null,
                numa == null || numa < 0 ? null : numa,
                has.contains("physfn") ? addressOrNull(sys.linkName(dir + "physfn")) : null,
                virtfns,
                has.contains("sriov_totalvfs")
                        ? new PciDevice.Sriov(sys.readInt(dir + "sriov_totalvfs"), sys.readInt(dir + "sriov_numvfs"))
                        : null,
                has.contains("reset_method") ? resetMethods(sys.read(dir + "reset_method")) : null,
                link(has, dir),
                has.contains("boot_vga") && "1".equals(sys.read(dir + "boot_vga")));
    }

    private Integer hex(Set<String> has, String dir, String attr) {
        return has.contains(attr) ? sys.readHex(dir + attr) : null;
    }

    private String sysfsPath(String name) {
        String target = sys.readlink(DEVICES + name);
        if (target == null) {
            return null;
        }
        int i = target.indexOf("devices/");
        return i < 0 ? null : target.substring(i);
    }

    private static Integer headerType(byte[] config) {
        return config == null || config.length <= 0x0e ? null : config[0x0e] & 0x7f;
    }

    private static List<String> resetMethods(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
    }

    private PciDevice.Link link(Set<String> has, String dir) {
        if (!has.contains("current_link_speed") && !has.contains("max_link_speed")) {
            return null;
        }
        return new PciDevice.Link(
                has.contains("current_link_speed") ? sys.read(dir + "current_link_speed") : null,
                has.contains("current_link_width") ? sys.readInt(dir + "current_link_width") : null,
                has.contains("max_link_speed") ? sys.read(dir + "max_link_speed") : null,
                has.contains("max_link_width") ? sys.readInt(dir + "max_link_width") : null);
    }

    /**
     * The module behind a driver, or "" when it is built in: {@code drivers/X/module} links to
     * {@code module/M}, and only a loadable module has {@code module/M/initstate}.
     */
    private String moduleOf(String driver) {
        String m = sys.linkName("bus/pci/drivers/" + driver + "/module");
        return m != null && sys.exists("module/" + m + "/initstate") ? m : "";
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static PciAddress addressOrNull(String name) {
        return name != null && PciAddress.looksLikeSysfsName(name) ? PciAddress.parse(name) : null;
    }

    static Integer parseIntOrNull(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
