package org.pcipass.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/** Test helpers: a store file read or edited behind the store's back with plain SQL, and sample records. */
public final class Db {
    private Db() {}

    /** Every row {@code sql} selects, each row's columns joined by "|". */
    public static List<String> query(Path db, String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            int n = r.getMetaData().getColumnCount();
            while (r.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    b.append(i > 1 ? "|" : "").append(r.getString(i));
                }
                out.add(b.toString());
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /**
     * Asserts that a refused or failed change left only its audit rows in the store: no hidden device,
     * no assignment, and audit rows {@code "ACTION RESULT EXIT"} exactly as given, oldest first.
     */
    public static void onlyAudited(Path stateDir, String... rows) {
        Path db = stateDir.resolve(Store.FILE);
        org.assertj.core.api.Assertions.assertThat(query(db, "SELECT address FROM hidden")).as("hidden rows").isEmpty();
        org.assertj.core.api.Assertions.assertThat(query(db, "SELECT device FROM assignments")).as("assignments")
                .isEmpty();
        org.assertj.core.api.Assertions.assertThat(query(db, "SELECT action || ' ' || result || ' ' || exit_code"
                + " FROM audit ORDER BY id")).as("audit rows").containsExactly(rows);
    }

    /** The audit rows as {@code "ACTION RESULT EXIT"}, oldest first; none when there is no store. */
    public static List<String> auditRows(Path stateDir) {
        Path db = stateDir.resolve(Store.FILE);
        return java.nio.file.Files.exists(db) ? query(db, "SELECT action || ' ' || result || ' ' || exit_code FROM audit"
                + " ORDER BY id") : List.of();
    }

    static void execute(Path db, String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    static PciAddress pci(String a) {
        return PciAddress.parse(a);
    }

    static HiddenDevice hidden(String address, String original) {
        return new HiddenDevice(pci(address), "vfio-pci", original, original, "10de", "1b80", false, false);
    }

    static Map<PciAddress, HiddenDevice> registry(HiddenDevice... hs) {
        Map<PciAddress, HiddenDevice> m = new TreeMap<>();
        for (HiddenDevice h : hs) {
            m.put(h.address(), h);
        }
        return m;
    }

    static Assignment assignment(String device, String guest) {
        return new Assignment(pci(device), guest, "libvirt", "qemu:///system", Mode.LIVE_CONFIG, Assignment.ATTACHED,
                Instant.parse("2025-03-01T10:15:30.123456Z"));
    }
}
