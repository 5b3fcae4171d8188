package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.store.Db.hidden;
import static org.pcipass.store.Db.pci;
import static org.pcipass.store.Db.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.testing.Fs;

/**
 * An earlier release's {@code STATE/hidden.json} goes into the store once, and HiddenRegistry reads
 * the store, or that file, or nothing, without ever creating the store itself.
 */
class HiddenJsonImportTest {
    /** hidden.json as the release before the store wrote it (HiddenRegistry.save of that release). */
    static final String EARLIER_RELEASE = """
            {
              "version": 1,
              "hidden": [
                {
                  "address": "0000:09:00.0",
                  "stub": "pciback",
                  "originalDriver": "bnx2",
                  "originalModule": "bnx2",
                  "vendorId": "14e4",
                  "deviceId": "164a",
                  "persisted": true
                },
                {
                  "address": "0000:0a:04.0",
                  "stub": "pciback",
                  "originalDriver": null,
                  "originalModule": "e1000",
                  "vendorId": "8086",
                  "deviceId": "100e",
                  "persisted": true,
                  "adopted": true
                }
              ]
            }
            """;
    static final HiddenDevice BNX2 = new HiddenDevice(pci("0000:09:00.0"), "pciback", "bnx2", "bnx2", "14e4", "164a",
            true, false);
    static final HiddenDevice E1000 = new HiddenDevice(pci("0000:0a:04.0"), "pciback", null, "e1000", "8086", "100e",
            true, true);

    @TempDir
    Path tmp;

    @Test
    void hiddenJsonIsImportedWhenTheStoreIsCreatedAndRenamedAside() throws Exception {
        Path json = Fs.write(tmp.resolve("hidden.json"), EARLIER_RELEASE);
        try (Store s = Store.open(tmp)) {
            assertThat(s.hidden()).isEqualTo(registry(BNX2, E1000));
        }
        assertThat(json).doesNotExist();
        assertThat(tmp.resolve("hidden.json.imported")).hasContent(EARLIER_RELEASE);
        assertThat(Db.query(tmp.resolve(Store.FILE), "SELECT value FROM meta WHERE name = 'hidden.json import'"))
                .singleElement().asString().startsWith("imported 2 devices from " + json + " at ");
    }

    @Test
    void aHiddenJsonThatReappearsIsNeverImportedAgain() throws Exception {
        Fs.write(tmp.resolve("hidden.json"), EARLIER_RELEASE);
        try (Store s = Store.open(tmp)) {
            s.commit(registry(hidden("0000:0b:00.0", "igb")), List.of(), List.of()); // both unhidden, another hidden
        }
        Files.copy(tmp.resolve("hidden.json.imported"), tmp.resolve("hidden.json")); // someone puts it back
        try (Store s = Store.open(tmp)) {
            assertThat(s.hidden()).isEqualTo(registry(hidden("0000:0b:00.0", "igb")));
        }
        assertThat(HiddenRegistry.load(tmp)).isEqualTo(registry(hidden("0000:0b:00.0", "igb")));
        assertThat(tmp.resolve("hidden.json")).as("left where it was put, never read").hasContent(EARLIER_RELEASE);
    }

    /** A store created before any hidden.json existed has recorded that: a later hidden.json is not imported either. */
    @Test
    void aHiddenJsonThatAppearsAfterTheStoreWasCreatedIsNotImported() {
        Store.open(tmp).close();
        Fs.write(tmp.resolve("hidden.json"), EARLIER_RELEASE);
        assertThat(HiddenRegistry.load(tmp)).isEmpty();
    }

    @Test
    void aGarbledHiddenJsonStopsTheImportAndIsNamed() throws Exception {
        Path json = Fs.write(tmp.resolve("hidden.json"), "{\"hidden\": [");
        String message = "the state file " + json + " is garbled (";
        assertThatThrownBy(() -> Store.open(tmp)).isInstanceOf(PcipassException.class).hasMessageStartingWith(message)
                .hasMessageEndingWith("); move it aside and run 'pcipass list' to see which devices are on stub drivers");
        assertThat(json).exists();
        Files.move(json, tmp.resolve("hidden.json.moved-aside"));
        try (Store s = Store.open(tmp)) {
            assertThat(s.hidden()).isEmpty();
        }
    }

    @Test
    void loadReadsTheStoreWhenItExists() {
        HiddenRegistry.save(tmp, registry(BNX2));
        assertThat(tmp.resolve(Store.FILE)).exists();
        assertThat(HiddenRegistry.load(tmp)).isEqualTo(registry(BNX2));
    }

    @Test
    void loadReadsAnEarlierReleasesHiddenJsonWithoutCreatingTheStore() {
        Fs.write(tmp.resolve("hidden.json"), EARLIER_RELEASE);
        assertThat(HiddenRegistry.load(tmp)).isEqualTo(registry(BNX2, E1000));
        assertThat(tmp.resolve(Store.FILE)).doesNotExist();
        assertThat(tmp.resolve("hidden.json")).exists();
    }

    @Test
    void loadOfNothingIsEmptyAndCreatesNothing() throws Exception {
        Path state = tmp.resolve("state");
        assertThat(HiddenRegistry.load(state)).isEmpty();
        assertThat(state).doesNotExist();
        Files.createDirectories(state);
        assertThat(HiddenRegistry.load(state)).isEmpty();
        assertThat(Store.openIfExists(state)).isNull();
        try (var files = Files.list(state)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void saveImportsHiddenJsonFirstThenWritesTheRegistry() {
        Fs.write(tmp.resolve("hidden.json"), EARLIER_RELEASE);
        HiddenRegistry.save(tmp, registry(BNX2, hidden("0000:0b:00.0", "igb")));
        assertThat(HiddenRegistry.load(tmp)).isEqualTo(registry(BNX2, hidden("0000:0b:00.0", "igb")));
        assertThat(tmp.resolve("hidden.json")).doesNotExist();
        assertThat(tmp.resolve("hidden.json.imported")).exists();
    }
}
