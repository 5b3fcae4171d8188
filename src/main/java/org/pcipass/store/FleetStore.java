package org.pcipass.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.pcipass.PcipassException;

/**
 * The fleet's shared store on PostgreSQL: the hosts the agents publish ({@code fleet_hosts},
 * {@code fleet_devices}), through a small HikariCP pool. Opening it migrates the schema with the
 * single-host store's own migrations ({@link Schema}), under a transaction-scoped advisory lock so
 * that many first opens at once do not race. Every time is the database server's clock: one clock
 * for the whole fleet.
 *
 * <pre>
 * try (FleetStore f = FleetStore.open(DbUrl.parse(url, "--db"), "pcipass agent " + host)) {
 *     FleetStore.Published p = f.publish(inventory);
 * }
 * </pre>
 */
public final class FleetStore implements AutoCloseable {
    /** The advisory lock's key while migrating: "pcipass" in ASCII. */
    public static final long MIGRATION_LOCK = 0x70636970617373L;
    private static final int POOL_SIZE = 4;
    private static final int CONNECT_TIMEOUT_S = 10;

    static {
        // HikariCP's lines (pool starting and started; a pooled connection found closed, which it replaces) are
        // not a CLI's output: pcipass says what failed itself, in one line. Its errors stay.
        if (System.getProperty("org.slf4j.simpleLogger.log.com.zaxxer.hikari") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.com.zaxxer.hikari", "error");
        }
    }

    private final DbUrl url;
    private final HikariDataSource pool;

    private FleetStore(DbUrl url, HikariDataSource pool) {
        this.url = url;
        this.pool = pool;
    }

    /** The outcome of a publish: the host's snapshot number, and whether the devices changed. */
    public record Published(String host, long snapshot, int devices, int offered, boolean changed) {}

    /**
     * Connects (one connection first, so that an unreachable server or a refused login fails at once,
     * naming {@code HOST:PORT/DB}), migrates the schema, and opens the pool.
     *
     * @param applicationName what PostgreSQL shows for these connections ({@code pg_stat_activity})
     */
    public static FleetStore open(DbUrl url, String applicationName) {
        Properties props = url.properties();
        props.putIfAbsent("ApplicationName", applicationName);
        props.putIfAbsent("connectTimeout", String.valueOf(CONNECT_TIMEOUT_S));
        props.putIfAbsent("reWriteBatchedInserts", "true");
        try (Connection c = connect(url, props)) {
            migrate(c, url);
        } catch (SQLException e) {
            throw failure(url, e, "upgrading its schema");
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("pcipass-fleet");
        hc.setJdbcUrl(url.jdbcUrl());
        hc.setDataSourceProperties(props);
        hc.setMaximumPoolSize(POOL_SIZE);
        hc.setMinimumIdle(0);
        hc.setInitializationFailTimeout(-1); // the connection above was the check
        hc.setConnectionTimeout(CONNECT_TIMEOUT_S * 1000L);
        return new FleetStore(url, new HikariDataSource(hc));
    }

    private static Connection connect(DbUrl url, Properties props) {
        try {
            Connection c = new org.postgresql.Driver().connect(url.jdbcUrl(), props);
            if (c == null) {
                throw new PcipassException.BadInput("PostgreSQL's JDBC driver does not take " + url
                        + "; write postgresql://USER@HOST:PORT/DB");
            }
            return c;
        } catch (SQLException e) {
            throw new PcipassException("cannot connect to the fleet's database " + url.target() + " ("
                    + SqliteFile.firstLine(e) + "); check --db (or PCIPASS_DB, or db = in pcipass.conf), that"
                    + " PostgreSQL runs there and that it lets this user in", e);
        }
    }

    /** Brings the schema up to date in one transaction under the migration lock. */
    private static void migrate(Connection c, DbUrl url) throws SQLException {
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            }
            int v = Schema.version(c);
            if (v > Schema.LATEST) {
                throw new PcipassException("the fleet's database " + url.target() + " has schema version " + v
                        + ", newer than this pcipass knows (" + Schema.LATEST + "): upgrade pcipass on this host");
            }
            if (v < Schema.LATEST) {
                Schema.migrate(c, v, Instant.ofEpochMilli(FleetTables.now(c)));
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    /**
     * Publishes one snapshot of a host in one transaction: its row is locked (inserted first when new),
     * its devices deleted and inserted again, its snapshot number raised, published and heartbeat set
     * to now; the rows are counted back before the commit. When the database already holds exactly
     * these devices and NUMA cells, only the heartbeat (and interval) is written, and {@code changed}
     * is false. A process killed before the commit leaves the previous snapshot whole.
     */
    public Published publish(HostInventory inv) {
        return transaction("publishing " + inv.name() + "'s inventory", c -> {
            long now = FleetTables.now(c);
            long snapshot = FleetTables.lockHost(c, inv, now);
            if (snapshot > 0 && FleetTables.stored(c, inv.name(), inv.intervalS(), inv.agent()).equals(inv)) {
                FleetTables.heartbeat(c, inv.name(), inv.intervalS(), -1);
                return new Published(inv.name(), snapshot, inv.devices().size(), inv.offered(), false);
            }
            FleetTables.replaceDevices(c, inv);
            FleetTables.markPublished(c, inv, snapshot + 1, now);
            int[] back = FleetTables.counts(c, inv.name());
            if (back[0] != inv.devices().size() || back[1] != inv.offered()) {
                throw new SQLException("read back " + back[0] + " devices (" + back[1] + " offered) after writing "
                        + inv.devices().size() + " (" + inv.offered() + " offered)");
            }
            return new Published(inv.name(), snapshot + 1, back[0], back[1], true);
        });
    }

    /**
     * Moves the host's heartbeat to now (and its interval) when its newest snapshot is still
     * {@code snapshot}; false when the host is gone or someone published another snapshot meanwhile
     * (then publish again).
     */
    public boolean heartbeat(String host, int intervalS, long snapshot) {
        return transaction("writing " + host + "'s heartbeat", c -> FleetTables.heartbeat(c, host, intervalS,
                snapshot));
    }

    /** Every host by name, up or down at one instant of the database's clock; with its devices when asked. */
    public List<FleetHost> hosts(boolean withDevices) {
        return readOnly("reading the fleet's hosts", c -> FleetTables.hosts(c, withDevices));
    }

    /**
     * The hosts that are up, by name, each with only its offered devices ({@link FleetDevice#offered}) in
     * snapshot order: one statement, so one consistent read. A down host is not in it.
     */
    public List<FleetHost> upHostsWithOfferedDevices() {
        return readOnly("reading the fleet's offered devices", FleetTables::upHostsWithOffered);
    }

    /** The database server's clock. */
    public Instant now() {
        return Instant.ofEpochMilli(readOnly("reading the database's clock", FleetTables::now));
    }

    /** {@code HOST:PORT/DB}, for messages. */
    public String target() {
        return url.target();
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Work on one connection inside a transaction of the caller's. */
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one READ COMMITTED transaction, committed when it returns, rolled back when it throws. */
    <T> T transaction(String doing, SqlWork<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T t = work.run(c);
                c.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure(url, e, doing);
        }
    }

    /** Runs {@code work} in one read-only REPEATABLE READ transaction: every statement sees one instant. */
    <T> T snapshot(String doing, SqlWork<T> work) {
        return readOnly(doing, work);
    }

    /** One read-only REPEATABLE READ transaction: every statement of {@code work} sees the same instant. */
    <T> T readOnly(String doing, SqlWork<T> work) {
        return transaction(doing, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            }
            return work.run(c);
        });
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // the connection is gone: nothing was committed
        }
    }

    private static PcipassException failure(DbUrl url, SQLException e, String doing) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("28") || state.equals("3D000"))
                || e instanceof java.sql.SQLTransientConnectionException) {
            Throwable cause = e.getCause() instanceof SQLException s ? s : e;
            return new PcipassException("cannot connect to the fleet's database " + url.target() + " ("
                    + SqliteFile.firstLine(cause) + "); check --db (or PCIPASS_DB, or db = in pcipass.conf), that"
                    + " PostgreSQL runs there and that it lets this user in", e);
        }
        return new PcipassException("the fleet's database " + url.target() + " failed while " + doing + " ("
                + SqliteFile.firstLine(e) + ")", e);
    }
}
