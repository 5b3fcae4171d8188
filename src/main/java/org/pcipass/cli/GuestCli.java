package org.pcipass.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Domain;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.GuestBackends;
import org.pcipass.guest.GuestName;
import org.pcipass.guest.Hostdev;
import org.pcipass.guest.LibvirtUri;
import org.pcipass.guest.Mode;
import org.pcipass.host.HostPaths;
import org.pcipass.host.Hypervisor;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.GuestView;
import org.pcipass.store.Owners;
import org.pcipass.store.Store;
import org.pcipass.sysfs.Sysfs;

/** What the guest commands share: options, the choice of backend, and the view of guests a plan is made from. */
public final class GuestCli {
    static final CommandSpec.Opt VIA = CommandSpec.value("--via", "BACKEND", "libvirt or xl (default: xl in a Xen"
            + " dom0 where xl answers, else libvirt; --connect implies libvirt)");
    static final CommandSpec.Opt CONNECT = CommandSpec.value("--connect", "URI", "libvirt connection URI (default"
            + " xen:///system in a Xen dom0, qemu:///system elsewhere)");
    static final CommandSpec.Opt LIVE = CommandSpec.flag("--live", "the running guest only");
    static final CommandSpec.Opt CONFIG = CommandSpec.flag("--config", "the guest's persistent definition only"
            + " (both --live and --config: both)");

    private GuestCli() {}

    /** Where a command talks to the hypervisor: backend and URI (null for xl). */
    record Target(String backend, String connect) {}

    /** The guest name (first positional), checked before anything else. */
    static String guest(Args args) {
        if (args.positionals.isEmpty()) {
            throw new PcipassException.BadInput("a guest name is required (see 'pcipass " + args.command + " --help')");
        }
        return GuestName.check(args.positionals.get(0));
    }

    /** The devices after the guest name; at least one. */
    static List<PciAddress> devices(Args args) {
        if (args.positionals.size() < 2) {
            throw new PcipassException.BadInput("name at least one DEVICE after the guest (see 'pcipass "
                    + args.command + " --help')");
        }
        List<PciAddress> out = new ArrayList<>();
        for (String p : args.positionals.subList(1, args.positionals.size())) {
            PciAddress a = ShowCommand.address(p);
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }

    /** --live / --config; null when neither is given (the command chooses). */
    static Mode mode(Args args) {
        boolean live = args.flag("--live");
        boolean config = args.flag("--config");
        return live || config ? Mode.of(live, config) : null;
    }

    /** DESIGN.md's choice: explicit --via wins; --connect implies libvirt; else xl in a Xen dom0 where xl answers, else libvirt. */
    static Target target(Args args, Context ctx) {
        String via = args.value("--via");
        String connect = uri(args.value("--connect"));
        if (via != null && !via.equals(GuestBackends.LIBVIRT) && !via.equals(GuestBackends.XL)) {
            throw new PcipassException.BadInput("--via '" + GuestName.printable(via)
                    + "' is not a backend; give libvirt or xl");
        }
        if (GuestBackends.XL.equals(via) && connect != null) {
            throw new PcipassException.BadInput("--connect names a libvirt URI, but --via xl was given; leave one out");
        }
        boolean dom0 = dom0(args, ctx);
        if (via == null) {
            via = connect != null ? GuestBackends.LIBVIRT : dom0 && ctx.backends().xlAnswers() ? GuestBackends.XL
                    : GuestBackends.LIBVIRT;
        }
        if (via.equals(GuestBackends.XL)) {
            return new Target(GuestBackends.XL, null);
        }
        return new Target(GuestBackends.LIBVIRT, connect != null ? connect : dom0 ? "xen:///system" : "qemu:///system");
    }

    private static boolean dom0(Args args, Context ctx) {
        HostPaths paths = ctx.paths(args);
        return Hypervisor.detect(new Sysfs(paths.sysfs()), new Sysfs(paths.configRoot())) == Hypervisor.XEN_DOM0;
    }

    /** A libvirt URI, checked ({@link LibvirtUri#check}) before anything is loaded; null stays null. */
    static String uri(String uri) {
        return uri == null ? null : LibvirtUri.check(uri);
    }

    /** pcipass's assignments, from the store if there is one (read-only: nothing is created). */
    static Map<PciAddress, Assignment> assignments(Path stateDir) {
        try (Store s = Store.openIfExists(stateDir)) {
            return s == null ? Map.of() : s.assignments();
        }
    }

    /** What the planner needs to know of {@code guest} through backend {@code b}, read now. */
    static GuestView view(Context ctx, HostPaths paths, GuestBackend b, String guest) {
        Domain d = b.domain(guest);
        Set<PciAddress> live = d != null && d.running() ? b.devices(guest, true) : Set.of();
        Set<PciAddress> config = d != null && d.persistent() ? b.devices(guest, false) : Set.of();
        List<Hostdev> hostdevs = b.assigned();
        Map<PciAddress, Assignment> assignments = assignments(paths.stateDir());
        Boolean iommu = d != null && d.paravirtualized() ? b.xenIommuActive() : null;
        Instant now = Instant.now(ctx.clock());
        GuestView.HotplugLimit limit = hotplugLimit(paths.stateDir());
        return new GuestView(d, live, config, assignments, hostdevs, iommu, limit, a -> {
            try (Store s = Store.openIfExists(paths.stateDir())) {
                return s == null ? List.of() : s.hotplugs(a, now.minus(limit.window()));
            }
        }, now);
    }

    /** Records what other tools assigned (for list's owner column) when the state dir exists. */
    static void noteExternal(Path stateDir, List<Hostdev> hostdevs, Map<PciAddress, Assignment> ours) {
        if (!Files.isDirectory(stateDir)) {
            return;
        }
        Map<PciAddress, String> external = new TreeMap<>();
        hostdevs.forEach(h -> {
            if (!ours.containsKey(h.device())) {
                external.putIfAbsent(h.device(), h.guest());
            }
        });
        Owners.writeExternal(stateDir, external);
    }

    /** {@code STATE/pcipass.conf}: {@code hotplug-limit} and {@code hotplug-window} (seconds), as key = value lines. */
    public static GuestView.HotplugLimit hotplugLimit(Path stateDir) {
        Path file = stateDir.resolve("pcipass.conf");
        int count = GuestView.HotplugLimit.DEFAULT.count();
        long window = GuestView.HotplugLimit.DEFAULT.window().toSeconds();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return GuestView.HotplugLimit.DEFAULT;
        } catch (IOException e) {
            throw new PcipassException.BadInput(file + " cannot be read (" + e.getMessage() + "); fix or remove it");
        }
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            String key = eq < 0 ? l : l.substring(0, eq).strip();
            String value = eq < 0 ? "" : l.substring(eq + 1).strip();
            switch (key) {
                case "hotplug-limit" -> count = positive(file, i, key, value);
                case "hotplug-window" -> window = positive(file, i, key, value);
                default -> { } // other keys belong to later releases
            }
        }
        return new GuestView.HotplugLimit(count, Duration.ofSeconds(window));
    }

    private static int positive(Path file, int line, String key, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new PcipassException.BadInput(file + " line " + (line + 1) + ": " + key + " = '" + GuestName.printable(value)
                + "' is not a positive whole number; write e.g. " + key + " = " + (key.equals("hotplug-limit") ? "512"
                : "600"));
    }
}
