package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.store.Db.assignment;
import static org.pcipass.store.Db.hidden;
import static org.pcipass.store.Db.pci;
import static org.pcipass.store.Db.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.pci.PciAddress;
import org.pcipass.store.AssignmentChange.Put;
import org.pcipass.store.AssignmentChange.Remove;
import org.pcipass.store.Owners.Owner;
import org.pcipass.testing.ChildPcipass;
import org.pcipass.testing.Fs;

/** STATE/owners: written with every commit, external lines kept, read tolerantly and without SQLite. */
class OwnersTest {
    static final String HEADER = "# pcipass owners: ADDRESS GUEST pcipass|external, one line per device a guest"
            + " holds; rewritten by pcipass with every change to pcipass.db, read by 'pcipass list'. Do not edit.\n";
    static final String GPU = "0000:09:00.0";
    static final String AUDIO = "0000:09:00.1";
    static final String NIC = "0000:03:00.0";

    @TempDir
    Path tmp;

    private static Owner mine(String guest) {
        return new Owner(guest, false);
    }

    private static Owner theirs(String guest) {
        return new Owner(guest, true);
    }

    @Test
    void aCommitWritesPcipasssAssignmentsInAddressOrder() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10")), new Put(assignment(NIC, "router"))),
                    List.of());
        }
        assertThat(tmp.resolve("owners")).hasContent(HEADER + "0000:03:00.0 router pcipass\n"
                + "0000:09:00.0 win10 pcipass\n");
        assertThat(Owners.read(tmp)).containsExactly(Map.entry(pci(NIC), mine("router")), Map.entry(pci(GPU),
                mine("win10")));
    }

    @Test
    void externalLinesAreKeptAcrossCommitsAndDroppedOnceDevicesArePcipasss() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10"))), List.of());
            Owners.writeExternal(tmp, Map.of(pci(AUDIO), "old-vm", pci(NIC), "router vm", pci(GPU), "stale-view"));
            assertThat(Owners.read(tmp)).containsExactly(Map.entry(pci(NIC), theirs("router vm")),
                    Map.entry(pci(GPU), mine("win10")), Map.entry(pci(AUDIO), theirs("old-vm")));
            s.commit(Map.of(), List.of(new Remove(pci(GPU)), new Put(assignment(AUDIO, "win10"))), List.of());
        }
        assertThat(tmp.resolve("owners")).hasContent(HEADER + "0000:03:00.0 router%20vm external\n"
                + "0000:09:00.1 win10 pcipass\n");
        Owners.writeExternal(tmp, Map.of(pci(GPU), "other-tool-vm"));
        assertThat(Owners.read(tmp)).containsExactly(Map.entry(pci(GPU), theirs("other-tool-vm")),
                Map.entry(pci(AUDIO), mine("win10")));
    }

    @Test
    void anyExternalNameSurvivesAsOneLine() {
        Map<PciAddress, String> odd = new TreeMap<>(Map.of(pci(GPU), "two words\nand a line", pci(AUDIO), "100%",
                pci(NIC), "gäst-ü"));
        Owners.writeExternal(tmp, odd);
        assertThat(tmp.resolve("owners")).hasContent(HEADER + "0000:03:00.0 g%C3%A4st-%C3%BC external\n"
                + "0000:09:00.0 two%20words%0Aand%20a%20line external\n0000:09:00.1 100%25 external\n");
        Map<PciAddress, Owner> back = Owners.read(tmp);
        odd.forEach((d, g) -> assertThat(back.get(d)).isEqualTo(theirs(g)));
    }

    @Test
    void garbledLinesAreSkipped() {
        Fs.write(tmp.resolve("owners"), new byte[] {'0', '0', '0', '0', ':', '0', 'e', ':', '0', '0', '.', '0', ' ',
                (byte) 0xff, (byte) 0xfe, ' ', 'e', 'x', 't', 'e', 'r', 'n', 'a', 'l', '\n'});
        Fs.append(tmp.resolve("owners"), """
                # a comment
                0000:09:00.0 win10 pcipass

                0000:09:00.1 win10
                0000:03:00.0 router external extra
                0000:0a:00.0 vm owned-by-someone
                0000:zz:00.0 vm external
                0000:0b:00.0 bad%2 external
                0000:0b:00.1 bad%G1 external
                0000:0c:00.0 gäst external
                0000:0d:00.0 vm external
                0000:0d:00.0 vm2 pcipass
                0000:0d:00.0 vm3 pcipass
                09:00.0 someone-else external
                """);
        assertThat(Owners.read(tmp)).containsExactly(Map.entry(pci(GPU), mine("win10")),
                Map.entry(pci("0000:0d:00.0"), mine("vm2")));
    }

    @Test
    void readingCreatesNothingAndIsEmptyWithoutAFile() throws Exception {
        Path state = tmp.resolve("state");
        assertThat(Owners.read(state)).isEmpty();
        assertThat(state).doesNotExist();
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertThat(Owners.read(file)).isEmpty();
        Owners.writeExternal(state, Map.of(pci(GPU), "vm"));
        assertThat(state).as("writeExternal does not create the state dir").doesNotExist();
    }

    /** A crash between the owners file and the store's commit leaves the file ahead: the next open puts it right. */
    @Test
    void openingTheStoreRewritesAnOwnersFileThatDisagreesWithIt() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10"))), List.of());
        }
        Owners.writeExternal(tmp, Map.of(pci(NIC), "router"));
        Fs.write(tmp.resolve("owners"), HEADER + "0000:03:00.0 router external\n0000:09:00.0 linux-vm pcipass\n"
                + "0000:09:00.1 linux-vm pcipass\n");
        Store.openIfExists(tmp).close();
        assertThat(tmp.resolve("owners")).hasContent(HEADER + "0000:03:00.0 router external\n"
                + "0000:09:00.0 win10 pcipass\n");
    }

    /**
     * The owners file is written inside the store's transaction: when it cannot be written (here its
     * temporary file is a link to /dev/full, ENOSPC), the store is left as it was.
     */
    @Test
    void anOwnersFileThatCannotBeWrittenLeavesTheStoreAsItWas() throws Exception {
        try (Store s = Store.open(tmp)) {
            s.commit(registry(hidden(GPU, "nouveau")), List.of(new Put(assignment(GPU, "win10"))), List.of());
            Path full = Files.createSymbolicLink(tmp.resolve(".owners.tmp"), Path.of("/dev/full"));
            assertThatThrownBy(() -> s.commit(registry(), List.of(new Remove(pci(GPU))), List.of()))
                    .isExactlyInstanceOf(PcipassException.class)
                    .hasMessage("cannot write " + tmp.resolve("owners") + ": No space left on device");
            assertThat(s.hidden()).containsOnlyKeys(pci(GPU));
            assertThat(s.assignments()).containsOnlyKeys(pci(GPU));
            Files.delete(full);
            s.commit(registry(), List.of(new Remove(pci(GPU))), List.of());
            assertThat(s.assignments()).isEmpty();
        }
        assertThat(Owners.read(tmp)).isEmpty();
    }

    /** list reads the owners file: that must not load the JDBC driver (start-up time), whatever the store holds. */
    @Test
    void readingTheOwnersLoadsNoJdbcClass() {
        try (Store s = Store.open(tmp)) {
            s.commit(Map.of(), List.of(new Put(assignment(GPU, "win10"))), List.of());
        }
        ChildPcipass.Outcome o;
        try (ChildPcipass p = ChildPcipass.startMain(StoreMain.class, Map.of("JAVA_TOOL_OPTIONS", "-verbose:class"),
                List.of("owners", tmp.toString()))) {
            o = p.waitFor(Duration.ofSeconds(60));
        }
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        assertThat(o.stdout()).contains("{0000:09:00.0=Owner[guest=win10, external=false]}")
                .contains("org.pcipass.store.Owners ").doesNotContain("org.sqlite").doesNotContain("java.sql.")
                .doesNotContain("org.pcipass.store.Store ");
    }
}
