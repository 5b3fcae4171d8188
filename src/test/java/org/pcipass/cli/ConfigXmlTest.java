package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.testing.HostTrees.*;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.HostTrees;
import org.pcipass.testing.Libvirt;
import org.w3c.dom.Document;

/**
 * The XML {@code config} prints, judged by libvirt itself: {@code virt-xml-validate} against libvirt's
 * schemas (hostdevs inside a minimal Xen and a minimal KVM domain, node devices on their own), and
 * libvirt's test driver reading each node device back and printing it as libvirt does.
 */
class ConfigXmlTest {
    /** Names with every character XML reserves, as a pci.ids could hold them ("AT&T" is real). */
    static final String HOSTILE_IDS = "# crafted: markup in names\n"
            + "10de  NVIDIA <Corp> & \"Sons\" 'Ltd'\n"
            + "\t1b80  GP104 </product><vendor id='0x0'>evil</vendor> & co\n"
            + "8086  Intel & Co\n"
            + "C 02  Network controller\n";

    @TempDir
    Path tmp;

    private Cli.Result config(FakeHost h, String... args) {
        Cli.Result r = ShowGroupsCheckTest.on(h, args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r;
    }

    @Test
    void theNodedevOfTheGpuIsLibvirtsWithPciIdsNamesEscaped() throws Exception {
        Path ids = Files.writeString(tmp.resolve("crafted.ids"), HOSTILE_IDS);
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp.resolve("w")), "config", WS_GPU, "--format", "nodedev",
                "--pci-ids", ids.toString());

        assertThat(r.out()).isEqualTo("""
                <device>
                  <name>pci_0000_0a_00_0</name>
                  <path>/sys/devices/pci0000:00/0000:00:1b.0/0000:0a:00.0</path>
                  <parent>pci_0000_00_1b_0</parent>
                  <driver>
                    <name>nouveau</name>
                  </driver>
                  <capability type='pci'>
                    <class>0x030000</class>
                    <domain>0</domain>
                    <bus>10</bus>
                    <slot>0</slot>
                    <function>0</function>
                    <product id='0x1b80'>GP104 &lt;/product&gt;&lt;vendor id=&apos;0x0&apos;&gt;evil&lt;/vendor&gt; &amp; co</product>
                    <vendor id='0x10de'>NVIDIA &lt;Corp&gt; &amp; &quot;Sons&quot; &apos;Ltd&apos;</vendor>
                    <iommuGroup number='13'>
                      <address domain='0x0000' bus='0x0a' slot='0x00' function='0x0'/>
                      <address domain='0x0000' bus='0x0a' slot='0x00' function='0x1'/>
                    </iommuGroup>
                    <pci-express>
                      <link validity='cap' speed='8' width='16'/>
                      <link validity='sta' speed='8' width='16'/>
                    </pci-express>
                  </capability>
                </device>
                """);
        assertThat(r.err()).isEmpty();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.out().getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getElementsByTagName("vendor").item(0).getTextContent())
                .isEqualTo("NVIDIA <Corp> & \"Sons\" 'Ltd'");
        assertThat(doc.getElementsByTagName("product").item(0).getTextContent())
                .isEqualTo("GP104 </product><vendor id='0x0'>evil</vendor> & co");
    }

    @Test
    void eachNodedevIsWhatLibvirtPrintsBackAndPassesItsSchema() throws Exception {
        Path ids = Files.writeString(tmp.resolve("crafted.ids"), HOSTILE_IDS);
        FakeHost w = HostTrees.kvmWorkstation(tmp.resolve("w"));
        // a GPU, an SR-IOV PF and both VFs, a root port, an LPC bridge, a device pci.ids does not know
        List<String> devices = List.of(WS_GPU, WS_SRIOV_PF, WS_VF0, WS_VF1, WS_GPU_PORT, WS_LPC, WS_UNKNOWN,
                WS_E1000, WS_HOST_BRIDGE);
        for (String a : devices) {
            assertSameAsLibvirt(config(w, "config", a, "--format", "nodedev", "--pci-ids", ids.toString()).out(), a);
        }
        FakeHost x = HostTrees.xenDom0(tmp.resolve("x"));
        for (String a : List.of(XEN_BNX2, XEN_PCIBACK)) {
            assertSameAsLibvirt(config(x, "config", a, "--format", "nodedev").out(), a);
        }
    }

    private void assertSameAsLibvirt(String xml, String address) throws Exception {
        String name = "pci_" + address.replace(':', '_').replace('.', '_');
        Libvirt.Run valid = Libvirt.validate(tmp, name + ".xml", xml, "nodedev");
        assertThat(valid.exitCode()).as(valid.output()).isZero();
        Libvirt.Run back = Libvirt.nodedevRoundTrip(tmp, xml, name);
        assertThat(back.exitCode()).as(back.output()).isZero();
        // the test driver keeps no <driver>: it is what the host's kernel says, not configuration
        assertThat(back.output().strip()).isEqualTo(xml.replaceAll("(?s)  <driver>.*?</driver>\n", "").strip());
    }

    @Test
    void theSrIovPfListsItsVfsAndTheVfItsPf() {
        FakeHost w = HostTrees.kvmWorkstation(tmp);
        assertThat(config(w, "config", WS_SRIOV_PF, "--format", "nodedev").out()).contains("""
                    <capability type='virt_functions' maxCount='7'>
                      <address domain='0x0000' bus='0x03' slot='0x10' function='0x0'/>
                      <address domain='0x0000' bus='0x03' slot='0x10' function='0x4'/>
                    </capability>
                """);
        assertThat(config(w, "config", WS_VF1, "--format", "nodedev").out()).contains("""
                    <capability type='phys_function'>
                      <address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
                    </capability>
                """);
        assertThat(config(w, "config", WS_PCI_BRIDGE, "--format", "nodedev").out())
                .contains("<parent>pci_0000_00_1c_0</parent>", "    <capability type='pci-bridge'/>\n");
    }

    @Test
    void aNodedevNeedsNoWarningWhateverTheVerdict() {
        Cli.Result r = config(HostTrees.kvmWorkstation(tmp), "config", WS_LPC, WS_NVME, "--format", "nodedev");

        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("<device>\n  <name>pci_0000_00_1f_0</name>\n")
                .contains("</device>\n<device>\n  <name>pci_0000_3d_00_0</name>\n");
    }

    @Test
    void everyHostdevPassesLibvirtsDomainSchemaInAXenAndAKvmDomain() throws Exception {
        FakeHost x = HostTrees.xenDom0(tmp.resolve("x"));
        FakeHost w = HostTrees.kvmWorkstation(tmp.resolve("w"));
        for (boolean managed : List.of(false, true)) {
            String xen = libvirt(x, managed, XEN_BNX2, XEN_PCIBACK);
            assertValidDomain("xen-" + managed, xenDomain(xen));
            String kvm = libvirt(w, managed, WS_SPARE_NIC, WS_GPU);
            assertValidDomain("kvm-" + managed, kvmDomain(kvm));
            // the form the other hypervisor's host asks for with --driver
            assertValidDomain("kvm-on-xen-" + managed, kvmDomain(libvirt(x, managed, XEN_BNX2, "--driver", "vfio-pci")));
            assertValidDomain("xen-on-kvm-" + managed, xenDomain(libvirt(w, managed, WS_GPU, "--driver", "pciback")));
        }
    }

    private String libvirt(FakeHost h, boolean managed, String... args) {
        List<String> a = new java.util.ArrayList<>(List.of("config", "--format", "libvirt"));
        a.addAll(List.of(args));
        if (managed) {
            a.add("--managed");
        }
        String out = config(h, a.toArray(String[]::new)).out();
        assertThat(out).contains(managed ? "managed='yes'" : "managed='no'");
        return out;
    }

    @Test
    void theSchemaCheckCanFail() throws Exception {
        String hostdev = config(HostTrees.xenDom0(tmp.resolve("x")), "config", XEN_BNX2, "--format", "libvirt").out();
        assertValidDomain("good", xenDomain(hostdev));

        Libvirt.Run badManaged = Libvirt.validate(tmp, "bad1.xml",
                xenDomain(hostdev.replace("managed='no'", "managed='maybe'")), "domain");
        Libvirt.Run badDriver = Libvirt.validate(tmp, "bad2.xml",
                xenDomain(hostdev.replace("name='xen'", "name='pciback'")), "domain");
        Libvirt.Run noSource = Libvirt.validate(tmp, "bad3.xml",
                xenDomain(hostdev.replaceAll("(?s)<source>.*</source>\n", "")), "domain");
        Libvirt.Run badNodedev = Libvirt.validate(tmp, "bad4.xml", config(HostTrees.xenDom0(tmp.resolve("y")),
                "config", XEN_BNX2, "--format", "nodedev").out().replace("<bus>9</bus>", "<bus>0x09</bus>"), "nodedev");

        for (Libvirt.Run bad : List.of(badManaged, badDriver, noSource, badNodedev)) {
            assertThat(bad.exitCode()).as(bad.output()).isNotZero();
            assertThat(bad.output()).contains("fails to validate");
        }
    }

    private void assertValidDomain(String name, String xml) throws Exception {
        Libvirt.Run r = Libvirt.validate(tmp, name + ".xml", xml, "domain");
        assertThat(r.exitCode()).as(xml + r.output()).isZero();
    }

    /** A minimal para-virtualized Xen domain around the hostdevs. */
    static String xenDomain(String hostdevs) {
        return "<domain type='xen'>\n  <name>pcipass-check</name>\n  <memory unit='KiB'>524288</memory>\n"
                + "  <os>\n    <type>linux</type>\n  </os>\n  <devices>\n" + hostdevs + "  </devices>\n</domain>\n";
    }

    /** A minimal KVM domain (q35) around the hostdevs. */
    static String kvmDomain(String hostdevs) {
        return "<domain type='kvm'>\n  <name>pcipass-check</name>\n  <memory unit='KiB'>524288</memory>\n"
                + "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <devices>\n" + hostdevs
                + "  </devices>\n</domain>\n";
    }
}
