package org.pcipass.store;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

/**
 * The store's schema as an ordered list of migrations, each a few portable SQL statements (they run
 * on SQLite today and on PostgreSQL with fleets: no AUTOINCREMENT, no INSERT OR REPLACE, no date
 * functions; instants are ISO-8601 text where they are only shown, epoch milliseconds as BIGINT
 * where SQL compares them). {@code schema_version} holds one row per migration applied; migration N
 * is {@code MIGRATIONS.get(N - 1)}. Append new migrations; never edit one that has shipped.
 */
final class Schema {
    static final String VERSION_TABLE = "schema_version";

    static final List<List<String>> MIGRATIONS = List.of(
            // 1: the registry, the assignments, the hotplug log
            List.of(
            // name/value pairs about the store itself, e.g. when STATE/hidden.json was imported
            """
            CREATE TABLE meta (
                name  VARCHAR(64)   NOT NULL PRIMARY KEY,
                value VARCHAR(1000) NOT NULL
            )""",
            // the hidden-device registry: one row per HiddenDevice
            """
            CREATE TABLE hidden (
                address         VARCHAR(32)  NOT NULL PRIMARY KEY,
                stub            VARCHAR(64)  NOT NULL,
                original_driver VARCHAR(255),
                original_module VARCHAR(255),
                vendor_id       VARCHAR(8),
                device_id       VARCHAR(8),
                persisted       INTEGER      NOT NULL,
                adopted         INTEGER      NOT NULL
            )""",
            // one guest per device: the primary key is the backstop behind the planner's check
            """
            CREATE TABLE assignments (
                device  VARCHAR(32)   NOT NULL PRIMARY KEY,
                guest   VARCHAR(64)   NOT NULL,
                backend VARCHAR(16)   NOT NULL,
                connect VARCHAR(1024),
                mode    VARCHAR(16)   NOT NULL,
                state   VARCHAR(32)   NOT NULL,
                since   VARCHAR(40)   NOT NULL
            )""",
            // the hotplug guard's log; the key (device, at, op) is also its index for "device since T"
            """
            CREATE TABLE hotplug_log (
                device VARCHAR(32) NOT NULL,
                op     VARCHAR(8)  NOT NULL,
                guest  VARCHAR(64) NOT NULL,
                at     BIGINT      NOT NULL,
                PRIMARY KEY (device, at, op)
            )""",
            // placeholder for the HTTP issue's audit log
            """
            CREATE TABLE audit_log (
                at     BIGINT        NOT NULL,
                actor  VARCHAR(255)  NOT NULL,
                action VARCHAR(64)   NOT NULL,
                detail VARCHAR(4000)
            )""",
            "CREATE INDEX audit_log_at ON audit_log (at)"),
            // 2: the audit log (issue 12): one row per change and per refused change, through the CLI or the
            // API; id is MAX(id) + 1 taken in the INSERT itself (no AUTOINCREMENT); devices are addresses
            // separated by single spaces; plan is the plan's steps as JSON. Migration 1's placeholder goes.
            List.of("""
            CREATE TABLE audit (
                id        BIGINT        NOT NULL PRIMARY KEY,
                at        BIGINT        NOT NULL,
                actor     VARCHAR(255)  NOT NULL,
                via       VARCHAR(16)   NOT NULL,
                address   VARCHAR(64),
                action    VARCHAR(32)   NOT NULL,
                devices   TEXT          NOT NULL,
                guest     VARCHAR(64),
                result    VARCHAR(32)   NOT NULL,
                exit_code INTEGER       NOT NULL,
                error     TEXT,
                command   TEXT,
                plan      TEXT
            )""",
            "CREATE INDEX audit_at ON audit (at)",
            "DROP TABLE audit_log"),
            // 3: the fleet (issue 13), used on PostgreSQL only (a single host's SQLite file holds them empty).
            // One row per host an agent publishes: snapshot counts its publishes; published and heartbeat are
            // the database server's clock in epoch ms (one clock for the fleet); numa_cells is JSON
            // [{"id","socket","cpus","memory_mb"}]; agent names the pcipass that publishes it
            List.of("""
            CREATE TABLE fleet_hosts (
                name       VARCHAR(255) NOT NULL PRIMARY KEY,
                snapshot   BIGINT       NOT NULL,
                published  BIGINT       NOT NULL,
                heartbeat  BIGINT       NOT NULL,
                interval_s INTEGER      NOT NULL,
                numa_cells TEXT         NOT NULL,
                agent      TEXT
            )""",
            // the host's PCI functions of its last snapshot, replaced whole by each publish; dev_type is Nova's
            // (type-PCI, type-PF, type-VF), parent_addr a VF's PF; tags is the JSON object of the Nova
            // device_spec tags the host offers the device with, NULL when it does not offer it; position is
            // the device's place in the snapshot (address order)
            """
            CREATE TABLE fleet_devices (
                host        VARCHAR(255) NOT NULL,
                address     VARCHAR(32)  NOT NULL,
                vendor_id   VARCHAR(8),
                product_id  VARCHAR(8),
                class       VARCHAR(8),
                dev_type    VARCHAR(8)   NOT NULL,
                numa_node   INTEGER,
                parent_addr VARCHAR(32),
                verdict     VARCHAR(32)  NOT NULL,
                owner       VARCHAR(255),
                driver      VARCHAR(255),
                tags        TEXT,
                position    INTEGER      NOT NULL,
                PRIMARY KEY (host, address),
                FOREIGN KEY (host) REFERENCES fleet_hosts (name)
            )""",
            // a claim holds devices of one host for a guest until attach there consumes it (consumed, epoch ms)
            // or it expires unconsumed; kind 'claim' is the guest's claim, 'evacuation' what an evacuation plan
            // holds on the host it would move the guest to (from_host); request is the alias string asked for,
            // numa_cells the guest's cells ("0,1") or NULL
            """
            CREATE TABLE fleet_claims (
                guest      VARCHAR(64)  NOT NULL,
                kind       VARCHAR(16)  NOT NULL,
                host       VARCHAR(255) NOT NULL,
                request    TEXT         NOT NULL,
                numa_cells VARCHAR(255),
                since      BIGINT       NOT NULL,
                expires    BIGINT       NOT NULL,
                consumed   BIGINT,
                from_host  VARCHAR(255),
                PRIMARY KEY (guest, kind),
                FOREIGN KEY (host) REFERENCES fleet_hosts (name)
            )""",
            // the devices a claim holds, in the order taken; the key is the database's own guarantee that no
            // device is ever held by two claims
            """
            CREATE TABLE fleet_claim_devices (
                host     VARCHAR(255) NOT NULL,
                address  VARCHAR(32)  NOT NULL,
                guest    VARCHAR(64)  NOT NULL,
                kind     VARCHAR(16)  NOT NULL,
                position INTEGER      NOT NULL,
                PRIMARY KEY (host, address),
                FOREIGN KEY (guest, kind) REFERENCES fleet_claims (guest, kind)
            )""",
            "CREATE INDEX fleet_claim_devices_claim ON fleet_claim_devices (guest, kind)"));

    static final int LATEST = MIGRATIONS.size();

    private Schema() {}

    /** The version of the store's schema: 0 for a new (empty) file. */
    static int version(Connection c) throws SQLException {
        if (!hasTable(c, VERSION_TABLE)) {
            return 0;
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT MAX(version) FROM "
                + VERSION_TABLE)) {
            return r.next() ? r.getInt(1) : 0;
        }
    }

    /** Applies migrations {@code from + 1} to {@link #LATEST}, inside the caller's transaction. */
    static void migrate(Connection c, int from, Instant now) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + VERSION_TABLE
                    + " (version INTEGER NOT NULL PRIMARY KEY, applied VARCHAR(40) NOT NULL)");
            for (int v = from + 1; v <= LATEST; v++) {
                for (String sql : MIGRATIONS.get(v - 1)) {
                    s.execute(sql);
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO " + VERSION_TABLE
                        + " (version, applied) VALUES (?, ?)")) {
                    p.setInt(1, v);
                    p.setString(2, now.toString());
                    p.executeUpdate();
                }
            }
        }
    }

    private static boolean hasTable(Connection c, String name) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        try (ResultSet r = md.getTables(null, null, name, null)) {
            return r.next();
        }
    }
}
