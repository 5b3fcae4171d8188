package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.store.Db.hidden;
import static org.pcipass.store.Db.pci;
import static org.pcipass.store.Db.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/** The store's file: created and migrated from nothing, left alone when current, refused when newer or garbled. */
class StoreSchemaTest {
    @TempDir
    Path tmp;

    @Test
    void openingCreatesTheStateDirAndEveryTableFromNothing() {
        Path state = tmp.resolve("var/lib/pcipass");
        try (Store s = Store.open(state)) {
            assertThat(s.hidden()).isEmpty();
            assertThat(s.assignments()).isEmpty();
        }
        Path db = state.resolve(Store.FILE);
        assertThat(Db.query(db, "SELECT version FROM schema_version")).containsExactly("1", "2", "3");
        assertThat(Db.query(db, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"))
                .containsExactly("table|assignments", "table|audit", "index|audit_at", "table|fleet_claim_devices",
                        "index|fleet_claim_devices_claim", "table|fleet_claims", "table|fleet_devices", "table|fleet_hosts", "table|hidden", "table|hotplug_log", "table|meta", "table|schema_version");
        assertThat(Db.query(db, "SELECT name FROM pragma_table_info('hidden')")).containsExactly("address", "stub",
                "original_driver", "original_module", "vendor_id", "device_id", "persisted", "adopted");
        assertThat(Db.query(db, "SELECT name FROM pragma_table_info('assignments')")).containsExactly("device",
                "guest", "backend", "connect", "mode", "state", "since");
        assertThat(Db.query(db, "SELECT name FROM pragma_table_info('hotplug_log')")).containsExactly("device", "op",
                "guest", "at");
        assertThat(Db.query(db, "SELECT name FROM pragma_table_info('audit')")).containsExactly("id", "at", "actor",
                "via", "address", "action", "devices", "guest", "result", "exit_code", "error", "command", "plan");
        assertThat(Db.query(db, "SELECT value FROM meta WHERE name = 'hidden.json import'")).singleElement()
                .asString().startsWith("nothing to import: no " + state.resolve("hidden.json") + " at ");
    }

    /** SQLite bumps the header's change counter with every write transaction: equal bytes mean nothing was written. */
    @Test
    void reopeningACurrentStoreWritesNothing() throws Exception {
        try (Store s = Store.open(tmp)) {
            s.commit(registry(hidden("0000:09:00.0", "nouveau")), List.of(), List.of());
        }
        Path db = tmp.resolve(Store.FILE);
        byte[] before = Files.readAllBytes(db);
        try (Store s = Store.open(tmp)) {
            assertThat(s.hidden()).containsOnlyKeys(pci("0000:09:00.0"));
        }
        try (Store s = Store.openIfExists(tmp)) {
            assertThat(s.hidden()).hasSize(1);
        }
        assertThat(Files.readAllBytes(db)).isEqualTo(before);
        assertThat(Db.query(db, "SELECT version FROM schema_version")).containsExactly("1", "2", "3");
    }

    @Test
    void aStoreFromANewerPcipassIsRefusedNamingTheFileAndBothVersions() {
        Store.open(tmp).close();
        Path db = tmp.resolve(Store.FILE);
        Db.execute(db, "INSERT INTO schema_version (version, applied) VALUES (7, '2031-01-01T00:00:00Z')");
        for (Runnable open : List.<Runnable>of(() -> Store.open(tmp), () -> Store.openIfExists(tmp),
                () -> org.pcipass.store.HiddenRegistry.load(tmp))) {
            assertThatThrownBy(open::run).isExactlyInstanceOf(PcipassException.class).hasMessage("the store " + db
                    + " has schema version 7, newer than this pcipass knows (" + Schema.LATEST + "): a newer pcipass wrote it; run that"
                    + " release");
        }
    }

    @Test
    void theRegistryKeepsEveryFieldOfEveryRecord() {
        HiddenDevice full = new HiddenDevice(pci("0000:09:00.0"), "pciback", "bnx2", "bnx2", "14e4", "164a", true,
                false);
        HiddenDevice adopted = new HiddenDevice(pci("0000:0a:04.0"), "vfio-pci", null, "e1000", "8086", "100e", true,
                true);
        HiddenDevice bare = new HiddenDevice(pci("10000:e1:00.7"), "pci-stub", null, null, null, null, false, false);
        Map<PciAddress, HiddenDevice> reg = registry(full, adopted, bare);
        try (Store s = Store.open(tmp)) {
            s.commit(reg, List.of(), List.of());
        }
        try (Store s = Store.openIfExists(tmp)) {
            assertThat(s.hidden()).isEqualTo(reg);
            assertThat(s.hidden().keySet()).containsExactly(pci("0000:09:00.0"), pci("0000:0a:04.0"),
                    pci("10000:e1:00.7"));
        }
    }

    @Test
    void aCommitReplacesTheWholeRegistry() {
        try (Store s = Store.open(tmp)) {
            s.commit(registry(hidden("0000:09:00.0", "nouveau"), hidden("0000:09:00.1", "snd_hda_intel")), List.of(),
                    List.of());
            s.commit(registry(hidden("0000:09:00.1", null)), List.of(), List.of());
            assertThat(s.hidden()).isEqualTo(registry(hidden("0000:09:00.1", null)));
        }
    }

    @Test
    void aGarbledStoreFileIsOneLineNamingItAndTheFix() throws Exception {
        Path db = Files.writeString(tmp.resolve(Store.FILE), "this is not a database, it is a shopping list\n".repeat(40));
        for (Runnable open : List.<Runnable>of(() -> Store.open(tmp), () -> Store.openIfExists(tmp))) {
            assertThatThrownBy(open::run).isExactlyInstanceOf(PcipassException.class)
                    .hasMessageStartingWith("the store " + db + " is damaged or not a pcipass database (")
                    .hasMessageEndingWith("); move it aside (pcipass starts an empty one) and run 'pcipass list' to"
                            + " see which devices are on stub drivers")
                    .message().doesNotContain("\n");
        }
    }

    @Test
    void aRowPcipassCannotReadIsNamedWithTheFile() {
        Store.open(tmp).close();
        Path db = tmp.resolve(Store.FILE);
        Db.execute(db, "INSERT INTO assignments (device, guest, backend, connect, mode, state, since) VALUES"
                + " ('0000:09:00.0', 'win10', 'libvirt', NULL, 'sideways', 'attached', '2025-01-01T00:00:00Z')");
        try (Store s = Store.openIfExists(tmp)) {
            assertThatThrownBy(s::assignments).isExactlyInstanceOf(PcipassException.class).hasMessage("the store " + db
                    + " has a row in its assignments table that pcipass cannot read (0000:09:00.0: mode 'sideways'"
                    + " is not live, config or live+config); delete that row, or restore the store from a backup");
        }
    }
}
