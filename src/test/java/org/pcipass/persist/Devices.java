package org.pcipass.persist;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.pcipass.pci.PciAddress;

/** Test shorthands for persisted devices. */
final class Devices {
    private Devices() {}

    static PersistedDevice pciback(String address, String driver, String module) {
        return new PersistedDevice(PciAddress.parse(address), Stub.PCIBACK, driver, module, DeviceIds.parse("14e4:1639"));
    }

    static PersistedDevice on(Stub stub, String address, String driver, String module, String ids) {
        return new PersistedDevice(PciAddress.parse(address), stub, driver, module, DeviceIds.parse(ids));
    }

    /** The seed's device: 0000:09:00.0 on bnx2, a module. */
    static PersistedDevice seed() {
        return pciback("0000:09:00.0", "bnx2", "bnx2");
    }

    /**
     * {@link PersistPlanner#plan} for a host whose devices are exactly those persisted before or
     * after, plus one more device (at ffff:fe:SS.F) for each of {@code sharedIds}: the change is the
     * difference of the two sets, as the registry sees it.
     */
    static PersistPlan plan(PersistTarget target, Collection<PersistedDevice> previous,
            Collection<PersistedDevice> next, Set<DeviceIds> sharedIds) {
        return PersistPlanner.plan(target, previous, next, PersistPlanner.Change.between(previous, next),
                present(previous, next, sharedIds));
    }

    /** The host of {@link #plan}: the persisted devices' ids, and a device outside them for each shared id. */
    static Map<PciAddress, DeviceIds> present(Collection<PersistedDevice> previous, Collection<PersistedDevice> next,
            Set<DeviceIds> sharedIds) {
        Map<PciAddress, DeviceIds> out = new TreeMap<>();
        previous.forEach(d -> out.put(d.address(), d.ids()));
        next.forEach(d -> out.put(d.address(), d.ids()));
        int i = 0;
        for (DeviceIds id : new java.util.TreeSet<>(sharedIds)) {
            out.put(PciAddress.parse(String.format("ffff:fe:%02x.%d", i % 32, i / 32 % 8)), id);
            i++;
        }
        return out;
    }

    /**
     * 1 to 5 persisted devices at distinct addresses in domains 0-2, on any stub, each with one of
     * {@code modules} as its driver and module, or the built-in ahci, or no driver; three ids shared
     * among them.
     */
    static Arbitrary<List<PersistedDevice>> arbitrarySets(List<String> modules) {
        Arbitrary<PciAddress> address = Combinators.combine(
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.integers().between(0, 0xff),
                        Arbitraries.integers().between(0, 0x1f),
                        Arbitraries.integers().between(0, 7))
                .as((dom, b, s, f) -> new PciAddress(dom, b, s, f));
        Arbitrary<PersistedDevice> device = Combinators.combine(address,
                        Arbitraries.of(Stub.class),
                        Arbitraries.integers().between(0, modules.size() + 1),
                        Arbitraries.of("8086:1533", "10de:1b80", "14e4:1639"))
                .as((a, stub, m, ids) -> {
                    String driver = m < modules.size() ? modules.get(m) : m == modules.size() ? "ahci" : null;
                    String module = m < modules.size() ? driver : null;
                    return new PersistedDevice(a, stub, driver, module, DeviceIds.parse(ids));
                });
        return device.list().ofMinSize(1).ofMaxSize(5).map(list -> {
            Map<PciAddress, PersistedDevice> unique = new LinkedHashMap<>();
            list.forEach(d -> unique.putIfAbsent(d.address(), d));
            return List.copyOf(unique.values());
        });
    }
}
