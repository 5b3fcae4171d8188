package org.pcipass.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.pcipass.PcipassException;
import org.pcipass.guest.XlOutput.Config;
import org.pcipass.guest.XlOutput.Listed;
import org.pcipass.host.CommandRunner;
import org.pcipass.host.CommandRunner.Result;
import org.pcipass.pci.PciAddress;

/**
 * Xen's {@code xl} through the command runner (formats and errors: {@link XlOutput}). xl keeps no
 * persistent domain definitions: every domain it knows runs, and only live changes exist.
 *
 * <p>Every command puts {@code --} before the domain: xl parses each subcommand with glibc's
 * {@code getopt_long}, which permutes, so a name starting with {@code -} anywhere in argv would be
 * read as an option ({@link GuestName} already refuses such names; this keeps it so). Names are
 * argv elements, never passed through a shell.
 */
public final class XlBackend implements GuestBackend {
    static final String XL = "xl";

    private final CommandRunner runner;

    public XlBackend(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public String name() {
        return GuestBackends.XL;
    }

    @Override
    public String uri() {
        return null;
    }

    /** {@code xl list -l GUEST}: null when xl knows no domain of that name. */
    @Override
    public Domain domain(String guest) {
        List<String> argv = List.of(XL, "list", "-l", "--", named(guest));
        Result r = runner.run(argv);
        if (r.exitCode() != 0) {
            if (noSuchDomain(r, guest)) {
                return null;
            }
            throw failed(argv, r);
        }
        Config c = XlOutput.listLong(r.stdout(), command(argv)).stream()
                .filter(d -> guest.equals(d.name()) || d.name() == null).findFirst()
                .orElseThrow(() -> noConfig(argv, r));
        if (c.type() == null) {
            throw new GuestException(command(argv) + " gave no domain type (c_info.type) for " + guest);
        }
        return new Domain(guest, "xen", true, false, c.type().equals("pv"), hotplugReady(c), null);
    }

    /**
     * Whether Xen will take a hot-plugged device: the domain was created with PCI devices (libxl then
     * turns the default passthrough on), or with {@code passthrough} enabled, sync_pt or share_pt
     * (tools/libs/light/libxl_create.c libxl__domain_config_setdefault). Otherwise the domain has no
     * IOMMU context and Xen answers EOPNOTSUPP: PV "xc_assign_device failed: Operation not supported",
     * HVM "cannot be assigned - no IOMMU?". Null for a passthrough value this code does not know.
     * Known gap: a domain created with devices that were all detached since shows no pcidevs (libxl
     * drops those no longer in xenstore) and reads as not ready, though its passthrough is on.
     */
    static Boolean hotplugReady(Config c) {
        if (!c.pcidevs().isEmpty()) {
            return true;
        }
        String p = c.passthrough();
        if (p == null || p.equals("default") || p.equals("disabled")) {
            return false;
        }
        return p.equals("enabled") || p.equals("sync_pt") || p.equals("share_pt") ? Boolean.TRUE : null;
    }

    /**
     * The device as xl's PCI_SPEC_STRING ({@link XlPciSpec}): bare, as xl.cfg lists it.
     *
     * @throws org.pcipass.PcipassException.BadInput for a device xl cannot name (a PCI domain above ffff)
     */
    public static String spec(PciAddress device) {
        try {
            return XlPciSpec.of(device).toString();
        } catch (IllegalArgumentException e) {
            throw new org.pcipass.PcipassException.BadInput(device + " cannot be given to a guest through xl: "
                    + e.getMessage() + " (xl addresses PCI domains up to ffff); use --via libvirt");
        }
    }

    /** {@code xl pci-attach -- GUEST DDDD:BB:SS.F}; live only. */
    @Override
    public void attach(String guest, PciAddress device, Mode mode) {
        requireLive(mode, "attach", "add it to the guest's xl.cfg ('pcipass config " + device + " --format xl' prints"
                + " the lines)");
        run(List.of(XL, "pci-attach", "--", named(guest), spec(device)));
    }

    /** {@code xl pci-detach -- GUEST DDDD:BB:SS.F}: returns once xl has asked; the guest may still hold it. */
    @Override
    public void detach(String guest, PciAddress device, Mode mode) {
        requireLive(mode, "detach", "remove it from the pci line of the guest's xl.cfg");
        run(List.of(XL, "pci-detach", "--", named(guest), spec(device)));
    }

    /**
     * {@code xl pci-list GUEST}: libxl reads it from the domain's PCI backend in xenstore, where a
     * device stays until the guest has let it go (a PV guest's pcifront must answer). Not live: none,
     * xl has no persistent definition.
     */
    @Override
    public Set<PciAddress> devices(String guest, boolean live) {
        if (!live) {
            return Set.of();
        }
        List<String> argv = List.of(XL, "pci-list", "--", named(guest));
        return XlOutput.pciList(run(argv).stdout(), command(argv));
    }

    /**
     * {@code xl pci-list} of every domain but dom0. Domains come from plain {@code xl list}, which is
     * the hypervisor's domain list: {@code xl list -l} silently leaves out any domain whose stored
     * libxl configuration cannot be read (tools/xl/xl_info.c list_domains_details: {@code continue}).
     * Devices come from pci-list rather than the JSON's {@code pcidevs}: pcidevs is the stored
     * configuration filtered by xenstore, pci-list is xenstore itself, what libxl checks on detach.
     * Each domain is asked by its id, so that no name another tool chose goes into argv.
     */
    @Override
    public List<Hostdev> assigned() {
        List<String> argv = List.of(XL, "list");
        List<Hostdev> out = new ArrayList<>();
        for (Listed d : XlOutput.list(run(argv).stdout(), command(argv))) {
            if (d.domid() == 0) {
                continue;
            }
            List<String> list = List.of(XL, "pci-list", "--", Long.toString(d.domid()));
            for (PciAddress a : XlOutput.pciList(run(list).stdout(), command(list))) {
                out.add(new Hostdev(d.name(), a, true, false, false));
            }
        }
        out.removeIf(h -> isStubdomCopy(h, out));
        return out;
    }

    /**
     * An HVM guest's device model stub domain, named GUEST-dm (libxl_dm.c libxl__stub_dm_name), is
     * given each of the guest's devices too (libxl_pci.c libxl__device_pci_add): one owner, the guest.
     */
    private static boolean isStubdomCopy(Hostdev h, List<Hostdev> all) {
        if (!h.guest().endsWith("-dm")) {
            return false;
        }
        String guest = h.guest().substring(0, h.guest().length() - "-dm".length());
        return all.stream().anyMatch(o -> o.guest().equals(guest) && o.device().equals(h.device()));
    }

    /**
     * {@code xl info}'s virt_caps ({@code hvm_directio}/{@code pv_directio} = the IOMMU is on); without
     * that line, Xen's boot message in {@code xl dmesg}; null when neither tells.
     */
    @Override
    public Boolean xenIommuActive() {
        Result info = runner.run(List.of(XL, "info"));
        Boolean caps = info.exitCode() == 0 ? XlOutput.virtCapsDirectio(info.stdout()) : null;
        if (caps != null) {
            return caps;
        }
        Result dmesg = runner.run(List.of(XL, "dmesg"));
        return dmesg.exitCode() == 0 ? XlOutput.dmesgIommu(dmesg.stdout()) : null;
    }

    private Result run(List<String> argv) {
        Result r = runner.run(argv);
        if (r.exitCode() != 0) {
            throw failed(argv, r);
        }
        return r;
    }

    /**
     * {@code guest}, unless xl would read it as something else: tools/libs/light/libxl_utils.c
     * libxl_domain_qualifier_to_domid() takes an all-digit argument as a domain id.
     */
    private static String named(String guest) {
        if (!guest.isEmpty() && guest.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new PcipassException.BadInput("guest name '" + guest + "' is all digits, which xl reads as domain id "
                    + guest + ", not a name; give such a guest through libvirt (--via libvirt) or rename it");
        }
        return guest;
    }

    private static void requireLive(Mode mode, String verb, String fix) {
        if (mode != Mode.LIVE) {
            throw new PcipassException.BadInput("xl keeps no persistent guest configuration, so --config cannot "
                    + verb + " through xl: " + fix + ", or " + verb + " --live only");
        }
    }

    /*
     * tools/xl/xl_utils.c find_domain(): "%s is an invalid domain identifier (rc=%d)" with rc -6
     * (ERROR_INVAL) from libxl_name_to_domid when no domain has the name; tools/xl/xl_info.c main_list():
     * "Error: Domain '%s' does not exist." for a domain id that is not there.
     */
    private static boolean noSuchDomain(Result r, String guest) {
        return r.exitCode() == 1 && (r.stderr().contains(guest + " is an invalid domain identifier (rc=-6)")
                || r.stderr().contains("Error: Domain '" + guest + "' does not exist."));
    }

    private static GuestException noConfig(List<String> argv, Result r) {
        String why = XlOutput.cause(r.stderr());
        return new GuestException(command(argv) + " printed no configuration for the domain (libxl could not read"
                + " its stored configuration" + (why == null ? "" : ": " + why) + ")");
    }

    static GuestException failed(List<String> argv, Result r) {
        String why = XlOutput.cause(r.stderr());
        String what = r.exitCode() < 0 ? " could not be run" : " failed (exit " + r.exitCode() + ")";
        return new GuestException(command(argv) + what + (why == null ? "" : ": " + why));
    }

    static String command(List<String> argv) {
        return String.join(" ", argv);
    }
}
