package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.store.Db.hidden;
import static org.pcipass.store.Db.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.testing.ChildPcipass;

/** The store from separate OS processes (StoreMain): two at once, a full disk, a read-only filesystem. */
class StoreProcessesTest {
    static final Duration CHILD = Duration.ofSeconds(90);
    static final String GPU = "0000:09:00.0";

    @TempDir
    Path tmp;

    /**
     * Two processes open the same new store at once (both create and migrate it), wait at a barrier,
     * then both assign the same device: one wins, the other is refused by the table's key (exit 3).
     */
    @Test
    void twoProcessesAssigningOneDeviceAtOnceGetOneAssignment() throws Exception {
        for (int round = 0; round < 2; round++) {
            Path state = tmp.resolve("state" + round);
            Path go = tmp.resolve("go" + round);
            List<ChildPcipass> children = new ArrayList<>();
            for (String guest : List.of("win10", "linux-vm")) {
                children.add(ChildPcipass.startMain(StoreMain.class, Map.of(), List.of("put", state.toString(), GPU,
                        guest, tmp.resolve("ready-" + guest + round).toString(), go.toString())));
            }
            try {
                for (String guest : List.of("win10", "linux-vm")) {
                    awaitFile(tmp.resolve("ready-" + guest + round), children);
                }
                Files.createFile(go);
                List<ChildPcipass.Outcome> out = new ArrayList<>();
                for (ChildPcipass c : children) {
                    out.add(c.waitFor(CHILD));
                }
                assertThat(out).extracting(ChildPcipass.Outcome::exitCode).as("%s", out).containsExactlyInAnyOrder(0, 3);
                ChildPcipass.Outcome won = out.get(0).exitCode() == 0 ? out.get(0) : out.get(1);
                ChildPcipass.Outcome lost = out.get(0).exitCode() == 0 ? out.get(1) : out.get(0);
                String winner = won.stdout().strip().replace("assigned " + GPU + " to ", "");
                assertThat(winner).isIn("win10", "linux-vm");
                assertThat(lost.stderr()).isEqualTo("pcipass: " + GPU + " is already assigned to guest " + winner
                        + "; detach it first: pcipass detach " + winner + " " + GPU + "\n");
                assertThat(Db.query(state.resolve(Store.FILE), "SELECT device, guest FROM assignments"))
                        .containsExactly(GPU + "|" + winner);
                assertThat(Db.query(state.resolve(Store.FILE), "SELECT MAX(version) FROM schema_version")).containsExactly(
                        String.valueOf(Schema.LATEST));
                assertThat(Owners.read(state)).containsOnlyKeys(Db.pci(GPU));
            } finally {
                children.forEach(ChildPcipass::close);
            }
        }
    }

    /**
     * A real full disk (ENOSPC): the state dir is a 3 MB tmpfs in the child's own mount namespace,
     * with room for SQLite's native library and a small registry, not for 40,000 records. One line
     * naming the file and the fix; the store is left as it was and takes the next commit.
     */
    @Test
    void aFullDiskIsOneLineAndLeavesTheStoreAsItWas() throws Exception {
        Path state = Files.createDirectories(tmp.resolve("state"));
        List<String> smallDisk = List.of("unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=3m tmpfs '" + state
                + "' && exec \"$@\"", "sh");
        ChildPcipass.Outcome o = run(smallDisk, "fill", state.toString(), "40000");
        assertThat(o.exitCode()).as(o.stdout() + o.stderr()).isZero();
        assertThat(o.stderr()).startsWith("pcipass: cannot write the store " + state.resolve(Store.FILE)
                + ": the disk is full (").endsWith("); free space on its filesystem, then run pcipass again\n")
                .hasLineCount(1);
        assertThat(o.stdout()).isEqualTo("after: [" + GPU + "]; journal left: false\nsaved again: []\n");
    }

    /**
     * A file-size limit ({@code prlimit --fsize}: room for SQLite's native library, not for the
     * registry): the kernel's EFBIG is an I/O error to SQLite. One line; the store is left as it was.
     */
    @Test
    void aFileSizeLimitIsOneLineAndLeavesTheStoreAsItWas() {
        HiddenRegistry.save(tmp, registry(hidden(GPU, "nouveau")));
        ChildPcipass.Outcome o = run(List.of("prlimit", "--fsize=" + 2_000_000, "--"), "hide", tmp.toString(), "40000");
        assertThat(o.exitCode()).as(o.stdout() + o.stderr()).isEqualTo(1);
        assertThat(o.stderr()).startsWith("pcipass: cannot read or write the store " + tmp.resolve(Store.FILE)
                + ": input/output error (").endsWith("); check the disk and its filesystem (dmesg) and this process's"
                + " file-size limit (ulimit -f)\n").hasLineCount(1);
        assertThat(HiddenRegistry.load(tmp)).isEqualTo(registry(hidden(GPU, "nouveau")));
        assertThat(tmp.resolve(Store.FILE + "-journal")).doesNotExist();
        HiddenRegistry.save(tmp, registry());
        assertThat(HiddenRegistry.load(tmp)).isEmpty();
    }

    /**
     * A process killed (SIGKILL) at random points while it commits one change after another: the
     * store holds one whole commit every time (registry, assignments and hotplug log agree), and
     * once opened the owners file agrees with it, even when the kill fell between the owners file
     * and the store's commit.
     */
    @Test
    void aProcessKilledWhileCommittingLeavesOneWholeCommit() throws Exception {
        java.util.Random random = new java.util.Random(7);
        for (int kill = 0; kill < 6; kill++) {
            Path state = tmp.resolve("state" + kill);
            try (ChildPcipass p = ChildPcipass.startMain(StoreMain.class, Map.of(), List.of("churn", state.toString()))) {
                assertThat(p.awaitOutput("committed 2\n", CHILD)).as(p.stderr()).isTrue();
                Thread.sleep(random.nextInt(60));
                p.kill();
            }
            Map<org.pcipass.pci.PciAddress, org.pcipass.guest.Assignment> assigned;
            try (Store s = Store.openIfExists(state)) {
                assigned = s.assignments();
                assertThat(assigned).isNotEmpty();
                String guest = assigned.values().iterator().next().guest();
                int i = Integer.parseInt(guest.substring(1));
                assertThat(assigned.values()).as("one commit's guest").allMatch(a -> a.guest().equals(guest));
                assertThat(assigned.keySet()).as("commit %d's devices", i).isEqualTo(s.hidden().keySet());
                assertThat(assigned).hasSize(1 + i % 50);
                assertThat(s.hotplugs(StoreMain.device(0), java.time.Instant.EPOCH)).last()
                        .isEqualTo(java.time.Instant.ofEpochMilli(i));
            }
            Map<org.pcipass.pci.PciAddress, Owners.Owner> owners = Owners.read(state);
            assertThat(owners.keySet()).isEqualTo(assigned.keySet());
            assertThat(owners.values()).allMatch(o -> o.guest().equals(assigned.values().iterator().next().guest()));
            HiddenRegistry.save(state, registry());
            assertThat(HiddenRegistry.load(state)).as("the store takes the next commit").isEmpty();
        }
    }

    /** A state dir on a read-only filesystem (a read-only bind mount in the child's own mount namespace). */
    @Test
    void aReadOnlyFilesystemIsReadAndRefusesWritesInOneLine() throws Exception {
        Path state = Files.createDirectories(tmp.resolve("state"));
        HiddenRegistry.save(state, registry(hidden(GPU, "nouveau")));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        List<String> readOnly = readOnlyMounts(state, empty);

        ChildPcipass.Outcome load = run(readOnly, "load", state.toString());
        assertThat(load.exitCode()).as(load.stderr()).isZero();
        assertThat(load.stdout()).isEqualTo("[" + GPU + "]\n");

        ChildPcipass.Outcome put = run(readOnly, "put", state.toString(), GPU, "win10");
        assertThat(put.exitCode()).as(put.stdout()).isEqualTo(1);
        assertThat(put.stderr()).startsWith("pcipass: cannot write the store " + state.resolve(Store.FILE)
                + ": it is read-only here (").endsWith("); run pcipass as root, with a state dir on a writable"
                + " filesystem\n").hasLineCount(1);

        ChildPcipass.Outcome create = run(readOnly, "put", empty.toString(), GPU, "win10");
        assertThat(create.exitCode()).as(create.stdout()).isEqualTo(1);
        assertThat(create.stderr()).startsWith("pcipass: cannot open the store " + empty.resolve(Store.FILE) + " (")
                .endsWith("); check that the state dir exists and this user can read and write it\n").hasLineCount(1);
        assertThat(HiddenRegistry.load(state)).containsOnlyKeys(Db.pci(GPU));
    }

    private ChildPcipass.Outcome run(List<String> launcher, String... args) {
        try (ChildPcipass p = ChildPcipass.startUnder(launcher, StoreMain.class, Map.of(), List.of(args))) {
            return p.waitFor(CHILD);
        }
    }

    /** A launcher that runs the command in a new mount namespace where each of {@code dirs} is mounted read-only. */
    static List<String> readOnlyMounts(Path... dirs) {
        StringBuilder sh = new StringBuilder();
        for (Path d : dirs) {
            sh.append("mount -o bind,ro '").append(d).append("' '").append(d).append("' && ");
        }
        return List.of("unshare", "-m", "sh", "-c", sh + "exec \"$@\"", "sh");
    }

    static void awaitFile(Path file, List<ChildPcipass> children) throws InterruptedException {
        long end = System.nanoTime() + CHILD.toNanos();
        while (!Files.exists(file)) {
            for (ChildPcipass c : children) {
                if (!c.isAlive()) {
                    ChildPcipass.Outcome o = c.waitFor(Duration.ofSeconds(5));
                    throw new AssertionError("a child ended before the barrier: " + o);
                }
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("no " + file + " after " + CHILD);
            }
            Thread.sleep(5);
        }
    }
}
