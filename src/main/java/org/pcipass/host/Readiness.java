package org.pcipass.host;

import static org.pcipass.host.CheckResult.Status.FAIL;
import static org.pcipass.host.CheckResult.Status.INFO;
import static org.pcipass.host.CheckResult.Status.PASS;
import static org.pcipass.host.CheckResult.Status.WARN;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.sysfs.Sysfs;

/**
 * {@code pcipass check}: whether this host can pass devices through, each line with the command or
 * kernel argument that fixes it.
 */
public final class Readiness {
    /**
     * A RHEL 5 family {@code /etc/redhat-release}: Red Hat's own, CentOS, Scientific Linux and Oracle's
     * Enterprise Linux (the same kernel and Xen); 5.0 says {@code release 5}. Fedora Core 5 is not one.
     */
    private static final int HVM_PASSTHROUGH_MINOR = 4;

    private final HostSnapshot host;
    private final CommandRunner runner;
    private final Sysfs sys;
    private final Sysfs root;

    public Readiness(HostSnapshot host, CommandRunner runner) {
        this.host = host;
        this.runner = runner;
        this.sys = host.sysfs();
        this.root = host.configRoot();
    }

    public List<CheckResult> run() {
        List<CheckResult> out = new ArrayList<>();
        out.add(hypervisor());
        out.add(iommu());
        out.addAll(stubs());
        out.add(osRelease());
        CheckResult hvm = rhel5HvmPassthrough();
        if (hvm != null) {
            out.add(hvm);
        }
        host.unplacedNetworkMounts().forEach(u -> out.add(new CheckResult("network filesystem", WARN, u,
                "keep every NIC that can reach that server on the host: pcipass does not mark one host-critical for it")));
        return out;
    }

    private CheckResult hypervisor() {
        return switch (host.hypervisor()) {
            case XEN_DOM0 -> new CheckResult("hypervisor", PASS, "Xen dom0 (/proc/xen/capabilities: control_d)", null);
            case XEN_GUEST -> new CheckResult("hypervisor", WARN,
                    "Xen guest (domU): devices are given to guests from dom0, not from here",
                    "run pcipass in dom0");
            case KVM -> new CheckResult("hypervisor", PASS, "KVM available (/dev/kvm)", null);
            case NONE -> new CheckResult("hypervisor", WARN,
                    "no hypervisor: /dev/kvm is missing and this is not a Xen dom0",
                    "enable VT-x/AMD-V in the firmware and load KVM: modprobe kvm_intel (or kvm_amd)");
        };
    }

    private CheckResult iommu() {
        Hypervisor hv = host.hypervisor();
        if (hv == Hypervisor.XEN_DOM0) {
            return xenIommu();
        }
        if (hv == Hypervisor.XEN_GUEST) {
            return new CheckResult("iommu", INFO, "a Xen guest has no IOMMU of its own; Xen's is checked in dom0", null);
        }
        String cmdline = orEmpty(root.read("proc/cmdline"));
        if (host.iommuActive()) {
            List<String> units = List.of(sys.list("class/iommu"));
            return new CheckResult("iommu", PASS, "IOMMU active: " + host.groups().size() + " IOMMU groups"
                    + (units.isEmpty() ? "" : " (" + String.join(", ", units.stream().sorted().toList()) + ")"), null);
        }
        String cpu = orEmpty(root.readAll("proc/cpuinfo"));
        String fix;
        if (cpu.contains("AuthenticAMD")) {
            fix = "enable AMD-Vi (IOMMU) in the firmware; AMD's IOMMU is on unless disabled"
                    + (cmdline.contains("amd_iommu=off") ? ": remove amd_iommu=off from the kernel command line" : "");
        } else if (cpu.contains("GenuineIntel")) {
            fix = "enable VT-d in the firmware and add intel_iommu=on iommu=pt to the kernel command line"
                    + (cmdline.contains("intel_iommu=off") ? " (remove intel_iommu=off)" : "");
        } else {
            fix = "enable VT-d/AMD-Vi in the firmware; on Intel add intel_iommu=on iommu=pt to the kernel command line";
        }
        return new CheckResult("iommu", FAIL, "no IOMMU groups under " + host.paths().sysfs()
                + "/kernel/iommu_groups: vfio-pci refuses every device", fix);
    }

    private CheckResult xenIommu() {
        if (!runner.available("xl")) {
            return new CheckResult("iommu", INFO, "in a Xen dom0 the IOMMU belongs to Xen and dom0 has no IOMMU"
                    + " groups; xl was not found to read virt_caps", "install the Xen tools and run 'xl info'");
        }
        CommandRunner.Result r = runner.run(List.of("xl", "info"));
        if (r.exitCode() != 0) {
            return new CheckResult("iommu", WARN, "'xl info' failed (exit " + r.exitCode() + "): "
                    + firstLine(r.stderr()), "run 'xl info' as root in dom0");
        }
        String caps = null;
        for (String line : r.stdout().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals("virt_caps")) {
                caps = line.substring(colon + 1).strip();
            }
        }
        if (caps == null) {
            return new CheckResult("iommu", WARN, "'xl info' shows no virt_caps line", "run 'xl info' and look for virt_caps");
        }
        List<String> words = List.of(caps.split("\\s+"));
        if (words.contains("hvm_directio") || words.contains("pv_directio")) {
            return new CheckResult("iommu", PASS, "Xen's IOMMU is on (virt_caps: " + caps + ")", null);
        }
        return new CheckResult("iommu", FAIL, "Xen reports no IOMMU (virt_caps: " + caps + "): HVM passthrough is"
                + " impossible and a PV guest given a device can reach dom0 memory by DMA",
                "enable VT-d/AMD-Vi in the firmware and boot Xen with iommu=1 (remove iommu=0)");
    }

    private List<CheckResult> stubs() {
        KernelModules modules = new KernelModules(sys, root);
        Hypervisor hv = host.hypervisor();
        boolean xen = hv == Hypervisor.XEN_DOM0;
        List<CheckResult> out = new ArrayList<>();
        out.add(stub(modules, "pciback", xen, xen ? null : "only a Xen dom0 uses pciback",
                "xen-pciback", "pciback"));
        out.add(stub(modules, "vfio-pci", !xen && hv != Hypervisor.XEN_GUEST, null, "vfio-pci"));
        out.add(stub(modules, "pci-stub", false, null, "pci-stub"));
        return out;
    }

    private CheckResult stub(KernelModules modules, String driver, boolean needed, String note, String... names) {
        String name = "stub " + driver;
        String release = modules.release() == null ? "RELEASE" : modules.release();
        return switch (modules.state(driver, names)) {
            case LOADED -> new CheckResult(name, PASS, driver + " is loaded", null);
            case BUILT_IN -> new CheckResult(name, PASS, driver + " is built into the kernel", null);
            case AVAILABLE -> new CheckResult(name, PASS, driver + " is not loaded; module " + modules.availableName(names)
                    + " is available under /lib/modules/" + release + " (pcipass loads it when needed)", null);
            case MISSING -> new CheckResult(name, needed ? FAIL : INFO,
                    driver + " is neither loaded nor available under /lib/modules/" + release
                            + (note == null ? "" : " (" + note + ")"),
                    needed ? "install this kernel's modules package (it ships " + names[0] + ".ko) and run: modprobe "
                            + names[0] : null);
        };
    }

    private CheckResult osRelease() {
        String rh = root.read("etc/redhat-release");
        if (rh != null && !rh.isBlank()) {
            return new CheckResult("os-release", INFO, rh.strip(), null);
        }
        String os = root.readAll("etc/os-release");
        if (os != null) {
            for (String line : os.split("\n")) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return new CheckResult("os-release", INFO, line.substring(12).replace("\"", "").strip(), null);
                }
            }
        }
        return new CheckResult("os-release", INFO, "unknown (no /etc/redhat-release or /etc/os-release under "
                + host.paths().configRoot() + ")", null);
    }

    /**
     * The guide's limit for a RHEL 5 root (seen through {@code --config-root}: pcipass never runs on
     * RHEL 5 itself): HVM passthrough came with 5.4; PV passthrough works on every 5.x. Null for a
     * root that is not RHEL 5.
     */
    private CheckResult rhel5HvmPassthrough() {
        Integer minor = rhel5Minor(root.read("etc/redhat-release"));
        if (minor == null) {
            return null;
        }
        if (minor < HVM_PASSTHROUGH_MINOR) {
            return new CheckResult("hvm passthrough", WARN, "HVM passthrough needs RHEL 5.4 or newer (this root is 5."
                    + minor + "); PV guests are not affected",
                    "update this system to RHEL 5.4 or newer (yum update, then boot its new kernel and Xen);"
                            + " until then give devices to para-virtualized guests only");
        }
        return new CheckResult("hvm passthrough", PASS, "HVM passthrough needs RHEL 5.4 or newer: this root is 5."
                + minor, null);
    }

    /**
     * The minor release of a RHEL 5 family {@code /etc/redhat-release} text (0 for {@code release 5}),
     * or null when the text is absent or not RHEL 5.
     */
    public static Integer rhel5Minor(String redhatRelease) {
        if (redhatRelease == null) {
            return null;
        }
        String t = redhatRelease.strip();
        int nl = t.indexOf('\n');
        RedHatRelease r = RedHatRelease.parse(nl < 0 ? t : t.substring(0, nl));
        return r != null && r.major() == 5 ? r.minor() : null;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String firstLine(String s) {
        String t = s == null ? "" : s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
