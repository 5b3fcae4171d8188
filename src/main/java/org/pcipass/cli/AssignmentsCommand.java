package org.pcipass.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.Hostdev;
import org.pcipass.guest.Mode;
import org.pcipass.host.HostPaths;
import org.pcipass.pci.PciAddress;

/**
 * Who owns what: pcipass's assignments with their state checked against the hypervisor that made
 * them ({@code stale} when it no longer agrees), and the hostdevs other tools assigned ({@code external}).
 */
final class AssignmentsCommand implements Command {
    private static final CommandSpec SPEC = new CommandSpec("assignments",
            "Who owns which device: pcipass's assignments (attached, detach-pending, or stale when the hypervisor no"
                    + " longer agrees) and the devices other tools assigned (external): every libvirt domain's live and"
                    + " persistent hostdevs, and xl pci-list of every Xen domain.",
            List.of(GuestCli.VIA, GuestCli.CONNECT, CommandSpec.flag("--json", "print a JSON array")),
            null, CommandSpec.Arity.NONE, List.of());

    /** One row: an assignment, or another tool's hostdev. */
    record Row(PciAddress device, String guest, String backend, String connect, String mode, String state,
            String since) {}

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        return StateDirCheck.Use.READ;
    }

    @Override
    public int run(Args args, Context ctx) {
        HostPaths paths = ctx.paths(args);
        GuestCli.Target given = GuestCli.target(args, ctx);
        Map<PciAddress, Assignment> ours = GuestCli.assignments(paths.stateDir());
        Map<GuestCli.Target, List<Hostdev>> seen = new LinkedHashMap<>();
        seen.put(given, null);
        ours.values().forEach(a -> seen.putIfAbsent(new GuestCli.Target(a.backend(), a.connect()), null));
        for (GuestCli.Target t : seen.keySet()) {
            seen.put(t, hostdevs(ctx, t, args.value("--via") != null || args.value("--connect") != null
                    || ours.values().stream().anyMatch(a -> a.backend().equals(t.backend()))));
        }
        List<Row> rows = new ArrayList<>();
        ours.values().forEach(a -> rows.add(new Row(a.device(), a.guest(), a.backend(), a.connect(), a.mode().text(),
                state(a, seen.get(new GuestCli.Target(a.backend(), a.connect()))), a.since().toString())));
        Map<PciAddress, String> external = new TreeMap<>();
        seen.forEach((t, hostdevs) -> {
            if (hostdevs == null) {
                return;
            }
            for (Hostdev h : hostdevs) {
                if (!ours.containsKey(h.device()) && !external.containsKey(h.device())) {
                    external.put(h.device(), h.guest());
                    rows.add(new Row(h.device(), h.guest(), t.backend(), t.connect(), Mode.of(h.live(), h.config())
                            .text(), "external", null));
                }
            }
        });
        if (seen.values().stream().anyMatch(java.util.Objects::nonNull)) {
            GuestCli.noteExternal(paths.stateDir(), seen.values().stream().filter(java.util.Objects::nonNull)
                    .flatMap(List::stream).toList(), ours);
        }
        rows.sort(java.util.Comparator.comparing(Row::device));
        print(ctx, rows, args.flag("--json"));
        return 0;
    }

    /** The hostdevs the backend lists, or null (with a warning when asked for) when it cannot be reached. */
    private static List<Hostdev> hostdevs(Context ctx, GuestCli.Target t, boolean warn) {
        try (GuestBackend b = ctx.backends().open(t.backend(), t.connect())) {
            return b.assigned();
        } catch (PcipassException e) {
            if (warn) {
                ctx.err().println("pcipass: warning: " + e.getMessage() + " (states of its assignments are as recorded)");
            }
            return null;
        }
    }

    /** The recorded state, or stale when the hypervisor (reached) no longer lists the device for that guest. */
    private static String state(Assignment a, List<Hostdev> hostdevs) {
        if (hostdevs == null) {
            return a.state();
        }
        boolean listed = hostdevs.stream().anyMatch(h -> h.device().equals(a.device()) && h.guest().equals(a.guest()));
        if (a.state().equals(Assignment.DETACH_PENDING)) {
            return listed ? a.state() : Assignment.STALE; // released since: the next detach reconciles it
        }
        return listed ? a.state() : Assignment.STALE;
    }

    private static void print(Context ctx, List<Row> rows, boolean json) {
        if (json) {
            List<Object> out = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> n = JsonTree.object();
                n.put("device", r.device().toString());
                n.put("guest", r.guest());
                n.put("backend", r.backend());
                n.put("connect", r.connect());
                n.put("mode", r.mode());
                n.put("state", r.state());
                n.put("since", r.since());
                out.add(n);
            }
            ctx.out().println(JsonTree.pretty(out));
            return;
        }
        if (rows.isEmpty()) {
            ctx.out().println("no assignments");
            return;
        }
        Table t = new Table("DEVICE", "GUEST", "BACKEND", "MODE", "STATE", "SINCE");
        rows.forEach(r -> t.row(r.device().toString(), r.guest(), r.connect() == null ? r.backend() : r.backend() + " "
                + r.connect(), r.mode(), r.state(), r.since() == null ? "-" : r.since()));
        t.print(ctx.out());
    }
}
