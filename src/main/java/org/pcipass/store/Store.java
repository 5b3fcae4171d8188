package org.pcipass.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/**
 * pcipass's records in {@code STATE/pcipass.db} (SQLite, through JDBC): the hidden-device registry,
 * the assignments of devices to guests (one guest per device, enforced by the table's key), the
 * hotplug log, and the audit log. Opening it migrates its schema and imports a
 * {@code STATE/hidden.json} of earlier releases once (the file is then renamed
 * {@code hidden.json.imported}, kept for people; a hidden.json that appears later is ignored).
 * Every {@link #commit} also rewrites {@link Owners STATE/owners}, which {@code list} reads instead.
 *
 * <pre>
 * try (Store s = Store.open(stateDir)) {
 *     s.commit(plan.hiddenAfter(), List.of(new AssignmentChange.Put(a)), List.of(event));
 * }
 * </pre>
 */
public final class Store implements AutoCloseable {
    public static final String FILE = "pcipass.db";
    /** The meta row that says STATE/hidden.json was imported (or that there was none to import). */
    static final String IMPORT_META = "hidden.json import";
    static final String IMPORTED_SUFFIX = ".imported";

    private final Path stateDir;
    private final Path file;
    private final Connection c;
    private final boolean writable;

    private Store(Path stateDir, Connection c, boolean writable) {
        this.stateDir = stateDir;
        this.file = stateDir.resolve(FILE);
        this.c = c;
        this.writable = writable;
    }

    /** Opens the store, creating the state dir and the file when missing; migrates and imports as needed. */
    public static Store open(Path stateDir) {
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new PcipassException("cannot create the state dir " + stateDir + " (" + SqliteFile.firstLine(e)
                    + "); give a state dir on a writable filesystem");
        }
        return start(stateDir, SqliteFile.Access.CREATE);
    }

    /**
     * The store when {@code STATE/pcipass.db} exists, else null: read-only commands never create it.
     * A file this user cannot write is opened read-only (commit then fails, naming it).
     */
    public static Store openIfExists(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        if (!Files.exists(file)) {
            return null;
        }
        boolean canWrite = Files.isWritable(file) && Files.isWritable(stateDir);
        return start(stateDir, canWrite ? SqliteFile.Access.WRITE : SqliteFile.Access.READ);
    }

    private static Store start(Path stateDir, SqliteFile.Access access) {
        Connection c = SqliteFile.connect(stateDir, stateDir.resolve(FILE), access);
        Store s = new Store(stateDir, c, access != SqliteFile.Access.READ);
        try {
            s.prepare();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The hidden-device registry, in address order. */
    public Map<PciAddress, HiddenDevice> hidden() {
        return sql("reading the hidden devices", () -> Tables.hidden(c, file));
    }

    /** pcipass's assignments by device, in address order. */
    public Map<PciAddress, Assignment> assignments() {
        return sql("reading the assignments", () -> Tables.assignments(c, file));
    }

    /** Times of the successful live attaches and detaches of {@code device} at or after {@code from}, ascending. */
    public List<Instant> hotplugs(PciAddress device, Instant from) {
        return sql("reading the hotplug log", () -> Tables.hotplugs(c, device, from));
    }

    /** Appends one row to the audit log (its own transaction); returns the row as stored, numbered. */
    public AuditEntry audit(AuditEntry e) {
        requireWritable();
        long id = transaction("writing the audit log", () -> Tables.appendAudit(c, e));
        return new AuditEntry(id, e.at(), e.actor(), e.via(), e.address(), e.action(), e.devices(), e.guest(), e.result(),
                e.exit(), e.error(), e.command(), e.plan());
    }

    /** The newest {@code limit} audit rows, newest first, naming {@code device} (null: any) since {@code since} (null: ever). */
    public List<AuditEntry> auditLog(PciAddress device, Instant since, int limit) {
        return sql("reading the audit log", () -> Tables.audit(c, file, device, since, limit));
    }

    /** How many audit rows ended each way ({@code done}, {@code refused} …), for the server's metrics. */
    public Map<String, Long> auditCounts() {
        return sql("reading the audit log", () -> Tables.auditCounts(c));
    }

    /** The live attaches and detaches of each device at or after {@code from}, for the server's metrics. */
    public Map<PciAddress, Integer> hotplugCounts(Instant from) {
        return sql("reading the hotplug log", () -> Tables.hotplugCounts(c, file, from));
    }

    /**
     * One transaction: the registry becomes {@code hiddenAfter}; each change applied in order; the
     * hotplug events appended (an event already logged is not logged twice); then the owners file
     * is rewritten, still inside the transaction, so that an owners file that cannot be written
     * leaves the store as it was. Committing the same arguments twice changes nothing the second time.
     *
     * @throws PcipassException.Refused when a {@link AssignmentChange.Put} names a device another guest holds
     *     (nothing is changed)
     */
    public void commit(Map<PciAddress, HiddenDevice> hiddenAfter, List<AssignmentChange> changes,
            List<HotplugEvent> hotplugs) {
        requireWritable();
        begin("recording the change");
        try {
            Map<PciAddress, String> owners = sql("recording the change", () -> {
                Tables.replaceHidden(c, hiddenAfter);
                for (AssignmentChange ch : changes) {
                    if (ch instanceof AssignmentChange.Put p) {
                        Tables.put(c, p.a());
                    } else if (ch instanceof AssignmentChange.Remove r) {
                        Tables.remove(c, r.device());
                    }
                }
                for (HotplugEvent e : hotplugs) {
                    Tables.appendHotplug(c, e);
                }
                return owners(Tables.assignments(c, file));
            });
            Owners.locked(stateDir, () -> {
                Owners.writePcipass(stateDir, owners);
                commitOrRestoreOwners();
                return null;
            });
        } catch (RuntimeException e) {
            rollbackQuietly();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            c.close();
        } catch (SQLException e) {
            // nothing is pending: every transaction was committed or rolled back
        }
    }

    /** Runs under the owners lock, after the owners file was written from the open transaction. */
    private void commitOrRestoreOwners() {
        try {
            sql("committing the change", () -> {
                c.setAutoCommit(true);
                return null;
            });
        } catch (RuntimeException e) {
            rollbackQuietly();
            try {
                Owners.writePcipass(stateDir, committedOwners());
            } catch (RuntimeException again) {
                // the next open compares the file with the store and rewrites it
            }
            throw e;
        }
    }

    /**
     * Brings the schema up to date and imports hidden.json when that is pending; then makes the
     * owners file agree with the store (a crash between the two writes of a commit leaves it ahead).
     */
    private void prepare() {
        int v = sql("reading its schema version", () -> Schema.version(c));
        checkKnown(v);
        Path json = stateDir.resolve(HiddenRegistry.FILE);
        boolean importPending = Files.exists(json)
                && (v == 0 || sql("reading its meta table", () -> Tables.meta(c, IMPORT_META)) == null);
        if (v < Schema.LATEST && !writable) {
            throw new PcipassException("the store " + file + " has schema version " + v + ", this pcipass needs "
                    + Schema.LATEST + ", and this user cannot write it: run 'pcipass recover' as root to upgrade it");
        }
        if (v < Schema.LATEST || importPending && writable) {
            boolean imported = transaction("upgrading its schema", () -> {
                int now = Schema.version(c); // another process may have done it meanwhile
                checkKnown(now);
                Schema.migrate(c, now, Instant.now());
                return importHidden(json);
            });
            if (imported) {
                keepImported(json);
            }
        }
        healOwners();
    }

    private void checkKnown(int version) {
        if (version > Schema.LATEST) {
            throw new PcipassException("the store " + file + " has schema version " + version + ", newer than this"
                    + " pcipass knows (" + Schema.LATEST + "): a newer pcipass wrote it; run that release");
        }
    }

    /** Inside the migration's transaction: hidden.json's records join the registry, once. */
    private boolean importHidden(Path json) throws SQLException {
        if (Tables.meta(c, IMPORT_META) != null) {
            return false;
        }
        Map<PciAddress, HiddenDevice> records = HiddenRegistry.readJson(json);
        if (records == null) {
            Tables.putMeta(c, IMPORT_META, "nothing to import: no " + json + " at " + Instant.now());
            return false;
        }
        Map<PciAddress, HiddenDevice> merged = new TreeMap<>(records);
        merged.putAll(Tables.hidden(c, file)); // a record the store already holds is newer
        Tables.replaceHidden(c, merged);
        Tables.putMeta(c, IMPORT_META, "imported " + records.size() + " devices from " + json + " at " + Instant.now());
        return true;
    }

    /** Renames an imported hidden.json aside, kept for people; a failure only leaves it where it was (never read again). */
    private static void keepImported(Path json) {
        try {
            Files.move(json, json.resolveSibling(json.getFileName() + IMPORTED_SUFFIX),
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            StateFiles.syncDirectory(json.getParent());
        } catch (IOException e) {
            // the store records the import: the file is not read again either way
        }
    }

    private void healOwners() {
        if (!writable) {
            return;
        }
        try {
            if (Owners.saysPcipass(stateDir, committedOwners())) {
                return;
            }
            Owners.locked(stateDir, () -> {
                Owners.writePcipass(stateDir, committedOwners()); // read again under the lock: a commit may have run
                return null;
            });
        } catch (PcipassException e) {
            // a read-only command must not fail for it; the next commit writes the file or says why not
        }
    }

    private Map<PciAddress, String> committedOwners() {
        return owners(assignments());
    }

    private static Map<PciAddress, String> owners(Map<PciAddress, Assignment> assignments) {
        Map<PciAddress, String> out = new TreeMap<>();
        assignments.forEach((d, a) -> out.put(d, a.guest()));
        return out;
    }

    private void requireWritable() {
        if (!writable) {
            throw new PcipassException("cannot write the store " + file + ": this user cannot write it; run pcipass"
                    + " as root");
        }
    }

    private <T> T transaction(String doing, SqlWork<T> work) {
        begin(doing);
        try {
            T t = sql(doing, work);
            sql(doing, () -> {
                c.setAutoCommit(true); // commits: the JDBC way that does not start the next transaction at once
                return null;
            });
            return t;
        } catch (RuntimeException e) {
            rollbackQuietly();
            throw e;
        }
    }

    /** Starts a transaction; SQLite takes the write lock now (BEGIN IMMEDIATE), waiting for another writer. */
    private void begin(String doing) {
        sql(doing, () -> {
            c.setAutoCommit(false);
            return null;
        });
    }

    private void rollbackQuietly() {
        try {
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            } else {
                try (Statement s = c.createStatement()) {
                    s.execute("ROLLBACK"); // a COMMIT that failed leaves its transaction open
                }
            }
        } catch (SQLException e) {
            // no transaction was open, or the connection is gone: nothing was committed either way
        }
    }

    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private <T> T sql(String doing, SqlWork<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw SqliteFile.failure(e, file, doing);
        }
    }
}
