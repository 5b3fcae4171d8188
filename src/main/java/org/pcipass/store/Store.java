package org.pcipass.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.apply.PlanJson;
import org.pcipass.guest.Assignment;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/** PLACEHOLDER until the SQLite store lands: assignments and hotplug log in a JSON file. */
public final class Store implements AutoCloseable {
    public static final String FILE = "pcipass.db";
    private final Path dir;

    private Store(Path dir) {
        this.dir = dir;
    }

    public static Store open(Path stateDir) {
        return new Store(stateDir);
    }

    public static Store openIfExists(Path stateDir) {
        return Files.exists(stateDir.resolve(FILE)) ? new Store(stateDir) : null;
    }

    public Map<PciAddress, HiddenDevice> hidden() {
        return HiddenRegistry.load(dir);
    }

    public Map<PciAddress, Assignment> assignments() {
        Map<PciAddress, Assignment> out = new TreeMap<>();
        for (Object o : JsonTree.list(root(), "assignments")) {
            Assignment a = PlanJson.assignment(o);
            out.put(a.device(), a);
        }
        return out;
    }

    private Map<String, Object> root() {
        try {
            Path f = dir.resolve(FILE);
            return Files.exists(f) ? JsonTree.asObject(JsonTree.parse(Files.readString(f)), "db") : JsonTree.object();
        } catch (java.io.IOException e) {
            throw new PcipassException("cannot read " + dir.resolve(FILE) + ": " + e.getMessage());
        }
    }

    public void commit(Map<PciAddress, HiddenDevice> hiddenAfter, List<AssignmentChange> changes,
            List<HotplugEvent> hotplugs) {
        HiddenRegistry.save(dir, hiddenAfter);
        Map<PciAddress, Assignment> as = assignments();
        for (AssignmentChange c : changes) {
            if (c instanceof AssignmentChange.Put p) {
                Assignment old = as.get(p.device());
                if (old != null && !old.guest().equals(p.a().guest())) {
                    throw new PcipassException.Refused(p.device() + " is already assigned to guest " + old.guest()
                            + "; detach it first: pcipass detach " + old.guest() + " " + p.device());
                }
                as.put(p.device(), p.a());
            } else {
                as.remove(c.device());
            }
        }
        Map<String, Object> root = root();
        List<Object> list = new ArrayList<>();
        as.values().forEach(a -> list.add(PlanJson.assignment(a)));
        root.put("assignments", list);
        List<Object> log = new ArrayList<>(JsonTree.list(root, "hotplugs"));
        for (HotplugEvent e : hotplugs) {
            Map<String, Object> n = JsonTree.object();
            n.put("device", e.device().toString());
            n.put("op", e.op());
            n.put("guest", e.guest());
            n.put("at", e.at().toString());
            log.add(n);
        }
        root.put("hotplugs", log);
        StateFiles.writeAtomically(dir.resolve(FILE), JsonTree.pretty(root));
        Map<PciAddress, Owners.Owner> owners = new TreeMap<>();
        as.values().forEach(a -> owners.put(a.device(), new Owners.Owner(a.guest(), false)));
        Owners.write(dir, owners);
    }

    public List<Instant> hotplugs(PciAddress device, Instant from) {
        List<Instant> out = new ArrayList<>();
        for (Object o : JsonTree.list(root(), "hotplugs")) {
            Map<String, Object> n = JsonTree.asObject(o, "event");
            Instant at = Instant.parse(JsonTree.text(n, "at"));
            if (JsonTree.text(n, "device").equals(device.toString()) && !at.isBefore(from)) {
                out.add(at);
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
    }
}
