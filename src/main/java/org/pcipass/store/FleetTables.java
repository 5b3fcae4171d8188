package org.pcipass.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.apply.JsonTree;

/**
 * The fleet's statements on {@code fleet_hosts} and {@code fleet_devices} (PostgreSQL), inside the
 * caller's transaction; {@link FleetStore} holds the connections and transactions. Every user
 * string goes through a PreparedStatement parameter.
 */
final class FleetTables {
    /** The database server's clock, in epoch milliseconds (the transaction's start in PostgreSQL). */
    static final String NOW_MS = "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)";
    /** A host is up when its heartbeat is at most three of its intervals old, on the database's clock. */
    static final String UP = "h.heartbeat >= " + NOW_MS + " - " + FleetHost.DOWN_AFTER_INTERVALS
            + " * CAST(h.interval_s AS BIGINT) * 1000";
    /** Names sort by their bytes, as Java's String order does for them, whatever the database's collation. */
    static final String BY_NAME = "h.name COLLATE \"C\"";
    static final String OFFERED = "d.tags IS NOT NULL AND d.owner IS NULL AND d.verdict IN ('ready', 'assignable')";
    private static final String DEVICE_COLUMNS = "d.address, d.vendor_id, d.product_id, d.class, d.dev_type,"
            + " d.numa_node, d.parent_addr, d.verdict, d.owner, d.driver, d.tags";
    private static final String HOST_COLUMNS = "h.name, h.snapshot, h.published, h.heartbeat, h.interval_s,"
            + " h.numa_cells, h.agent, CASE WHEN " + UP + " THEN 1 ELSE 0 END";

    private FleetTables() {}

    static long now(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + NOW_MS); ResultSet r = p.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    /** Locks the host's row (inserting it first when new) and returns its snapshot number (0 when new). */
    static long lockHost(Connection c, HostInventory inv, long now) throws SQLException {
        Long snapshot = lockedSnapshot(c, inv.name());
        if (snapshot != null) {
            return snapshot;
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO fleet_hosts (name, snapshot, published, heartbeat,"
                + " interval_s, numa_cells, agent) VALUES (?, 0, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
            p.setString(1, inv.name());
            p.setLong(2, now);
            p.setLong(3, now);
            p.setInt(4, inv.intervalS());
            p.setString(5, cellsJson(inv.numaCells()));
            p.setString(6, inv.agent());
            p.executeUpdate();
        }
        return lockedSnapshot(c, inv.name()); // another agent of the same name may have inserted it first
    }

    private static Long lockedSnapshot(Connection c, String host) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT snapshot FROM fleet_hosts WHERE name = ? FOR UPDATE")) {
            p.setString(1, host);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : null;
            }
        }
    }

    /** The host's NUMA cells and devices as the database holds them. */
    static HostInventory stored(Connection c, String host, int intervalS, String agent) throws SQLException {
        List<NumaCell> cells;
        try (PreparedStatement p = c.prepareStatement("SELECT numa_cells FROM fleet_hosts WHERE name = ?")) {
            p.setString(1, host);
            try (ResultSet r = p.executeQuery()) {
                cells = r.next() ? cells(r.getString(1)) : List.of();
            }
        }
        return new HostInventory(host, intervalS, cells, agent, devicesOf(c, host));
    }

    /** The host's devices in snapshot order, whatever their state. */
    static List<FleetDevice> devicesOf(Connection c, String host) throws SQLException {
        List<FleetDevice> devices = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + DEVICE_COLUMNS + " FROM fleet_devices d"
                + " WHERE d.host = ? ORDER BY d.position")) {
            p.setString(1, host);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    devices.add(device(r, 1));
                }
            }
        }
        return devices;
    }

    /** The named host, up or down, with all its devices in snapshot order; null when there is no such host. */
    static FleetHost hostWithDevices(Connection c, String name) throws SQLException {
        List<FleetDevice> devices = devicesOf(c, name);
        try (PreparedStatement p = c.prepareStatement("SELECT " + HOST_COLUMNS
                + " FROM fleet_hosts h WHERE h.name = ?")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? host(r, devices.size(), (int) devices.stream().filter(FleetDevice::offered).count(),
                        devices) : null;
            }
        }
    }

    static void replaceDevices(Connection c, HostInventory inv) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM fleet_devices WHERE host = ?")) {
            p.setString(1, inv.name());
            p.executeUpdate();
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO fleet_devices (host, address, vendor_id, product_id,"
                + " class, dev_type, numa_node, parent_addr, verdict, owner, driver, tags, position)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int position = 0;
            for (FleetDevice d : inv.devices()) {
                p.setString(1, inv.name());
                p.setString(2, d.address());
                p.setString(3, d.vendorId());
                p.setString(4, d.productId());
                p.setString(5, d.classCode());
                p.setString(6, d.devType());
                if (d.numaNode() == null) {
                    p.setNull(7, Types.INTEGER);
                } else {
                    p.setInt(7, d.numaNode());
                }
                p.setString(8, d.parentAddr());
                p.setString(9, d.verdict());
                p.setString(10, d.owner());
                p.setString(11, d.driver());
                p.setString(12, d.tags() == null ? null : JsonTree.compact(new TreeMap<>(d.tags())));
                p.setInt(13, position++);
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    /** Makes the host's row say snapshot {@code snapshot}, published and heartbeat {@code now}. */
    static void markPublished(Connection c, HostInventory inv, long snapshot, long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE fleet_hosts SET snapshot = ?, published = ?,"
                + " heartbeat = ?, interval_s = ?, numa_cells = ?, agent = ? WHERE name = ?")) {
            p.setLong(1, snapshot);
            p.setLong(2, now);
            p.setLong(3, now);
            p.setInt(4, inv.intervalS());
            p.setString(5, cellsJson(inv.numaCells()));
            p.setString(6, inv.agent());
            p.setString(7, inv.name());
            p.executeUpdate();
        }
    }

    /** {devices, offered} of the host's rows, read back. */
    static int[] counts(Connection c, String host) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*), COUNT(CASE WHEN " + OFFERED
                + " THEN 1 END) FROM fleet_devices d WHERE d.host = ?")) {
            p.setString(1, host);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return new int[] {r.getInt(1), r.getInt(2)};
            }
        }
    }

    /**
     * Moves the host's heartbeat to now (and its interval) when its snapshot is still {@code snapshot}
     * (any, when negative); false when the row is gone or another snapshot was published meanwhile.
     */
    static boolean heartbeat(Connection c, String host, int intervalS, long snapshot) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE fleet_hosts SET heartbeat = " + NOW_MS
                + ", interval_s = ? WHERE name = ? AND (? < 0 OR snapshot = ?)")) {
            p.setInt(1, intervalS);
            p.setString(2, host);
            p.setLong(3, snapshot);
            p.setLong(4, snapshot);
            return p.executeUpdate() == 1;
        }
    }

    /** Every host by name with its counts, and its devices when {@code withDevices}. */
    static List<FleetHost> hosts(Connection c, boolean withDevices) throws SQLException {
        Map<String, List<FleetDevice>> devices = withDevices ? devicesByHost(c) : Map.of();
        List<FleetHost> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + HOST_COLUMNS + ", (SELECT COUNT(*) FROM fleet_devices d"
                + " WHERE d.host = h.name), (SELECT COUNT(*) FROM fleet_devices d WHERE d.host = h.name AND " + OFFERED
                + ") FROM fleet_hosts h ORDER BY " + BY_NAME); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(host(r, r.getInt(9), r.getInt(10), devices.getOrDefault(r.getString(1), List.of())));
            }
        }
        return out;
    }

    /** The up hosts by name with their offered devices in snapshot order: one statement, one instant. */
    static List<FleetHost> upHostsWithOffered(Connection c) throws SQLException {
        return upHosts(c, OFFERED, null);
    }

    /**
     * The up hosts by name (or only the one named, when up), each with its devices that pass
     * {@code deviceFilter} (SQL on {@code d}) in snapshot order: one statement, one instant.
     */
    static List<FleetHost> upHosts(Connection c, String deviceFilter, String only) throws SQLException {
        Map<String, FleetHost> hosts = new LinkedHashMap<>();
        Map<String, List<FleetDevice>> devices = new LinkedHashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + HOST_COLUMNS + ", " + DEVICE_COLUMNS
                + " FROM fleet_hosts h LEFT JOIN fleet_devices d ON d.host = h.name AND (" + deviceFilter + ")"
                + " WHERE " + UP + (only == null ? "" : " AND h.name = ?") + " ORDER BY " + BY_NAME + ", d.position")) {
            if (only != null) {
                p.setString(1, only);
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    String name = r.getString(1);
                    if (!hosts.containsKey(name)) {
                        hosts.put(name, host(r, 0, 0, List.of()));
                        devices.put(name, new ArrayList<>());
                    }
                    if (r.getString(9) != null) {
                        devices.get(name).add(device(r, 9));
                    }
                }
            }
        }
        List<FleetHost> out = new ArrayList<>();
        hosts.forEach((name, h) -> {
            List<FleetDevice> d = devices.get(name);
            out.add(new FleetHost(h.name(), h.snapshot(), h.published(), h.heartbeat(), h.intervalS(), h.numaCells(),
                    h.agent(), true, d.size(), (int) d.stream().filter(FleetDevice::offered).count(), d));
        });
        return out;
    }

    private static Map<String, List<FleetDevice>> devicesByHost(Connection c) throws SQLException {
        Map<String, List<FleetDevice>> out = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT d.host, " + DEVICE_COLUMNS + " FROM fleet_devices d"
                + " ORDER BY d.host, d.position"); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(device(r, 2));
            }
        }
        return out;
    }

    private static FleetHost host(ResultSet r, int devices, int offered, List<FleetDevice> list) throws SQLException {
        return new FleetHost(r.getString(1), r.getLong(2), Instant.ofEpochMilli(r.getLong(3)),
                Instant.ofEpochMilli(r.getLong(4)), r.getInt(5), cells(r.getString(6)), r.getString(7), r.getInt(8) == 1,
                devices, offered, list);
    }

    /** The device whose 11 columns start at {@code at}. */
    private static FleetDevice device(ResultSet r, int at) throws SQLException {
        int numa = r.getInt(at + 5);
        Integer numaNode = r.wasNull() ? null : numa;
        return new FleetDevice(r.getString(at), r.getString(at + 1), r.getString(at + 2), r.getString(at + 3),
                r.getString(at + 4), numaNode, r.getString(at + 6), r.getString(at + 7), r.getString(at + 8),
                r.getString(at + 9), tags(r.getString(at + 10)));
    }

    static String cellsJson(List<NumaCell> cells) {
        List<Object> out = new ArrayList<>();
        for (NumaCell cell : cells) {
            Map<String, Object> o = JsonTree.object();
            o.put("id", (long) cell.id());
            o.put("socket", cell.socket() == null ? null : (long) cell.socket());
            o.put("cpus", new ArrayList<Object>(cell.cpus().stream().map(Integer::longValue).toList()));
            o.put("memory_mb", cell.memoryMb());
            out.add(o);
        }
        return JsonTree.compact(out);
    }

    static List<NumaCell> cells(String json) throws SQLException {
        List<NumaCell> out = new ArrayList<>();
        try {
            for (Object v : (List<?>) JsonTree.parse(json)) {
                Map<String, Object> o = JsonTree.asObject(v, "a NUMA cell");
                List<Integer> cpus = new ArrayList<>();
                for (Object cpu : JsonTree.list(o, "cpus")) {
                    cpus.add(((Number) cpu).intValue());
                }
                Object socket = o.get("socket");
                out.add(new NumaCell(JsonTree.integer(o, "id"), socket == null ? null : ((Number) socket).intValue(),
                        cpus, ((Number) o.get("memory_mb")).longValue()));
            }
        } catch (IOException | RuntimeException e) {
            throw new SQLException("fleet_hosts.numa_cells is not a JSON array of NUMA cells: " + e.getMessage(), e);
        }
        return out;
    }

    /** Parsed tags by their JSON text: a fleet has a handful of distinct ones and reads them by thousands. */
    private static final Map<String, Map<String, String>> TAGS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Map<String, String> tags(String json) throws SQLException {
        if (json == null) {
            return null;
        }
        Map<String, String> known = TAGS.get(json);
        if (known != null) {
            return known;
        }
        Map<String, String> parsed = parseTags(json);
        if (TAGS.size() < 4096) {
            TAGS.put(json, parsed);
        }
        return parsed;
    }

    private static Map<String, String> parseTags(String json) throws SQLException {
        try {
            Map<String, String> out = new TreeMap<>();
            JsonTree.asObject(JsonTree.parse(json), "tags").forEach((k, v) -> out.put(k, v == null ? null
                    : String.valueOf(v)));
            return java.util.Collections.unmodifiableMap(out);
        } catch (IOException | RuntimeException e) {
            throw new SQLException("fleet_devices.tags is not a JSON object: " + e.getMessage(), e);
        }
    }
}
