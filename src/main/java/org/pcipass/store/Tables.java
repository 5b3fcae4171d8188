package org.pcipass.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/** The rows of the store's tables as pcipass's records, in portable SQL (Schema's tables). */
final class Tables {
    private static final String HIDDEN_COLUMNS =
            "address, stub, original_driver, original_module, vendor_id, device_id, persisted, adopted";
    private static final String ASSIGNMENT_COLUMNS = "device, guest, backend, connect, mode, state, since";

    private Tables() {}

    static Map<PciAddress, HiddenDevice> hidden(Connection c, Path file) throws SQLException {
        Map<PciAddress, HiddenDevice> out = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + HIDDEN_COLUMNS + " FROM hidden");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                HiddenDevice h = row(file, "hidden", r.getString(1), () -> new HiddenDevice(PciAddress.parse(r.getString(1)),
                        r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                        r.getInt(7) != 0, r.getInt(8) != 0));
                out.put(h.address(), h);
            }
        }
        return out;
    }

    /** The registry becomes exactly {@code after}. */
    static void replaceHidden(Connection c, Map<PciAddress, HiddenDevice> after) throws SQLException {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM hidden")) {
            del.executeUpdate();
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO hidden (" + HIDDEN_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (HiddenDevice h : new TreeMap<>(after).values()) {
                p.setString(1, h.address().toString());
                p.setString(2, h.stub());
                text(p, 3, h.originalDriver());
                text(p, 4, h.originalModule());
                text(p, 5, h.vendorId());
                text(p, 6, h.deviceId());
                p.setInt(7, h.persisted() ? 1 : 0);
                p.setInt(8, h.adopted() ? 1 : 0);
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    static Map<PciAddress, Assignment> assignments(Connection c, Path file) throws SQLException {
        Map<PciAddress, Assignment> out = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + ASSIGNMENT_COLUMNS + " FROM assignments");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                Assignment a = row(file, "assignments", r.getString(1), () -> new Assignment(PciAddress.parse(r.getString(1)),
                        r.getString(2), r.getString(3), r.getString(4), Mode.parse(r.getString(5)), r.getString(6),
                        Instant.parse(r.getString(7))));
                out.put(a.device(), a);
            }
        }
        return out;
    }

    /**
     * Inserts the assignment and lets the primary key decide: a device already in the table is
     * updated when it is the same guest's, refused when it is another's. The insert runs inside a
     * savepoint, so that its failure leaves the transaction usable (PostgreSQL aborts it otherwise).
     */
    static void put(Connection c, Assignment a) throws SQLException {
        Savepoint sp = c.setSavepoint();
        try (PreparedStatement p = c.prepareStatement("INSERT INTO assignments (" + ASSIGNMENT_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, a.device().toString());
            p.setString(2, a.guest());
            p.setString(3, a.backend());
            text(p, 4, a.connect());
            p.setString(5, a.mode().text());
            p.setString(6, a.state());
            p.setString(7, a.since().toString());
            p.executeUpdate();
            c.releaseSavepoint(sp);
            return;
        } catch (SQLException e) {
            c.rollback(sp);
            if (!SqliteFile.isConstraintViolation(e)) {
                throw e;
            }
            String holder = guestOf(c, a.device());
            if (holder == null) {
                throw e; // another constraint than the device's key
            }
            if (!holder.equals(a.guest())) {
                throw new PcipassException.Refused(a.device() + " is already assigned to guest " + holder
                        + "; detach it first: pcipass detach " + holder + " " + a.device());
            }
        }
        try (PreparedStatement p = c.prepareStatement("UPDATE assignments SET backend = ?, connect = ?, mode = ?,"
                + " state = ?, since = ? WHERE device = ? AND guest = ?")) {
            p.setString(1, a.backend());
            text(p, 2, a.connect());
            p.setString(3, a.mode().text());
            p.setString(4, a.state());
            p.setString(5, a.since().toString());
            p.setString(6, a.device().toString());
            p.setString(7, a.guest());
            p.executeUpdate();
        }
    }

    static void remove(Connection c, PciAddress device) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM assignments WHERE device = ?")) {
            p.setString(1, device.toString());
            p.executeUpdate();
        }
    }

    private static String guestOf(Connection c, PciAddress device) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT guest FROM assignments WHERE device = ?")) {
            p.setString(1, device.toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    /** Appends {@code e} unless the log has it already (the same plan committed again after a crash). */
    static void appendHotplug(Connection c, HotplugEvent e) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO hotplug_log (device, op, guest, at)"
                + " SELECT ?, ?, ?, ? WHERE NOT EXISTS"
                + " (SELECT 1 FROM hotplug_log WHERE device = ? AND at = ? AND op = ?)")) {
            p.setString(1, e.device().toString());
            p.setString(2, e.op());
            p.setString(3, e.guest());
            p.setLong(4, e.at().toEpochMilli());
            p.setString(5, e.device().toString());
            p.setLong(6, e.at().toEpochMilli());
            p.setString(7, e.op());
            p.executeUpdate();
        }
    }

    static List<Instant> hotplugs(Connection c, PciAddress device, Instant from) throws SQLException {
        List<Instant> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT at FROM hotplug_log WHERE device = ? AND at >= ? ORDER BY at")) {
            p.setString(1, device.toString());
            p.setLong(2, from.toEpochMilli());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(Instant.ofEpochMilli(r.getLong(1)));
                }
            }
        }
        return out;
    }

    private static final String AUDIT_COLUMNS =
            "id, at, actor, via, address, action, devices, guest, result, exit_code, error, command, plan";

    /** Appends {@code e} numbered MAX(id) + 1 in the same statement (atomic in SQLite); returns its id. */
    static long appendAudit(Connection c, AuditEntry e) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO audit (" + AUDIT_COLUMNS + ")"
                + " SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM audit")) {
            p.setLong(1, e.at().toEpochMilli());
            p.setString(2, e.actor());
            p.setString(3, e.via());
            text(p, 4, e.address());
            p.setString(5, e.action());
            p.setString(6, String.join(" ", e.devices().stream().map(PciAddress::toString).toList()));
            text(p, 7, e.guest());
            p.setString(8, e.result());
            p.setInt(9, e.exit());
            text(p, 10, e.error());
            text(p, 11, e.command());
            text(p, 12, e.plan());
            p.executeUpdate();
        }
        try (PreparedStatement p = c.prepareStatement("SELECT MAX(id) FROM audit"); ResultSet r = p.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    /**
     * The newest {@code limit} rows, newest first; only those naming {@code device} (null: all) and
     * written at or after {@code since} (null: all).
     */
    static List<AuditEntry> audit(Connection c, Path file, PciAddress device, Instant since, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + AUDIT_COLUMNS + " FROM audit WHERE 1 = 1");
        if (device != null) {
            sql.append(" AND ' ' || devices || ' ' LIKE ?");
        }
        if (since != null) {
            sql.append(" AND at >= ?");
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        List<AuditEntry> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            int i = 1;
            if (device != null) {
                p.setString(i++, "% " + device + " %"); // an address has no LIKE wildcards (% or _)
            }
            if (since != null) {
                p.setLong(i++, since.toEpochMilli());
            }
            p.setInt(i, limit);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(row(file, "audit", r.getString(1), () -> {
                        String devices = r.getString(7);
                        List<PciAddress> list = new ArrayList<>();
                        for (String d : devices.isEmpty() ? new String[0] : devices.split(" ")) {
                            list.add(PciAddress.parse(d));
                        }
                        return new AuditEntry(r.getLong(1), Instant.ofEpochMilli(r.getLong(2)), r.getString(3),
                                r.getString(4), r.getString(5), r.getString(6), list, r.getString(8), r.getString(9),
                                r.getInt(10), r.getString(11), r.getString(12), r.getString(13));
                    }));
                }
            }
        }
        return out;
    }

    /** How many audit rows end each way: result → count. */
    static Map<String, Long> auditCounts(Connection c) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT result, COUNT(*) FROM audit GROUP BY result");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.put(r.getString(1), r.getLong(2));
            }
        }
        return out;
    }

    /** Live attaches and detaches per device at or after {@code from}. */
    static Map<PciAddress, Integer> hotplugCounts(Connection c, Path file, Instant from) throws SQLException {
        Map<PciAddress, Integer> out = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT device, COUNT(*) FROM hotplug_log WHERE at >= ? GROUP BY device")) {
            p.setLong(1, from.toEpochMilli());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(row(file, "hotplug_log", r.getString(1), () -> PciAddress.parse(r.getString(1))),
                            r.getInt(2));
                }
            }
        }
        return out;
    }

    static String meta(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT value FROM meta WHERE name = ?")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    static void putMeta(Connection c, String name, String value) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE meta SET value = ? WHERE name = ?")) {
            p.setString(1, value);
            p.setString(2, name);
            if (p.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO meta (name, value) VALUES (?, ?)")) {
            p.setString(1, name);
            p.setString(2, value);
            p.executeUpdate();
        }
    }

    private static void text(PreparedStatement p, int i, String v) throws SQLException {
        if (v == null) {
            p.setNull(i, Types.VARCHAR);
        } else {
            p.setString(i, v);
        }
    }

    private interface RowReader<T> {
        T read() throws SQLException;
    }

    /** A row pcipass cannot read back (edited by hand, written by a broken release) is named, not a stack trace. */
    private static <T> T row(Path file, String table, String key, RowReader<T> reader)
            throws SQLException {
        try {
            return reader.read();
        } catch (IllegalArgumentException | NullPointerException | java.time.DateTimeException e) {
            throw new PcipassException("the store " + file + " has a row in its " + table + " table that pcipass cannot"
                    + " read (" + key + ": " + SqliteFile.firstLine(e) + "); delete that row, or restore the store"
                    + " from a backup");
        }
    }
}
