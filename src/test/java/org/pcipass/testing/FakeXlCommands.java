package org.pcipass.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.host.CommandRunner.Result;
import org.pcipass.testing.FakeXlState.Dev;
import org.pcipass.testing.FakeXlState.Dom;

/**
 * The subcommands the fake xl plays, with Xen 4.17's texts (xen.git RELEASE-4.17.5: tools/xl/xl_pci.c,
 * xl_info.c, xl_utils.c; tools/libs/light/libxl_pci.c, libxl_device.c, libxl_domain.c). libxl's log
 * lines keep their "FILE:LINE:FUNCTION:" as 4.17.5 prints them. One instance per command, on state
 * the caller holds locked.
 */
final class FakeXlCommands {
    /* xl-pci-configuration(5) as libxlu reads it: [DDDD:]BB:DD.F (domain at most ffff), @VSLOT,
     * ,KEY=VALUE with its keys, no spaces */
    private static final Pattern SPEC = Pattern.compile("(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})"
            + "\\.([0-7])(?:@[0-9a-fA-F]{1,2})?(?:,(?:vslot|permissive|msitranslate|seize|power_mgmt|rdm_policy|name)"
            + "=[^,\\s]+)*");
    private static final int EINVAL_RC = -6;

    private final FakeXlState s;
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();

    FakeXlCommands(FakeXlState s) {
        this.s = s;
    }

    /** Runs {@code xl ARGS...} ({@code argv} without "xl"). */
    Result run(List<String> argv) {
        int i = 0;
        while (i < argv.size() && argv.get(i).startsWith("-")) {
            i++; // global options (-v, -f, -t, -T, -N): no effect here
        }
        if (i == argv.size()) {
            return done(1, "Usage xl [-vfNtT] <subcommand> [args]\n");
        }
        String cmd = argv.get(i);
        List<String> args = argv.subList(i + 1, argv.size());
        if (!s.hypervisor && !cmd.equals("help")) {
            err.append("xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n")
                    .append("libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n")
                    .append("cannot init xl context\n");
            return result(1);
        }
        try {
            return switch (cmd) {
                case "list" -> list(new Opts(cmd, "lvZcn", args, 0));
                case "pci-list" -> pciList(new Opts(cmd, "", args, 1));
                case "pci-attach" -> pciAttach(new Opts(cmd, "", args, 2));
                case "pci-detach" -> pciDetach(new Opts(cmd, "f", args, 2));
                case "pci-assignable-list" -> assignableList(new Opts(cmd, "", args, 0));
                case "info" -> done(0, FakeXlFormat.info(s.iommu));
                case "dmesg" -> done(0, FakeXlFormat.dmesg(s.iommu));
                default -> done(1, "command not implemented\n");
            };
        } catch (Exit e) {
            return result(e.code);
        }
    }

    // ---- subcommands -----------------------------------------------------------------------

    private Result list(Opts o) {
        List<Dom> doms = new ArrayList<>();
        doms.add(FakeXlFormat.dom0());
        doms.addAll(s.domains);
        if (!o.pos.isEmpty()) {
            long domid = findDomain(o.pos.get(0));
            doms.removeIf(d -> d.domid != domid);
            if (doms.isEmpty()) {
                err.append("Error: Domain '").append(o.pos.get(0)).append("' does not exist.\n");
                return result(1);
            }
        }
        if (!o.has('l')) {
            out.append(FakeXlFormat.table(doms));
            return result(0);
        }
        for (Dom d : doms) {
            for (Dev c : d.config) {
                if (!d.holds(c.bdf)) {
                    err.append("libxl: warning: libxl_domain.c:2604:libxl_retrieve_domain_configuration: Domain ")
                            .append(d.domid).append(":Device present in JSON but not in xenstore, ignored\n");
                }
            }
        }
        out.append(FakeXlFormat.listLong(doms));
        return result(0);
    }

    private Result pciList(Opts o) {
        Dom d = s.byId(findDomain(o.pos.get(0)));
        if (d == null) {
            return result(0); // libxl_device_pci_list() of no domain: NULL, nothing printed
        }
        // a guest that releases after N calls is gone from the (N+1)th; one that never does (-1) stays
        d.live.removeIf(v -> d.leaving.getOrDefault(v.bdf, -1) == 0);
        d.leaving.values().removeIf(n -> n == 0);
        d.leaving.replaceAll((bdf, n) -> n > 0 ? n - 1 : n);
        if (!d.live.isEmpty()) {
            out.append("Vdev Device\n");
            for (Dev v : d.live) {
                out.append(String.format("%02x.%01x %s%n", (v.vdevfn >> 3) & 0x1f, v.vdevfn & 7, v.bdf));
            }
        }
        return result(0);
    }

    private Result pciAttach(Opts o) {
        long domid = findDomain(o.pos.get(0));
        String bdf = spec(o, o.pos.get(1));
        Dom d = s.byId(domid);
        String[] f = bdf.split("[:.]");
        if (d == null) {
            err.append("libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=")
                    .append(domid).append('\n');
        }
        String loose = Integer.parseInt(f[0], 16) + ":" + Integer.toHexString(Integer.parseInt(f[1], 16)) + ":"
                + Integer.toHexString(Integer.parseInt(f[2], 16)) + "." + f[3];
        if (d == null) {
            return addFailed(domid, loose, -3);
        }
        if (d.type.equals("hvm") && (!s.iommu || !hotplugReady(d) || s.holder(bdf) != null)) {
            // xc_test_assign_device: EOPNOTSUPP without the domain's IOMMU context, EBUSY when assigned
            boolean busy = s.iommu && hotplugReady(d);
            libxl(1658, "libxl__device_pci_add", domid, "PCI device " + bdf + " "
                    + (busy ? "already assigned to a different guest" : "cannot be assigned - no IOMMU") + "?");
            return addFailed(domid, loose, -1);
        }
        if (!assignable(bdf)) {
            libxl(1677, "libxl__device_pci_add", domid, "PCI device " + loose + " is not assignable");
            return addFailed(domid, loose, -3);
        }
        if (!s.iommu || !hotplugReady(d)) {
            libxl(1529, "pci_add_dm_done", domid, "xc_assign_device failed: Operation not supported");
            return addFailed(domid, loose, -3);
        }
        Dev dev = new Dev(bdf, d.type.equals("hvm") ? freeSlot(d) << 3 : 0, true);
        d.live.add(dev);
        d.config.add(dev);
        return result(0);
    }

    private Result pciDetach(Opts o) {
        long domid = findDomain(o.pos.get(0));
        String bdf = spec(o, o.pos.get(1));
        Dom d = s.byId(domid);
        if (d == null || !d.holds(bdf)) {
            libxl(1969, "do_pci_remove", domid, "PCI device not attached to this domain");
            err.append("libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to remove device\n");
            return result(1);
        }
        if (o.has('f') || d.release.equals("at-once")) {
            d.live.removeIf(v -> v.bdf.equals(bdf));
            d.leaving.remove(bdf);
            return result(0);
        }
        if (d.release.equals("after")) {
            d.leaving.putIfAbsent(bdf, d.releaseAfter);
            return result(0);
        }
        if (d.type.equals("hvm")) {
            d.leaving.put(bdf, -1);
            String[] f = bdf.split("[:.]");
            err.append("libxl: warning: libxl_pci.c:2217:pci_remove_timeout: Domain ").append(domid)
                    .append(":timed out waiting for DM to remove pci-pt-").append(f[1]).append('_').append(f[2])
                    .append('.').append(f[3]).append('\n');
            err.append("libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to remove device\n");
            return result(1);
        }
        d.leaving.put(bdf, -1);
        // PV: pcifront never answers; libxl__device_pci_remove_xenstore's failure is ignored (exit 0)
        err.append("libxl: error: libxl_device.c:1470:libxl__wait_for_backend: Backend /local/domain/0/backend/pci/")
                .append(domid).append("/0 not ready\n");
        return result(0);
    }

    private Result assignableList(Opts o) {
        for (String bdf : candidates()) {
            if (assignable(bdf)) {
                out.append(bdf).append('\n');
            }
        }
        return result(0);
    }

    // ---- libxl's checks --------------------------------------------------------------------

    /** Created with PCI devices, or with passthrough enabled, sync_pt or share_pt. */
    static boolean hotplugReady(Dom d) {
        boolean createdWithPci = d.config.stream().anyMatch(v -> !v.hotplugged);
        return createdWithPci || Set.of("enabled", "sync_pt", "share_pt").contains(String.valueOf(d.passthrough));
    }

    /** libxl_device_pci_assignable_list(): a device in pciback's directory and in no domain. */
    private boolean assignable(String bdf) {
        if (s.sysfs != null) {
            Path pciback = Path.of(s.sysfs, "bus/pci/drivers/pciback");
            if (!Files.isDirectory(pciback)) {
                err.append("libxl: error: libxl_pci.c:444:libxl_device_pci_assignable_list: Looks like pciback driver"
                        + " not loaded\n");
                return false;
            }
            if (!Files.exists(pciback.resolve(bdf))) {
                return false;
            }
        } else if (s.assignable != null && !s.assignable.contains(bdf)) {
            return false;
        }
        return s.holder(bdf) == null;
    }

    private List<String> candidates() {
        if (s.sysfs != null) {
            Path pciback = Path.of(s.sysfs, "bus/pci/drivers/pciback");
            try (var names = Files.list(pciback)) {
                return names.map(p -> p.getFileName().toString())
                        .filter(n -> n.matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]")).sorted().toList();
            } catch (IOException e) {
                return List.of(); // pciback not loaded
            }
        }
        return s.assignable == null ? List.of() : s.assignable;
    }

    /** QEMU's next free slot after its own devices (an HVM guest's vdevfn). */
    private static int freeSlot(Dom d) {
        int slot = 4;
        for (Dev v : d.live) {
            slot = Math.max(slot, (v.vdevfn >> 3) + 1);
        }
        return slot;
    }

    private Result addFailed(long domid, String loose, int rc) {
        libxl(1809, "device_pci_add_done", domid, "libxl__device_pci_add failed for PCI device " + loose + " (rc " + rc
                + ")");
        err.append("libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to add device\n");
        return result(1);
    }

    private void libxl(int line, String function, long domid, String message) {
        err.append("libxl: error: libxl_pci.c:").append(line).append(':').append(function).append(": Domain ")
                .append(domid).append(':').append(message).append('\n');
    }

    // ---- xl's own parsing ------------------------------------------------------------------

    /**
     * xl_utils.c find_domain(): all digits is a domain id (libxl_domain_qualifier_to_domid), else a
     * name that must exist: "%s is an invalid domain identifier (rc=%d)" and exit 1.
     */
    private long findDomain(String p) {
        if (!p.isEmpty() && p.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Long.parseLong(p);
        }
        if (p.equals("Domain-0")) {
            return 0;
        }
        Dom d = s.byName(p);
        if (d == null) {
            err.append(p).append(" is an invalid domain identifier (rc=").append(EINVAL_RC).append(")\n");
            throw new Exit(1);
        }
        return d.domid;
    }

    /** The canonical address of a PCI_SPEC_STRING, or xl's "malformed" message and exit 2. */
    private String spec(Opts o, String text) {
        Matcher m = SPEC.matcher(text);
        if (!m.matches()) {
            err.append(o.cmd).append(": malformed PCI_SPEC_STRING \"").append(text).append("\"\n");
            throw new Exit(2);
        }
        int domain = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
        return String.format("%04x:%02x:%02x.%s", domain, Integer.parseInt(m.group(2), 16),
                Integer.parseInt(m.group(3), 16), m.group(4));
    }

    /** A subcommand's argv as xl_utils.c def_getopt() reads it: getopt_long (permuting, "--" ends options). */
    private final class Opts {
        final String cmd;
        final List<Character> flags = new ArrayList<>();
        final List<String> pos = new ArrayList<>();

        Opts(String cmd, String optstring, List<String> args, int required) {
            this.cmd = cmd;
            boolean options = true;
            for (String a : args) {
                if (options && a.equals("--")) {
                    options = false;
                } else if (options && a.startsWith("-") && a.length() > 1) {
                    for (char c : a.substring(1).toCharArray()) {
                        if (optstring.indexOf(c) < 0) {
                            err.append("option `").append(c).append("' not supported.\n");
                            throw new Exit(2);
                        }
                        flags.add(c);
                    }
                } else {
                    pos.add(a);
                }
            }
            if (pos.size() < required) {
                err.append("'xl ").append(cmd).append("' requires at least ").append(required).append(" argument")
                        .append(required > 1 ? "s" : "").append(".\n\n");
                throw new Exit(2);
            }
        }

        boolean has(char c) {
            return flags.contains(c);
        }
    }

    private Result done(int code, String text) {
        (code == 0 ? out : err).append(text);
        return result(code);
    }

    private Result result(int code) {
        return new Result(code, out.toString(), err.toString());
    }

    /** xl's exit() from deep inside a subcommand. */
    private static final class Exit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }
}
