package org.pcipass.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/**
 * The store in a child JVM (ChildPcipass.startMain), for what one process cannot show: two processes
 * at once, a full disk, a read-only or noexec filesystem. Exits as pcipass would: 0, or the
 * PcipassException's exit code with "pcipass: MESSAGE" on stderr.
 *
 * <pre>
 * put STATE DEVICE GUEST [READY GO]  open the store; with READY and GO: create READY, wait until GO exists;
 *                                    then commit one assignment of DEVICE to GUEST
 * hide STATE N                       commit a registry of N hidden devices and N hotplug events
 * fill STATE N                       commit one hidden device, then try "hide STATE N" (printing its error on
 *                                    stderr), then print what the store holds and whether it still takes a commit
 * churn STATE                        commit forever: commit i makes devices 0..n-1 (n = 1 + i % 50) hidden and
 *                                    assigned to guest g{i}; prints "committed i" after each
 * load STATE                         print HiddenRegistry.load's addresses
 * owners STATE                       print Owners.read (list's path: must not load the JDBC driver)
 * </pre>
 */
public final class StoreMain {
    private StoreMain() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (PcipassException e) {
            System.err.println("pcipass: " + e.getMessage());
            System.exit(e.exitCode());
        }
    }

    private static void run(String[] args) throws Exception {
        Path state = Path.of(args[1]);
        switch (args[0]) {
            case "put" -> put(state, PciAddress.parse(args[2]), args[3], args.length > 4 ? Path.of(args[4]) : null,
                    args.length > 5 ? Path.of(args[5]) : null);
            case "hide" -> hide(state, Integer.parseInt(args[2]));
            case "fill" -> fill(state, Integer.parseInt(args[2]));
            case "churn" -> churn(state);
            case "load" -> System.out.println(HiddenRegistry.load(state).keySet());
            case "owners" -> System.out.println(Owners.read(state));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void put(Path state, PciAddress device, String guest, Path ready, Path go) throws Exception {
        try (Store s = Store.open(state)) {
            if (ready != null) {
                Files.createFile(ready);
                long end = System.nanoTime() + 60_000_000_000L;
                while (!Files.exists(go) && System.nanoTime() < end) {
                    Thread.sleep(1);
                }
            }
            Assignment a = new Assignment(device, guest, "xl", null, Mode.LIVE, Assignment.ATTACHED, Instant.now());
            s.commit(s.hidden(), List.of(new AssignmentChange.Put(a)), List.of());
        }
        System.out.println("assigned " + device + " to " + guest);
    }

    static PciAddress device(int i) {
        return new PciAddress(0, 0x10 + i / 32, i % 32, 0);
    }

    private static void churn(Path state) {
        try (Store s = Store.open(state)) {
            for (int i = 1; ; i++) {
                int n = 1 + i % 50;
                Map<PciAddress, HiddenDevice> reg = new TreeMap<>();
                List<AssignmentChange> changes = new ArrayList<>();
                for (int d = 0; d < 50; d++) {
                    changes.add(new AssignmentChange.Remove(device(d)));
                }
                for (int d = 0; d < n; d++) {
                    reg.put(device(d), new HiddenDevice(device(d), "vfio-pci", "igb", "igb", "8086", "10c9", false,
                            false));
                    changes.add(new AssignmentChange.Put(new Assignment(device(d), "g" + i, "xl", null, Mode.LIVE,
                            Assignment.ATTACHED, Instant.now())));
                }
                s.commit(reg, changes, List.of(new HotplugEvent(device(0), HotplugEvent.ATTACH, "g" + i,
                        Instant.ofEpochMilli(i))));
                System.out.println("committed " + i);
                System.out.flush();
            }
        }
    }

    private static void fill(Path state, int n) {
        PciAddress gpu = PciAddress.parse("0000:09:00.0");
        HiddenRegistry.save(state, Map.of(gpu, new HiddenDevice(gpu, "vfio-pci", "nouveau", "nouveau", "10de", "1b80",
                false, false)));
        try {
            hide(state, n);
        } catch (PcipassException e) {
            System.err.println("pcipass: " + e.getMessage());
        }
        System.out.println("after: " + HiddenRegistry.load(state).keySet() + "; journal left: "
                + Files.exists(state.resolve(Store.FILE + "-journal")));
        HiddenRegistry.save(state, Map.of());
        System.out.println("saved again: " + HiddenRegistry.load(state).keySet());
    }

    private static void hide(Path state, int n) {
        Map<PciAddress, HiddenDevice> reg = new TreeMap<>();
        List<HotplugEvent> events = new ArrayList<>();
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        for (int i = 0; i < n; i++) {
            PciAddress a = new PciAddress(i >> 13, (i >> 5) & 0xff, i & 0x1f, 0);
            reg.put(a, new HiddenDevice(a, "vfio-pci", "some-rather-long-driver-name-" + i, "module-" + i, "10de",
                    "1b80", true, false));
            events.add(new HotplugEvent(a, HotplugEvent.ATTACH, "guest-" + i, t.plusMillis(i)));
        }
        try (Store s = Store.open(state)) {
            s.commit(reg, List.of(), events);
        }
        System.out.println("hid " + n);
    }
}
