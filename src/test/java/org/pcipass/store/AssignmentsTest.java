package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.store.Db.assignment;
import static org.pcipass.store.Db.hidden;
import static org.pcipass.store.Db.pci;
import static org.pcipass.store.Db.registry;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.store.AssignmentChange.Put;
import org.pcipass.store.AssignmentChange.Remove;

/** One guest per device, enforced by the assignments table's key; commits are whole and may be repeated. */
class AssignmentsTest {
    static final String GPU = "0000:09:00.0";
    static final String AUDIO = "0000:09:00.1";

    @TempDir
    Path tmp;

    @Test
    void anAssignmentKeepsEveryField() {
        Assignment xl = new Assignment(pci(AUDIO), "pv-guest", "xl", null, Mode.LIVE, Assignment.DETACH_PENDING,
                Instant.parse("2025-03-01T10:15:30Z"));
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10")), new Put(xl)), List.of());
        }
        try (Store s = Store.openIfExists(tmp)) {
            assertThat(s.assignments()).containsExactly(Map.entry(pci(GPU), assignment(GPU, "win10")),
                    Map.entry(pci(AUDIO), xl));
        }
    }

    @Test
    void aDeviceAnotherGuestHoldsIsRefusedAndTheWholeCommitChangesNothing() {
        Map<PciAddress, HiddenDevice> before = registry(hidden(GPU, "nouveau"));
        try (Store s = Store.open(tmp)) {
            s.commit(before, List.of(new Put(assignment(GPU, "win10"))), List.of());
            HotplugEvent attach = new HotplugEvent(pci(AUDIO), HotplugEvent.ATTACH, "linux-vm",
                    Instant.parse("2025-03-02T00:00:00Z"));
            assertThatThrownBy(() -> s.commit(registry(hidden(GPU, "nouveau"), hidden(AUDIO, "snd_hda_intel")),
                    List.of(new Put(assignment(AUDIO, "linux-vm")), new Put(assignment(GPU, "linux-vm"))),
                    List.of(attach)))
                    .isExactlyInstanceOf(PcipassException.Refused.class)
                    .hasMessage("0000:09:00.0 is already assigned to guest win10; detach it first: pcipass detach win10"
                            + " 0000:09:00.0");
            assertThat(s.hidden()).isEqualTo(before);
            assertThat(s.assignments()).containsExactly(Map.entry(pci(GPU), assignment(GPU, "win10")));
            assertThat(s.hotplugs(pci(AUDIO), Instant.EPOCH)).isEmpty();
        }
        assertThat(Owners.read(tmp)).containsExactly(Map.entry(pci(GPU), new Owners.Owner("win10", false)));
    }

    @Test
    void putOfTheSameGuestAgainUpdatesItSoACommitCanBeRepeated() {
        Assignment pending = assignment(GPU, "win10").withState(Assignment.DETACH_PENDING);
        try (Store s = Store.open(tmp)) {
            List<AssignmentChange> changes = List.of(new Put(assignment(GPU, "win10")));
            s.commit(Map.of(), changes, List.of());
            s.commit(Map.of(), changes, List.of()); // crash recovery commits a finished plan again
            assertThat(s.assignments()).containsExactly(Map.entry(pci(GPU), assignment(GPU, "win10")));
            s.commit(Map.of(), List.of(new Put(pending)), List.of());
            assertThat(s.assignments()).containsExactly(Map.entry(pci(GPU), pending));
        }
        assertThat(Db.query(tmp.resolve(Store.FILE), "SELECT device, guest, state FROM assignments"))
                .containsExactly("0000:09:00.0|win10|detach-pending");
    }

    @Test
    void removeFreesTheDeviceForAnotherGuestAndIsHarmlessTwice() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10")), new Put(assignment(AUDIO, "win10"))),
                    List.of());
            s.commit(Map.of(), List.of(new Remove(pci(GPU))), List.of());
            s.commit(Map.of(), List.of(new Remove(pci(GPU))), List.of());
            assertThat(s.assignments()).containsOnlyKeys(pci(AUDIO));
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "linux-vm"))), List.of());
            assertThat(s.assignments().get(pci(GPU)).guest()).isEqualTo("linux-vm");
        }
    }

    @Test
    void eachChangeNamesItsDevice() {
        assertThat(List.<AssignmentChange>of(new Put(assignment(GPU, "win10")), new Remove(pci(AUDIO))))
                .extracting(AssignmentChange::device).containsExactly(pci(GPU), pci(AUDIO));
    }

    /** Changes apply in order: a device can move from one guest to another in one commit (detach, then attach). */
    @Test
    void removeThenPutInOneCommitMovesTheDevice() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10"))), List.of());
            s.commit(Map.of(), List.of(new Remove(pci(GPU)), new Put(assignment(GPU, "linux-vm"))), List.of());
            assertThat(s.assignments().get(pci(GPU)).guest()).isEqualTo("linux-vm");
        }
    }

    /** The key is the backstop, not the code's SELECT: a row written behind pcipass's back is still refused. */
    @Test
    void theTablesKeyRefusesASecondRowForADevice() {
        Store.open(tmp).close();
        Path db = tmp.resolve(Store.FILE);
        Db.execute(db, "INSERT INTO assignments (device, guest, backend, connect, mode, state, since) VALUES"
                + " ('0000:09:00.0', 'win10', 'xl', NULL, 'live', 'attached', '2025-01-01T00:00:00Z')");
        assertThatThrownBy(() -> Db.execute(db, "INSERT INTO assignments (device, guest, backend, connect, mode,"
                + " state, since) VALUES ('0000:09:00.0', 'other', 'xl', NULL, 'live', 'attached',"
                + " '2025-01-01T00:00:00Z')")).hasRootCauseMessage(
                        "[SQLITE_CONSTRAINT_PRIMARYKEY] A PRIMARY KEY constraint failed"
                                + " (UNIQUE constraint failed: assignments.device)");
        try (Store s = Store.openIfExists(tmp)) {
            assertThatThrownBy(() -> s.commit(Map.of(), List.of(new Put(assignment(GPU, "other"))), List.of()))
                    .hasMessage("0000:09:00.0 is already assigned to guest win10; detach it first: pcipass detach win10"
                            + " 0000:09:00.0");
        }
    }
}
