package org.pcipass.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.store.AssignmentChange;
import org.pcipass.store.Store;
import org.pcipass.sysfs.DeviceScanner;
import org.pcipass.sysfs.Sysfs;

/**
 * Puts a state dir beside a generated sysfs tree for the benchmarks: the store ({@code STATE/pcipass.db})
 * holding COUNT assignments, made through the product's own {@link Store} API, and with it the
 * owners file ({@code STATE/owners}) that {@code list} reads. Not a test; {@code bench/vs-lspci.sh}
 * and {@code bench/jmh.sh} run it.
 *
 * <pre>java -cp CLASSES:target/pcipass.jar org.pcipass.bench.BenchState STATE SYSFS [COUNT]</pre>
 *
 * <p>The assigned devices are the tree's endpoints (class other than 06xx: no bridges or host
 * bridges; no PF with VFs enabled, which attach refuses), spread evenly over its address order,
 * each hidden on vfio-pci (its driver in the tree as the original one) and given to a guest, two
 * devices per guest, alternately through libvirt and xl.
 * A tree with fewer endpoints than COUNT (a small host) gets the rest as records of devices no longer
 * on the host (domain {@code 00ff}): the store and the owners file still hold COUNT, which is what
 * the benchmark asks of them.
 */
public final class BenchState {
    private static final Instant SINCE = Instant.parse("2026-11-30T08:00:00Z");
    /** A PCI domain the generator never fills (it starts at 0000 and needs 2 domains for 4,096 functions). */
    private static final int ABSENT_DOMAIN = 0x00ff;

    private BenchState() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: BenchState STATE SYSFS [COUNT]   (COUNT assignments, default 100)");
            System.exit(2);
        }
        try {
            System.err.println(make(Path.of(args[0]), Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 100));
        } catch (IllegalArgumentException e) {
            System.err.println("BenchState: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * Makes the state dir {@code state} (absent or empty) for the tree {@code sysfs}; returns a line
     * saying what it holds.
     *
     * @throws IllegalArgumentException when {@code state} holds files or {@code sysfs} is no sysfs tree
     */
    public static String make(Path state, Path sysfs, int count) throws IOException {
        if (Files.exists(state)) {
            try (Stream<Path> s = Files.list(state)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(state + " exists and is not empty; give a new directory");
                }
            }
        }
        if (!Files.isDirectory(sysfs.resolve("bus/pci/devices"))) {
            throw new IllegalArgumentException(sysfs + " is not a sysfs tree (no bus/pci/devices)");
        }
        List<PciDevice> chosen = chosen(new DeviceScanner(new Sysfs(sysfs)).scanDevices(false), count);
        Map<PciAddress, HiddenDevice> hidden = new TreeMap<>();
        List<AssignmentChange> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            PciDevice d = i < chosen.size() ? chosen.get(i) : null;
            PciAddress a = d != null ? d.address() : new PciAddress(ABSENT_DOMAIN, 0, (i >> 3) & 0x1f, i & 7);
            hidden.put(a, new HiddenDevice(a, "vfio-pci", d == null ? null : d.driver(), d == null ? null : d.module(),
                    d == null ? "8086" : hex4(d.vendorId()), d == null ? "1520" : hex4(d.deviceId()), false, false));
            boolean libvirt = (i / 2) % 2 == 0;
            puts.add(new AssignmentChange.Put(new Assignment(a, "bench-vm" + (i / 2), libvirt ? "libvirt" : "xl",
                    libvirt ? "qemu:///system" : null, Mode.LIVE_CONFIG, Assignment.ATTACHED, SINCE)));
        }
        try (Store store = Store.open(state)) {
            store.commit(hidden, puts, List.of());
            return "BenchState: " + state + ": store holds " + store.assignments().size() + " assignments ("
                    + Math.min(count, chosen.size()) + " of devices in " + sysfs + ", "
                    + Math.max(0, count - chosen.size()) + " of devices no longer there)";
        }
    }

    /** Up to {@code count} endpoints spread evenly over the address order. */
    private static List<PciDevice> chosen(Map<PciAddress, PciDevice> devices, int count) {
        List<PciDevice> endpoints = devices.values().stream()
                .filter(d -> d.classCode() != null && d.classCode() >>> 16 != 0x06)
                .filter(d -> d.enabledVfs() == 0) // a PF with VFs enabled is refused by attach
                .toList();
        if (endpoints.size() <= count) {
            return endpoints;
        }
        List<PciDevice> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(endpoints.get((int) ((long) i * endpoints.size() / count)));
        }
        return out;
    }

    private static String hex4(Integer v) {
        return v == null ? null : String.format("%04x", v);
    }
}
