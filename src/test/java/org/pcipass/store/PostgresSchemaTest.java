package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pcipass.store.Db.assignment;
import static org.pcipass.store.Db.hidden;
import static org.pcipass.store.Db.pci;
import static org.pcipass.store.Db.registry;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;
import org.pcipass.testing.Postgres;

/**
 * The store's schema and rows on a real PostgreSQL (the fleet issue, first step): every migration
 * runs there as it runs on SQLite, and every statement of {@link Tables} reads and writes the same
 * records — the portable SQL the store promised. Without CI, skipped when PostgreSQL is not installed.
 */
class PostgresSchemaTest {
    static final Path FILE = Path.of("postgresql");
    private static Postgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    /** A fresh database with every migration applied, in one transaction as the store applies them. */
    private static Connection migrated(String name) throws Exception {
        try (Connection admin = pg.connect(); Statement s = admin.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        Connection c = java.sql.DriverManager.getConnection(pg.url().replace("/postgres?", "/" + name + "?"));
        assertThat(Schema.version(c)).isZero();
        c.setAutoCommit(false);
        Schema.migrate(c, 0, Instant.parse("2026-11-30T12:00:00Z"));
        c.commit();
        c.setAutoCommit(true);
        return c;
    }

    private static List<String> column(Connection c, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    @Test
    void everyMigrationRunsOnPostgresqlAndMakesTheSameTables() throws Exception {
        try (Connection c = migrated("schema")) {
            assertThat(Schema.version(c)).isEqualTo(Schema.LATEST);
            assertThat(column(c, "SELECT version FROM schema_version ORDER BY version")).containsExactly("1", "2", "3");
            assertThat(column(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                    + " ORDER BY table_name")).containsExactly("assignments", "audit", "fleet_claim_devices", "fleet_claims",
                    "fleet_devices", "fleet_hosts",
                    "hidden", "hotplug_log", "meta", "schema_version");
            assertThat(column(c, "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit'"
                    + " ORDER BY ordinal_position")).containsExactly("id", "at", "actor", "via", "address", "action",
                    "devices", "guest", "result", "exit_code", "error", "command", "plan");
            // migrating again from the version found changes nothing
            c.setAutoCommit(false);
            Schema.migrate(c, Schema.version(c), Instant.now());
            c.commit();
            assertThat(column(c, "SELECT COUNT(*) FROM schema_version")).containsExactly("3");
        }
    }

    @Test
    void everyStatementOfTheStoreReadsBackWhatItWrote() throws Exception {
        try (Connection c = migrated("rows")) {
            c.setAutoCommit(false);
            Tables.replaceHidden(c, registry(hidden("0000:09:00.0", "nouveau"), hidden("0000:0a:00.0", null)));
            Tables.put(c, assignment("0000:09:00.0", "win10"));
            Tables.put(c, assignment("0000:09:00.0", "win10")); // the same guest again: an update
            assertThatThrownBy(() -> Tables.put(c, assignment("0000:09:00.0", "linux-vm")))
                    .isInstanceOf(PcipassException.Refused.class).hasMessageStartingWith(
                            "0000:09:00.0 is already assigned to guest win10");
            Instant at = Instant.parse("2026-11-30T12:00:00Z");
            HotplugEvent e = new HotplugEvent(pci("0000:09:00.0"), "attach", "win10", at);
            Tables.appendHotplug(c, e);
            Tables.appendHotplug(c, e); // logged once
            Tables.putMeta(c, "k", "v1");
            Tables.putMeta(c, "k", "v2");
            long first = Tables.appendAudit(c, new AuditEntry(0, at, "ops", "api", "10.0.0.5", "hide",
                    List.of(pci("0000:09:00.0"), pci("0000:0a:00.0")), null, "done", 0, null, "pcipass hide", "[]"));
            long second = Tables.appendAudit(c, new AuditEntry(0, at.plusSeconds(60), "root", "cli", null, "attach",
                    List.of(pci("0000:0b:00.0")), "win10", "refused", 3, "no", "pcipass attach", null));
            c.commit();

            assertThat(Tables.hidden(c, FILE)).containsOnlyKeys(pci("0000:09:00.0"), pci("0000:0a:00.0"));
            assertThat(Tables.hidden(c, FILE).get(pci("0000:09:00.0"))).isEqualTo(hidden("0000:09:00.0", "nouveau"));
            assertThat(Tables.assignments(c, FILE).get(pci("0000:09:00.0")).guest()).isEqualTo("win10");
            assertThat(Tables.hotplugs(c, pci("0000:09:00.0"), at)).containsExactly(at);
            assertThat(Tables.hotplugCounts(c, FILE, at)).containsEntry(pci("0000:09:00.0"), 1);
            assertThat(Tables.meta(c, "k")).isEqualTo("v2");
            assertThat(List.of(first, second)).containsExactly(1L, 2L);
            List<AuditEntry> all = Tables.audit(c, FILE, null, null, 10);
            assertThat(all).extracting(AuditEntry::id).containsExactly(2L, 1L);
            assertThat(all.get(1).devices()).containsExactly(pci("0000:09:00.0"), pci("0000:0a:00.0"));
            assertThat(all.get(1).address()).isEqualTo("10.0.0.5");
            assertThat(all.get(0).address()).isNull();
            assertThat(Tables.audit(c, FILE, pci("0000:0a:00.0"), null, 10)).extracting(AuditEntry::id)
                    .containsExactly(1L);
            assertThat(Tables.audit(c, FILE, null, at.plusSeconds(1), 10)).extracting(AuditEntry::id)
                    .containsExactly(2L);
            assertThat(Tables.auditCounts(c)).containsEntry("done", 1L).containsEntry("refused", 1L);
        }
    }
}
