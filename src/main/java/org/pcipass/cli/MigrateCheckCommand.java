package org.pcipass.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.Hostdev;
import org.pcipass.pci.PciAddress;

/** Whether a guest can be saved, restored or migrated: not while it holds a passed-through PCI device. */
final class MigrateCheckCommand implements Command {
    static final String REASON = "a guest with a passed-through PCI device cannot be saved, restored or migrated"
            + " (RHEL 5 Virtualization Guide); detach it first";
    private static final CommandSpec SPEC = new CommandSpec("migrate-check",
            "Exit 3 naming each PCI device that blocks saving, restoring or migrating the guest; 0 when none.",
            List.of(GuestCli.VIA, GuestCli.CONNECT), "GUEST", CommandSpec.Arity.ONE, List.of());

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
        String guest = GuestCli.guest(args);
        GuestCli.Target given = GuestCli.target(args, ctx);
        Map<PciAddress, Assignment> ours = GuestCli.assignments(ctx.paths(args).stateDir());
        List<Assignment> mine = ours.values().stream().filter(a -> a.guest().equals(guest)).toList();
        GuestCli.Target t = mine.isEmpty() ? given : new GuestCli.Target(mine.get(0).backend(), mine.get(0).connect());
        Set<PciAddress> blocking = new TreeSet<>();
        mine.forEach(a -> blocking.add(a.device()));
        try (GuestBackend b = ctx.backends().open(t.backend(), t.connect())) {
            if (b.domain(guest) == null) {
                if (mine.isEmpty()) {
                    throw new PcipassException.BadInput("there is no guest named '" + guest + "' "
                            + (t.connect() == null ? "in xl" : "on " + t.connect()));
                }
            } else {
                for (Hostdev h : b.assigned()) {
                    if (h.guest().equals(guest) && h.live()) {
                        blocking.add(h.device());
                    }
                }
            }
        } catch (PcipassException e) {
            if (e.exitCode() == 2 || mine.isEmpty()) {
                throw e;
            }
            ctx.err().println("pcipass: warning: " + e.getMessage() + " (judged from pcipass's records)");
        }
        if (blocking.isEmpty()) {
            ctx.out().println(guest + ": no passed-through PCI devices; nothing blocks saving, restoring or migrating it");
            return 0;
        }
        blocking.forEach(a -> ctx.out().println(a + ": " + REASON));
        throw new PcipassException.Refused("guest " + guest + " cannot be saved, restored or migrated: " + blocking.size()
                + " passed-through PCI device" + (blocking.size() == 1 ? "" : "s") + " (" + String.join(", ",
                blocking.stream().map(Object::toString).toList()) + ")");
    }
}
