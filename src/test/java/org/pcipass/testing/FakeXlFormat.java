package org.pcipass.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.pcipass.testing.FakeXlState.Dev;
import org.pcipass.testing.FakeXlState.Dom;

/** What the fake xl prints, in Xen 4.17's formats (sources named per method, xen.git RELEASE-4.17.5). */
final class FakeXlFormat {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FakeXlFormat() {}

    /** Domain 0 as tools/helpers/init-dom-json.c stores it: a PV domain with a stub configuration. */
    static Dom dom0() {
        Dom d = new Dom();
        d.name = "Domain-0";
        d.domid = 0;
        d.type = "pv";
        return d;
    }

    /** tools/xl/xl_info.c list_domains(). */
    static String table(List<Dom> doms) {
        StringBuilder b = new StringBuilder("Name                                        ID   Mem VCPUs\tState\tTime(s)\n");
        for (Dom d : doms) {
            boolean dom0 = d.domid == 0;
            b.append(String.format("%-40s %5d %5d %5d     %s  %8.1f%n", d.name, d.domid, dom0 ? 1536 : 1024,
                    dom0 ? 2 : 1, dom0 ? "r-----" : "-b----", dom0 ? 1243.5 : 12.0));
        }
        return b.toString();
    }

    /**
     * tools/xl/xl_info.c list_domains_details(): an array of {"domid", "config"}, the config as
     * libxl_domain_config_gen_json writes it (default-valued fields left out, IDL field order) after
     * libxl_retrieve_domain_configuration dropped devices no longer in xenstore; yajl's beautifier
     * (4 spaces, "key": value).
     */
    static String listLong(List<Dom> doms) {
        List<Object> out = new ArrayList<>();
        for (Dom d : doms) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("domid", d.domid);
            e.put("config", config(d));
            out.add(e);
        }
        DefaultPrettyPrinter yajl = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("    ", "\n"));
        yajl.indentArraysWith(new DefaultIndenter("    ", "\n"));
        try {
            return JSON.writer(yajl).writeValueAsString(out) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> config(Dom d) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> cInfo = new LinkedHashMap<>();
        cInfo.put("type", d.type);
        cInfo.put("name", d.name);
        if (d.domid != 0) {
            cInfo.put("uuid", UUID.nameUUIDFromBytes(d.name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
        }
        if (d.passthrough != null && !d.passthrough.equals("default")) {
            cInfo.put("passthrough", d.passthrough);
        }
        c.put("c_info", cInfo);
        Map<String, Object> bInfo = new LinkedHashMap<>();
        bInfo.put("max_vcpus", d.domid == 0 ? 2 : 1);
        bInfo.put("max_memkb", d.domid == 0 ? 1572864 : 1048576);
        bInfo.put("target_memkb", d.domid == 0 ? 1572864 : 1048576);
        bInfo.put("type." + d.type, d.type.equals("hvm") ? Map.of("firmware", "bios") : Map.of());
        c.put("b_info", bInfo);
        List<Object> pcidevs = new ArrayList<>();
        for (Dev v : d.config) {
            if (d.holds(v.bdf)) {
                pcidevs.add(pcidev(v));
            }
        }
        if (!pcidevs.isEmpty()) {
            c.put("pcidevs", pcidevs);
        }
        if (d.domid != 0) {
            c.put("on_reboot", "restart");
        }
        return c;
    }

    /** A libxl_device_pci: func, dev, bus, domain, vdevfn, ..., rdm_policy; zeros left out. */
    private static Map<String, Object> pcidev(Dev v) {
        String[] f = v.bdf.split("[:.]");
        Map<String, Object> p = new LinkedHashMap<>();
        putNonZero(p, "func", Integer.parseInt(f[3], 16));
        putNonZero(p, "dev", Integer.parseInt(f[2], 16));
        putNonZero(p, "bus", Integer.parseInt(f[1], 16));
        putNonZero(p, "domain", Integer.parseInt(f[0], 16));
        putNonZero(p, "vdevfn", v.vdevfn);
        if (v.hotplugged) {
            p.put("rdm_policy", "strict");
        }
        return p;
    }

    private static void putNonZero(Map<String, Object> m, String key, int value) {
        if (value != 0) {
            m.put(key, value);
        }
    }

    /** tools/xl/xl_info.c print_info(): node, physinfo (virt_caps), then version lines. */
    static String info(boolean iommu) {
        return """
                host                   : dom0
                release                : 6.1.0-18-amd64
                version                : #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)
                machine                : x86_64
                nr_cpus                : 2
                max_cpu_id             : 1
                nr_nodes               : 1
                cores_per_socket       : 2
                threads_per_core       : 1
                cpu_mhz                : 2399.998
                hw_caps                : 178bfbff:fffa3203:2c100800:00000121:0000000f:009c47ab:00000000:00000100
                virt_caps              : pv hvm%s hap shadow%s gnttab-v1 gnttab-v2
                total_memory           : 4095
                free_memory            : 2385
                sharing_freed_memory   : 0
                sharing_used_memory    : 0
                outstanding_claims     : 0
                free_cpus              : 0
                xen_major              : 4
                xen_minor              : 17
                xen_extra              : .3
                xen_version            : 4.17.3
                xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64
                xen_scheduler          : credit2
                xen_pagesize           : 4096
                xend_config_format     : 4
                """.formatted(iommu ? " hvm_directio pv_directio" : "", iommu ? " iommu_hap_pt_share" : "");
    }

    /** Xen's console ring: xen/drivers/passthrough/iommu.c iommu_setup() says whether its IOMMU is on. */
    static String dmesg(boolean iommu) {
        return " Xen 4.17.3\n(XEN) Xen version 4.17.3 (Debian 4.17.3+10-g091466ba55-1~deb12u1)\n"
                + "(XEN) Command line: dom0_mem=1536M,max:1536M console=com1 com1=115200,8n1 iommu=1\n"
                + (iommu ? "(XEN) Intel VT-d iommu 0 supported page sizes: 4kB, 2MB, 1GB\n"
                        + "(XEN) Intel VT-d Interrupt Remapping enabled.\n" : "")
                + "(XEN) I/O virtualisation " + (iommu ? "en" : "dis") + "abled\n"
                + "(XEN) Brought up 2 CPUs\n";
    }
}
