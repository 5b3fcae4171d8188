package org.pcipass.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.apply.JsonTree;
import org.pcipass.pci.PciAddress;

/**
 * Reads what Xen 4.17's {@code xl} prints. Each reader names the source that fixes the format
 * (paths in xen.git at RELEASE-4.17.5). Output pcipass cannot read is an error, never skipped:
 * a device missed here would be handed to a second guest.
 */
final class XlOutput {
    /** A row of {@code xl list}. */
    record Listed(String name, long domid) {}

    /**
     * One element of {@code xl list -l}: its {@code domid} and {@code config} (a libxl_domain_config).
     *
     * @param type {@code c_info.type} ({@code pv}, {@code hvm}, {@code pvh}), else b_info's union key; null when neither
     * @param passthrough {@code c_info.passthrough} as the domain's xl.cfg set it; null when absent (libxl's "default")
     */
    record Config(long domid, String name, String type, String passthrough, List<PciAddress> pcidevs) {}

    /* tools/xl/xl_pci.c pcilist(): printf("Vdev Device\n") then "%02x.%01x %04x:%02x:%02x.%01x\n"
     * per device; nothing at all (no header) when libxl_device_pci_list() returns none. */
    private static final Pattern PCI_LIST_ROW =
            Pattern.compile("[0-9a-f]{2}\\.[0-7] +([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7])");

    /* tools/xl/xl_info.c list_domains(): "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f" (name, id, MiB,
     * VCPUs, the six state letters r b p s (c|w|S|...) d, CPU seconds) under a header starting "Name".
     * The name is padded, not quoted: read the row from its right end. */
    private static final Pattern LIST_ROW =
            Pattern.compile("(.*?)\\s+(\\d+)\\s+\\d+\\s+\\d+\\s+[-rbpscwSd?]{6}\\s+[0-9.]+");

    /* xen/drivers/passthrough/iommu.c iommu_setup(): printk("I/O virtualisation %sabled\n", ...) */
    private static final Pattern DMESG_IOMMU = Pattern.compile("I/O virtualisation (en|dis)abled");

    /* tools/libs/light/libxl_internal.c libxl__logv() through tools/libs/toollog/xtl_logger_stdio.c:
     * "libxl: error: FILE:LINE:FUNCTION: [Domain N:]MESSAGE[: strerror]" */
    private static final Pattern LIBXL_PREFIX =
            Pattern.compile("^.*?libxl: (?:error|warning|info|notice|critical): (?:[\\w.]+:\\d+:\\w+: )?(?:Domain \\d+:)?");

    /* Lines that only say an earlier line's failure happened (libxl_device.c device_addrm_aocomplete,
     * libxl_pci.c device_pci_add_done, xl.c xl_ctx_alloc): the cause is the line before them. */
    private static final Pattern WRAPPER = Pattern.compile(
            "unable to (add|remove) device|Unable to (add|remove) \\w+ with id|libxl__device_pci_add failed for"
                    + "|^cannot init xl context$");

    private XlOutput() {}

    /** The devices of {@code xl pci-list}. */
    static Set<PciAddress> pciList(String stdout, String command) {
        Set<PciAddress> out = new LinkedHashSet<>();
        for (String line : stdout.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.equals("Vdev Device")) {
                continue;
            }
            Matcher m = PCI_LIST_ROW.matcher(l);
            if (!m.matches()) {
                throw unreadable(command, "a line", l);
            }
            out.add(PciAddress.parse(m.group(1)));
        }
        return out;
    }

    /** The rows of {@code xl list}, dom0 included. */
    static List<Listed> list(String stdout, String command) {
        List<Listed> out = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.isBlank() || line.startsWith("Name ")) {
                continue;
            }
            Matcher m = LIST_ROW.matcher(line.strip());
            if (!m.matches()) {
                throw unreadable(command, "a line", line.strip());
            }
            out.add(new Listed(m.group(1), Long.parseLong(m.group(2))));
        }
        return out;
    }

    /**
     * The domains of {@code xl list -l}. The shape is tools/xl/xl_info.c list_domains_details() and
     * printf_info_one_json(): an array of {@code {"domid": N, "config": libxl_domain_config}}. The
     * config's JSON comes from tools/libs/light/gentypes.py libxl_C_type_gen_json(), which leaves out
     * every field still at its default (get_default_expr): an absent number is 0, an absent
     * {@code passthrough} is "default", an absent {@code pcidevs} is empty. Field names are
     * libxl_types.idl's: c_info.type/name/passthrough, pcidevs[].domain/bus/dev/func.
     */
    static List<Config> listLong(String stdout, String command) {
        Object doc;
        try {
            doc = JsonTree.parse(stdout);
        } catch (IOException e) {
            throw new GuestException(command + " printed JSON pcipass cannot read: " + e.getMessage(), e);
        }
        if (!(doc instanceof List<?> domains)) {
            throw unreadable(command, "instead of a JSON array", brief(stdout));
        }
        List<Config> out = new ArrayList<>();
        for (Object d : domains) {
            out.add(config(d, command));
        }
        return out;
    }

    private static Config config(Object element, String command) {
        Map<?, ?> d = object(element, "domain", command);
        Map<?, ?> config = object(d.get("config"), "config", command);
        Map<?, ?> cInfo = optional(config.get("c_info"), "c_info", command);
        Map<?, ?> bInfo = optional(config.get("b_info"), "b_info", command);
        String type = text(cInfo.get("type"));
        List<PciAddress> pcidevs = new ArrayList<>();
        Object devs = config.get("pcidevs");
        if (devs != null && !(devs instanceof List<?>)) {
            throw unreadable(command, "as pcidevs", String.valueOf(devs));
        }
        for (Object p : devs == null ? List.of() : (List<?>) devs) {
            Map<?, ?> pci = object(p, "pcidevs element", command);
            pcidevs.add(new PciAddress(number(pci, "domain", command), (int) number(pci, "bus", command),
                    (int) number(pci, "dev", command), (int) number(pci, "func", command)));
        }
        return new Config(d.get("domid") == null ? -1 : number(d, "domid", command), text(cInfo.get("name")),
                type != null ? type : unionType(bInfo), text(cInfo.get("passthrough")), pcidevs);
    }

    /** b_info's keyed union is written as {@code "type.pv": {...}} (gentypes.py libxl_C_type_gen_map_key). */
    private static String unionType(Map<?, ?> bInfo) {
        for (Object k : bInfo.keySet()) {
            String key = String.valueOf(k);
            if (key.startsWith("type.")) {
                return key.substring("type.".length());
            }
        }
        return text(bInfo.get("type"));
    }

    /**
     * Whether Xen's IOMMU is active, from {@code xl info}'s virt_caps line (tools/xl/xl_info.c
     * output_physinfo(): " hvm_directio" and " pv_directio" are printed when the hypervisor reports
     * XEN_SYSCTL_PHYSCAP_directio, which it sets when its IOMMU is enabled); null without that line.
     */
    static Boolean virtCapsDirectio(String stdout) {
        for (String line : stdout.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals("virt_caps")) {
                List<String> caps = List.of(line.substring(colon + 1).strip().split("\\s+"));
                return caps.contains("hvm_directio") || caps.contains("pv_directio");
            }
        }
        return null;
    }

    /** Xen's own boot line in {@code xl dmesg}, the last one if it booted more than once; null when the ring lost it. */
    static Boolean dmesgIommu(String stdout) {
        Matcher m = DMESG_IOMMU.matcher(stdout);
        Boolean found = null;
        while (m.find()) {
            found = m.group(1).equals("en");
        }
        return found;
    }

    /**
     * xl's reason for a failure: the last stderr line that is not one of libxl's "that failed" wrappers
     * (libxl logs the cause first, then each caller adds "unable to add device"), without libxl's
     * "libxl: error: FILE:LINE:FUNCTION: Domain N:" prefix; null when xl printed nothing.
     */
    static String cause(String stderr) {
        String last = null;
        String lastUseful = null;
        for (String line : stderr.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            last = l;
            if (!WRAPPER.matcher(l).find()) {
                lastUseful = l;
            }
        }
        String pick = lastUseful != null ? lastUseful : last;
        return pick == null ? null : LIBXL_PREFIX.matcher(pick).replaceFirst("");
    }

    private static Map<?, ?> object(Object v, String what, String command) {
        if (v instanceof Map<?, ?> m) {
            return m;
        }
        throw unreadable(command, "as " + what, String.valueOf(v));
    }

    private static Map<?, ?> optional(Object v, String what, String command) {
        return v == null ? Map.of() : object(v, what, command);
    }

    private static long number(Map<?, ?> m, String field, String command) {
        Object v = m.get(field);
        if (v == null) {
            return 0;
        }
        if (v instanceof Long l && l >= 0) {
            return l;
        }
        throw unreadable(command, "as " + field, String.valueOf(v));
    }

    private static String text(Object v) {
        return v instanceof String s ? s : null;
    }

    private static String brief(String s) {
        String one = s.strip().replace('\n', ' ');
        return one.length() > 60 ? one.substring(0, 60) + "…" : one;
    }

    private static GuestException unreadable(String command, String where, String what) {
        return new GuestException(command + " printed " + where + " pcipass cannot read: '" + what + "'");
    }
}
