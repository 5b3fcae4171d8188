package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.store.Db.pci;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;

/** The hotplug guard's log: per device, from a time on, in time order, each event once. */
class HotplugLogTest {
    static final String GPU = "0000:09:00.0";
    static final Instant T = Instant.parse("2025-03-01T10:00:00Z");

    @TempDir
    Path tmp;

    static HotplugEvent event(String device, String op, Instant at) {
        return new HotplugEvent(pci(device), op, "win10", at);
    }

    @Test
    void hotplugsAreTheDevicesAttachesAndDetachesFromATimeOnInTimeOrder() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(), List.of(event(GPU, "detach", T.plusSeconds(30)),
                    event(GPU, "attach", T.plusSeconds(10)), event("0000:0a:00.0", "attach", T.plusSeconds(20))));
            s.commit(Map.of(), List.of(), List.of(event(GPU, "attach", T.plusMillis(40_001)),
                    event(GPU, "attach", T.minusSeconds(1))));
            assertThat(s.hotplugs(pci(GPU), T)).containsExactly(T.plusSeconds(10), T.plusSeconds(30),
                    T.plusMillis(40_001));
            assertThat(s.hotplugs(pci(GPU), T.plusSeconds(30))).as("'from' is inclusive")
                    .containsExactly(T.plusSeconds(30), T.plusMillis(40_001));
            assertThat(s.hotplugs(pci(GPU), T.plusMillis(40_002))).isEmpty();
            assertThat(s.hotplugs(pci(GPU), Instant.EPOCH)).hasSize(4);
            assertThat(s.hotplugs(pci("0000:0b:00.0"), Instant.EPOCH)).isEmpty();
        }
    }

    /** Crash recovery commits a finished plan again with the times its journal recorded: nothing is counted twice. */
    @Test
    void theSameEventCommittedAgainIsLoggedOnce() {
        List<HotplugEvent> plan = List.of(event(GPU, "detach", T), event(GPU, "attach", T));
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(), plan);
            s.commit(Map.of(), List.of(), plan);
            assertThat(s.hotplugs(pci(GPU), Instant.EPOCH)).containsExactly(T, T);
        }
        assertThat(Db.query(tmp.resolve(Store.FILE), "SELECT device, op, guest, at FROM hotplug_log ORDER BY op"))
                .containsExactly("0000:09:00.0|attach|win10|" + T.toEpochMilli(),
                        "0000:09:00.0|detach|win10|" + T.toEpochMilli());
    }

    @Test
    void anEventIsAnAttachOrADetachOfANamedGuest() {
        assertThatThrownBy(() -> event(GPU, "reset", T)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("op: 'reset' is not attach or detach");
        assertThatThrownBy(() -> new HotplugEvent(pci(GPU), "attach", "$(reboot)", T))
                .isInstanceOf(PcipassException.BadInput.class).hasMessageStartingWith("guest name '$(reboot)' holds '$'");
    }
}
