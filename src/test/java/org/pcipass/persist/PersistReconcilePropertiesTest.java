package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;

/**
 * Issue 9, defect 5, as a property of the persist layer: whatever part of the registry was lost,
 * no-longer-persisting one device never stops the configuration from hiding another device it
 * hid, unless pcipass's registry still holds that device (apply-boot hides it at boot); where it
 * cannot, the edit is refused (exit 1) and only then. And a block the registry agrees with gets
 * exactly the rendering of the registry, as before.
 */
class PersistReconcilePropertiesTest {
    private static final List<String> MODULES = List.of("bnx2", "e1000", "tg3");

    private static PersistTarget target(String text) {
        return new PersistTarget(java.nio.file.Path.of("/root"), PersistTarget.MODPROBE_D, "xen-pciback", Set.of(), null,
                text == null ? AtomicFile.Snapshot.ABSENT : AtomicFile.Snapshot.ofText(text), Map.of());
    }

    @Provide
    Arbitrary<List<PersistedDevice>> deviceSets() {
        return Devices.arbitrarySets(MODULES);
    }

    @Property(tries = 400)
    void unpersistingOneDeviceNeverDropsAnotherUnlessTheRegistryHoldsIt(
            @ForAll("deviceSets") List<PersistedDevice> devices, @ForAll @IntRange(max = 31) int lostMask,
            @ForAll @IntRange(max = 4) int pick) {
        Map<PciAddress, DeviceIds> present = Devices.present(devices, List.of(), Set.of());
        String written = Devices.plan(target(null), List.of(), devices, Set.of()).after();
        PersistedDevice gone = devices.get(pick % devices.size());
        List<PersistedDevice> registry = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            if ((lostMask & (1 << i)) == 0) {
                registry.add(devices.get(i));
            }
        }
        List<PersistedDevice> after = registry.stream().filter(d -> d != gone).toList();
        PersistedBlock before = block(written);

        PersistPlan plan;
        try {
            plan = PersistPlanner.plan(target(written), registry, after,
                    new PersistPlanner.Change(Set.of(), Set.of(gone.address())), present);
        } catch (PcipassException e) {
            assertThat(e.exitCode()).as(e.getMessage()).isEqualTo(1);
            assertThat(e.getMessage()).contains("pcipass has no record of");
            boolean unrecordedTwin = devices.stream().anyMatch(d -> d != gone && !registry.contains(d)
                    && d.ids().equals(gone.ids()) && d.stub() != Stub.PCIBACK && covers(before, d, present));
            assertThat(unrecordedTwin).as("refused only for a device the ids line keeps that no record holds").isTrue();
            return;
        }
        PersistedBlock now = block(plan.after());
        assertThat(now.covering(gone.address(), present.get(gone.address()))).as("%s is no longer hidden at boot",
                gone.address()).isEmpty();
        for (PersistedDevice d : devices) {
            if (d != gone && covers(before, d, present) && !registry.contains(d)) {
                assertThat(covers(now, d, present)).as("%s, which only the file kept, is still hidden by it: %s",
                        d.address(), plan.after()).isTrue();
            }
        }
    }

    @Property(tries = 300)
    void aBlockTheRegistryAgreesWithBecomesTheRenderingOfTheRegistry(
            @ForAll("deviceSets") List<PersistedDevice> devices, @ForAll @IntRange(max = 4) int pick) {
        String written = Devices.plan(target(null), List.of(), devices, Set.of()).after();
        List<PersistedDevice> after = new ArrayList<>(devices);
        after.remove(pick % devices.size());
        String expected = Devices.plan(target(null), List.of(), after, Set.of(devices.get(pick % devices.size()).ids()))
                .after();
        String got = Devices.plan(target(written), devices, after, Set.of()).after();
        assertThat(got).isEqualTo(expected);
    }

    private static PersistedBlock block(String text) {
        return PersistedBlock.parse(text == null ? List.of() : ModprobeFile.parse("f", text).blockBody());
    }

    private static boolean covers(PersistedBlock block, PersistedDevice d, Map<PciAddress, DeviceIds> present) {
        return block.covering(d.address(), present.get(d.address())).contains(d.stub());
    }
}
