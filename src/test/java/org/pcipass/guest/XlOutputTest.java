package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcipass.guest.XlOutput.Config;
import org.pcipass.guest.XlOutput.Listed;
import org.pcipass.pci.PciAddress;

/**
 * xl's output as Xen 4.17 prints it. xen.git has no captured samples, so each one below is what the
 * cited printf or generator (RELEASE-4.17.5) produces for the values shown, byte for byte.
 */
class XlOutputTest {
    /* tools/xl/xl_pci.c pcilist(): "Vdev Device\n", then "%02x.%01x %04x:%02x:%02x.%01x\n" of
     * (vdevfn >> 3) & 0x1f, vdevfn & 7, domain, bus, dev, func. A PV guest's vdevfn stays 0. */
    static final String PCI_LIST_PV = """
            Vdev Device
            00.0 0000:09:00.0
            00.0 0000:06:01.0
            """;
    static final String PCI_LIST_HVM = """
            Vdev Device
            04.0 0000:09:00.0
            05.1 10000:e1:00.1
            """;

    /* tools/xl/xl_info.c list_domains(): the header, then "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f".
     * A domain whose name libxl cannot read prints as glibc prints a NULL %s: "(null)". */
    static final String LIST = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
            + "Domain-0                                     0  1536     2     r-----    1243.5\n"
            + "web1                                         3  1024     2     -b----      88.0\n"
            + "db 2                                         5   512     1     --p---       0.0\n"
            + "(null)                                       7     0     0     --ps-d       1.2\n";

    /* tools/xl/xl_info.c list_domains_details() + printf_info_one_json(); the config is
     * libxl_domain_config_gen_json (tools/libs/light/gentypes.py), which omits default-valued fields
     * (func 0, dev 0, domain 0, passthrough "default"); yajl_gen_beautify with yajl 2's 4-space indent
     * (tools/include/libxl_json.h libxl_yajl_gen_alloc). A hot-plugged device carries rdm_policy
     * "strict" (libxl_pci.c libxl__device_pci_setdefault). */
    static final String LIST_LONG = """
            [
                {
                    "domid": 3,
                    "config": {
                        "c_info": {
                            "type": "pv",
                            "name": "web1",
                            "uuid": "6a4c2f1e-3b0d-4c55-9d1e-0f2a7b3c9e41",
                            "passthrough": "enabled"
                        },
                        "b_info": {
                            "max_vcpus": 2,
                            "avail_vcpus": [
                                0,
                                1
                            ],
                            "max_memkb": 1048576,
                            "target_memkb": 1048576,
                            "sched_params": {

                            },
                            "type.pv": {
                                "kernel": "/boot/vmlinuz-6.1.0-18-amd64",
                                "cmdline": "root=/dev/xvda1 ro",
                                "ramdisk": "/boot/initrd.img-6.1.0-18-amd64"
                            },
                            "arch_arm": {

                            }
                        },
                        "disks": [
                            {
                                "pdev_path": "/dev/vg0/web1",
                                "vdev": "xvda1",
                                "format": "raw",
                                "readwrite": 1
                            }
                        ],
                        "pcidevs": [
                            {
                                "bus": 9,
                                "rdm_policy": "strict"
                            },
                            {
                                "func": 1,
                                "dev": 1,
                                "bus": 6,
                                "domain": 65536,
                                "rdm_policy": "strict"
                            }
                        ],
                        "on_reboot": "restart"
                    }
                }
            ]
            """;

    /* tools/xl/xl_info.c output_physinfo(): "virt_caps              :%s..." with " pv", " hvm",
     * " hvm_directio", " pv_directio" (cap_hvm_directio: Xen's IOMMU is on), " hap", ... */
    static final String INFO = """
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
            virt_caps              : pv hvm hvm_directio pv_directio hap shadow iommu_hap_pt_share gnttab-v1 gnttab-v2
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
            """;

    @Test
    void pciListReadsEachDevice() {
        assertThat(XlOutput.pciList(PCI_LIST_PV, "xl pci-list web1"))
                .containsExactly(PciAddress.parse("0000:09:00.0"), PciAddress.parse("0000:06:01.0"));
        assertThat(XlOutput.pciList(PCI_LIST_HVM, "xl pci-list win"))
                .containsExactly(PciAddress.parse("0000:09:00.0"), PciAddress.parse("10000:e1:00.1"));
    }

    @Test
    void pciListOfAGuestWithoutDevicesIsEmptyOutput() {
        // libxl_device_pci_list() returns NULL and pcilist() returns before printing the header
        assertThat(XlOutput.pciList("", "xl pci-list web1")).isEmpty();
    }

    @Test
    void pciListRefusesALineItCannotRead() {
        assertThatThrownBy(() -> XlOutput.pciList("Vdev Device\n00.0 09:00.0 extra\n", "xl pci-list -- web1"))
                .isInstanceOf(GuestException.class)
                .hasMessage("xl pci-list -- web1 printed a line pcipass cannot read: '00.0 09:00.0 extra'");
    }

    @Test
    void listReadsNamesWithSpacesAndNullNamesFromTheRight() {
        assertThat(XlOutput.list(LIST, "xl list")).containsExactly(new Listed("Domain-0", 0), new Listed("web1", 3),
                new Listed("db 2", 5), new Listed("(null)", 7));
    }

    @Test
    void listLongReadsTypePassthroughAndPcidevsWithOmittedZeros() {
        List<Config> c = XlOutput.listLong(LIST_LONG, "xl list -l web1");
        assertThat(c).containsExactly(new Config(3, "web1", "pv", "enabled",
                List.of(PciAddress.parse("0000:09:00.0"), PciAddress.parse("10000:06:01.1"))));
    }

    @Test
    void listLongWithoutCInfoTypeTakesBInfosUnionKey() {
        String json = """
                [{"domid": 4, "config": {"c_info": {"name": "win"}, "b_info": {"type.hvm": {"firmware": "bios"}}}}]""";
        assertThat(XlOutput.listLong(json, "xl list -l win").get(0).type()).isEqualTo("hvm");
    }

    @Test
    void listLongAbsentPassthroughAndPcidevsReadAsDefault() {
        String json = """
                [{"domid": 2, "config": {"c_info": {"type": "hvm", "name": "plain"}}}]""";
        assertThat(XlOutput.listLong(json, "xl list -l plain")).containsExactly(new Config(2, "plain", "hvm", null,
                List.of()));
    }

    @Test
    void listLongRefusesWhatIsNotItsShape() {
        assertThatThrownBy(() -> XlOutput.listLong("{\"domid\": 1}", "xl list -l web1"))
                .isInstanceOf(GuestException.class)
                .hasMessage("xl list -l web1 printed instead of a JSON array pcipass cannot read: '{\"domid\": 1}'");
        assertThatThrownBy(() -> XlOutput.listLong("[{\"domid\": 1, \"config\": {\"pcidevs\": [{\"bus\": -1}]}}]",
                "xl list -l web1")).hasMessage("xl list -l web1 printed as bus pcipass cannot read: '-1'");
        assertThatThrownBy(() -> XlOutput.listLong("[{\"domid\": 1,", "xl list -l web1"))
                .isInstanceOf(GuestException.class).hasMessageStartingWith("xl list -l web1 printed JSON pcipass cannot read: ");
    }

    @Test
    void virtCapsDirectioMeansXensIommuIsOn() {
        assertThat(XlOutput.virtCapsDirectio(INFO)).isTrue();
        assertThat(XlOutput.virtCapsDirectio(INFO.replace(" hvm_directio pv_directio", ""))).isFalse();
        assertThat(XlOutput.virtCapsDirectio("virt_caps              : pv pv_directio\n")).isTrue();
        // no capability at all: the printf leaves "virt_caps              :" with nothing after it
        assertThat(XlOutput.virtCapsDirectio("virt_caps              :\n")).isFalse();
        assertThat(XlOutput.virtCapsDirectio("xen_major              : 4\n")).isNull();
    }

    @Test
    void dmesgTakesXensLastBootLine() {
        // xen/drivers/passthrough/iommu.c iommu_setup(): printk("I/O virtualisation %sabled\n", ...)
        String on = "(XEN) Intel VT-d Interrupt Remapping enabled.\n(XEN) I/O virtualisation enabled\n";
        String off = "(XEN) [    1.234567] I/O virtualisation disabled\n";
        assertThat(XlOutput.dmesgIommu(on)).isTrue();
        assertThat(XlOutput.dmesgIommu(off)).isFalse();
        assertThat(XlOutput.dmesgIommu(on + off)).isFalse();
        assertThat(XlOutput.dmesgIommu("(XEN) Brought up 2 CPUs\n")).isNull();
    }

    @Test
    void causeIsTheLineBeforeLibxlsWrappersWithoutItsPrefix() {
        // libxl_pci.c pci_add_dm_done, then device_pci_add_done and libxl_device.c device_addrm_aocomplete
        String attach = """
                libxl: error: libxl_pci.c:1529:pci_add_dm_done: Domain 3:xc_assign_device failed: Operation not supported
                libxl: error: libxl_pci.c:1809:device_pci_add_done: Domain 3:libxl__device_pci_add failed for PCI device 0:9:0.0 (rc -3)
                libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to add device
                """;
        assertThat(XlOutput.cause(attach)).isEqualTo("xc_assign_device failed: Operation not supported");
        // tools/libs/call/linux.c, libxl.c:102 libxl_ctx_alloc, xl.c xl_ctx_alloc
        String noXen = """
                xencall: error: Could not obtain handle on privileged command interface: No such file or directory
                libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory
                cannot init xl context
                """;
        assertThat(XlOutput.cause(noXen)).isEqualTo("cannot open libxc handle: No such file or directory");
        assertThat(XlOutput.cause("web9 is an invalid domain identifier (rc=-6)\n"))
                .isEqualTo("web9 is an invalid domain identifier (rc=-6)");
        assertThat(XlOutput.cause("\n")).isNull();
    }
}
