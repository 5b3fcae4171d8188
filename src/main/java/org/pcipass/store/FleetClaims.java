package org.pcipass.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.pcipass.PcipassException;

/**
 * The fleet's claims ({@code fleet_claims}, {@code fleet_claim_devices}): devices held for a guest on one
 * host until {@code pcipass attach} there consumes the claim, or until it expires unconsumed. Kind
 * {@code claim} is a guest's claim (one per guest); kind {@code evacuation} is what an evacuation plan
 * holds for a guest on the host it would move to.
 *
 * <p>Never two claims on one device, under any interleaving of claimers, by two means. Each claim's
 * transaction (READ COMMITTED) locks its chosen host's row ({@code SELECT ... FOR UPDATE}) before it
 * re-reads that host's devices and the claims on them and checks the fit again, so claimers of one host
 * take turns while claimers of different hosts do not wait for each other; and the key of
 * {@code fleet_claim_devices} is (host, address), so the database itself refuses a second holder should
 * any path skip the lock. Why not SERIALIZABLE: every claimer reads every host to find the first that
 * fits, so under SSI most concurrent claimers would abort and retry; the row lock keeps the write set to
 * one host and the wait to one host's turn. A retryable failure (40001, 40P01, 23505) starts the claim
 * again from the read, up to {@link #ATTEMPTS} times.
 */
public final class FleetClaims {
    public static final String CLAIM = "claim";
    public static final String EVACUATION = "evacuation";
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
    static final int ATTEMPTS = 40;

    /** A device a claim or a guest holds. */
    public record Held(String host, String address) {}

    /**
     * One claim: its devices in the order taken; {@code expires} is null once consumed; {@code request}
     * is the alias string asked for and {@code numaCells} the guest's cells ("0,1", or null);
     * {@code fromHost} is the host an evacuation moves the guest from.
     */
    public record Claim(String guest, String kind, String host, List<String> devices, Instant since, Instant expires,
            Instant consumed, String request, String numaCells, String fromHost) {
        public Claim {
            devices = List.copyOf(devices);
        }
    }

    /** Where a claim would go: a host and its devices, or (host null) why none fits. */
    public record Choice(String host, List<String> devices, String shortfall) {}

    /** Chooses a host and devices among {@code hosts} (in order) given what is {@code held}. */
    @FunctionalInterface
    public interface Placer {
        Choice place(List<FleetHost> hosts, Set<Held> held);
    }

    private final FleetStore store;

    /** One consistent read: the guest's claim in force, the up hosts, the devices held. */
    private record Fleet(Claim existing, List<FleetHost> hosts, Set<Held> held) {}

    public FleetClaims(FleetStore store) {
        this.store = store;
    }

    /**
     * Makes a claim for {@code guest}: the placer chooses among the up hosts (their devices that are
     * offered or held by a guest) less {@code excludeHosts}, and the choice is checked again under the
     * chosen host's lock before it is recorded.
     *
     * @throws PcipassException.Refused when the guest already holds a claim of this kind, or no host fits
     */
    public Claim claim(String guest, String kind, String request, String numaCells, String fromHost, Duration ttl,
            Set<String> excludeHosts, Placer placer) {
        Set<String> skip = new HashSet<>(excludeHosts);
        Fleet fleet = null;
        for (int attempt = 1; ; ) {
            try {
                if (fleet == null) {
                    fleet = store.snapshot("reading the fleet's hosts and claims", c -> new Fleet(
                            active(c, guest, kind), placeable(c, null), held(c, null)));
                }
                if (fleet.existing() != null) {
                    throw new PcipassException.Refused(alreadyHolds(fleet.existing()));
                }
                List<FleetHost> hosts = new ArrayList<>(fleet.hosts());
                hosts.removeIf(h -> skip.contains(h.name()));
                Choice choice = placer.place(hosts, fleet.held());
                if (choice.host() == null) {
                    throw new PcipassException.Refused("no host fits " + guest + "'s " + request + ": "
                            + choice.shortfall());
                }
                Claim made = store.transaction("recording a claim", c -> record(c, guest, kind, request, numaCells,
                        fromHost, ttl, choice.host(), placer));
                if (made != null) {
                    return made;
                }
                // it changed meanwhile and no longer fits: the next host in the same read's order (each is
                // checked again under its own lock, so the read need not be fresh)
                skip.add(choice.host());
            } catch (PcipassException e) {
                if (!retryable(e) || attempt >= ATTEMPTS) {
                    throw e;
                }
                attempt++;
                fleet = null;
                backoff(attempt);
            }
        }
    }

    private static String alreadyHolds(Claim c) {
        return "guest " + c.guest() + " already holds " + (c.kind().equals(CLAIM) ? "a claim" : "an evacuation claim")
                + " on " + c.host() + " (" + String.join(" ", c.devices()) + (c.consumed() != null ? ", consumed"
                : ", until " + c.expires()) + "); release it first with 'pcipass fleet release " + c.guest() + "'";
    }

    /** Under the host's lock: checks the fit again and records the claim; null when it no longer fits. */
    private Claim record(Connection c, String guest, String kind, String request, String numaCells, String fromHost,
            Duration ttl, String hostName, Placer placer) throws SQLException {
        long now = FleetTables.now(c);
        try (PreparedStatement p = c.prepareStatement("SELECT h.name FROM fleet_hosts h WHERE h.name = ? AND "
                + FleetTables.UP + " FOR UPDATE")) {
            p.setString(1, hostName);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return null; // gone down meanwhile
                }
            }
        }
        deleteExpired(c, hostName, now);
        deleteExpiredOf(c, guest, kind, now);
        Claim existing = active(c, guest, kind);
        if (existing != null) {
            throw new PcipassException.Refused(alreadyHolds(existing));
        }
        List<FleetHost> one = placeable(c, hostName);
        Set<Held> held = held(c, hostName);
        Choice again = placer.place(one, held);
        if (again.host() == null) {
            return null;
        }
        long expires = now + ttl.toMillis();
        update(c, "INSERT INTO fleet_claims (guest, kind, host, request, numa_cells, since, expires, consumed,"
                + " from_host) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)", guest, kind, hostName, request, numaCells, now,
                expires, fromHost);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO fleet_claim_devices (host, address, guest, kind,"
                + " position) VALUES (?, ?, ?, ?, ?)")) {
            int i = 0;
            for (String a : again.devices()) {
                p.setString(1, hostName);
                p.setString(2, a);
                p.setString(3, guest);
                p.setString(4, kind);
                p.setInt(5, i++);
                p.addBatch();
            }
            p.executeBatch();
        }
        Claim back = active(c, guest, kind);
        if (back == null || !back.devices().equals(again.devices()) || !back.host().equals(hostName)) {
            throw new SQLException("the claim for " + guest + " did not read back as written");
        }
        return back;
    }

    /** Gives the guest's claim of this kind back; false when it held none. */
    public boolean release(String guest, String kind) {
        return store.transaction("releasing a claim", c -> deleteClaim(c, guest, kind) > 0);
    }

    private static int deleteClaim(Connection c, String guest, String kind) throws SQLException {
        update(c, "DELETE FROM fleet_claim_devices WHERE guest = ? AND kind = ?", guest, kind);
        return update(c, "DELETE FROM fleet_claims WHERE guest = ? AND kind = ?", guest, kind);
    }

    /**
     * A host of the fleet, up or down, with all its devices (their owners included) and the claims of kind
     * {@code claim} in force on it, by guest: what an evacuation moves.
     */
    public record OnHost(FleetHost host, List<Claim> claims) {
        public OnHost {
            claims = List.copyOf(claims);
        }
    }

    /** The host named and its guests' claims, read at one instant; null when the fleet has no such host. */
    public OnHost onHost(String host) {
        return store.readOnly("reading " + host + "'s devices and claims", c -> {
            FleetHost h = FleetTables.hostWithDevices(c, host);
            return h == null ? null : new OnHost(h, list(c, CLAIM, null, host));
        });
    }

    /** The claims in force (consumed, or not yet expired), of one kind or (null) all, by guest. */
    public List<Claim> claims(String kind) {
        return store.transaction("reading the fleet's claims", c -> list(c, kind, null, null));
    }

    /** The claims in force (of every kind) on one host, by guest. */
    public List<Claim> claimsOn(String host) {
        return store.transaction("reading the fleet's claims", c -> list(c, null, null, host));
    }

    /** The claim in force for {@code guest} of this kind, or null. */
    public Claim claimOf(String guest, String kind) {
        return store.transaction("reading the fleet's claims", c -> active(c, guest, kind));
    }

    /**
     * Marks the guest's claim on {@code host} consumed (it then never expires), or makes its evacuation
     * claim there its claim, consumed; returns the devices among {@code devices} that another guest's claim
     * holds (then nothing is marked).
     */
    public Map<String, String> consume(String guest, String host, List<String> devices) {
        return store.transaction("consuming a claim", c -> {
            long now = FleetTables.now(c);
            Map<String, String> others = new LinkedHashMap<>();
            for (Claim k : list(c, null, null, host)) {
                for (String d : k.devices()) {
                    if (devices.contains(d) && !k.guest().equals(guest)) {
                        others.put(d, k.guest());
                    }
                }
            }
            if (!others.isEmpty()) {
                return others;
            }
            update(c, "UPDATE fleet_claims SET consumed = ? WHERE guest = ? AND kind = ? AND host = ? AND"
                    + " (consumed IS NOT NULL OR expires >= ?)", now, guest, CLAIM, host, now);
            adoptEvacuation(c, guest, host, now);
            return others;
        });
    }

    /**
     * An evacuation claim of the guest's on this host becomes its claim, consumed — when the guest holds
     * no other claim in force (the plan's release of its claim on the old host came first).
     */
    private static void adoptEvacuation(Connection c, String guest, String host, long now) throws SQLException {
        Claim evacuation = active(c, guest, EVACUATION);
        if (evacuation == null || !evacuation.host().equals(host)) {
            return;
        }
        deleteExpiredOf(c, guest, CLAIM, now);
        if (active(c, guest, CLAIM) != null) {
            return;
        }
        update(c, "INSERT INTO fleet_claims (guest, kind, host, request, numa_cells, since, expires, consumed,"
                + " from_host) SELECT guest, ?, host, request, numa_cells, since, expires, ?, from_host FROM"
                + " fleet_claims WHERE guest = ? AND kind = ?", CLAIM, now, guest, EVACUATION);
        update(c, "UPDATE fleet_claim_devices SET kind = ? WHERE guest = ? AND kind = ?", CLAIM, guest, EVACUATION);
        update(c, "DELETE FROM fleet_claims WHERE guest = ? AND kind = ?", guest, EVACUATION);
    }

    private static Claim active(Connection c, String guest, String kind) throws SQLException {
        List<Claim> l = list(c, kind, guest, null);
        return l.isEmpty() ? null : l.get(0);
    }

    private static List<Claim> list(Connection c, String kind, String guest, String host) throws SQLException {
        long now = FleetTables.now(c);
        Map<String, Claim> out = new LinkedHashMap<>();
        Map<String, List<String>> devices = new LinkedHashMap<>();
        StringBuilder sql = new StringBuilder("SELECT k.guest, k.kind, k.host, k.since, k.expires, k.consumed,"
                + " k.request, k.numa_cells, k.from_host, d.address FROM fleet_claims k LEFT JOIN fleet_claim_devices d"
                + " ON d.guest = k.guest AND d.kind = k.kind WHERE (k.consumed IS NOT NULL OR k.expires >= ?)");
        List<String> params = new ArrayList<>();
        if (kind != null) {
            sql.append(" AND k.kind = ?");
            params.add(kind);
        }
        if (guest != null) {
            sql.append(" AND k.guest = ?");
            params.add(guest);
        }
        if (host != null) {
            sql.append(" AND k.host = ?");
            params.add(host);
        }
        sql.append(" ORDER BY k.guest COLLATE \"C\", k.kind, d.position");
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            p.setLong(1, now);
            for (int i = 0; i < params.size(); i++) {
                p.setString(i + 2, params.get(i));
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    String key = r.getString(1) + "\0" + r.getString(2);
                    if (!out.containsKey(key)) {
                        long consumed = r.getLong(6);
                        boolean wasConsumed = !r.wasNull();
                        out.put(key, new Claim(r.getString(1), r.getString(2), r.getString(3), List.of(),
                                Instant.ofEpochMilli(r.getLong(4)), wasConsumed ? null : Instant.ofEpochMilli(r.getLong(5)),
                                wasConsumed ? Instant.ofEpochMilli(consumed) : null, r.getString(7), r.getString(8),
                                r.getString(9)));
                        devices.put(key, new ArrayList<>());
                    }
                    if (r.getString(10) != null) {
                        devices.get(key).add(r.getString(10));
                    }
                }
            }
        }
        List<Claim> result = new ArrayList<>();
        out.forEach((k, v) -> result.add(new Claim(v.guest(), v.kind(), v.host(), devices.get(k), v.since(), v.expires(),
                v.consumed(), v.request(), v.numaCells(), v.fromHost())));
        return result;
    }

    /** The devices claims in force hold (on one host, or all when null). */
    private static Set<Held> held(Connection c, String host) throws SQLException {
        long now = FleetTables.now(c);
        Set<Held> out = new HashSet<>();
        try (PreparedStatement p = c.prepareStatement("SELECT d.host, d.address FROM fleet_claim_devices d JOIN"
                + " fleet_claims k ON k.guest = d.guest AND k.kind = d.kind WHERE (k.consumed IS NOT NULL OR"
                + " k.expires >= ?)" + (host == null ? "" : " AND d.host = ?"))) {
            p.setLong(1, now);
            if (host != null) {
                p.setString(2, host);
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new Held(r.getString(1), r.getString(2)));
                }
            }
        }
        return out;
    }

    /**
     * The up hosts by name (or the one named) with their devices that matter to a claim: those offered,
     * and those a guest holds (their PFs and VFs are then not free).
     */
    static List<FleetHost> placeable(Connection c, String only) throws SQLException {
        return FleetTables.upHosts(c, "d.tags IS NOT NULL OR d.owner IS NOT NULL OR d.verdict = 'assigned'", only);
    }

    private static void deleteExpired(Connection c, String host, long now) throws SQLException {
        update(c, "DELETE FROM fleet_claim_devices WHERE host = ? AND (guest, kind) IN (SELECT guest, kind FROM"
                + " fleet_claims WHERE host = ? AND consumed IS NULL AND expires < ?)", host, host, now);
        update(c, "DELETE FROM fleet_claims WHERE host = ? AND consumed IS NULL AND expires < ?", host, now);
    }

    private static void deleteExpiredOf(Connection c, String guest, String kind, long now) throws SQLException {
        update(c, "DELETE FROM fleet_claim_devices WHERE guest = ? AND kind = ? AND"
                + " EXISTS (SELECT 1 FROM fleet_claims k WHERE k.guest = ? AND k.kind = ? AND k.consumed IS NULL AND"
                + " k.expires < ?)", guest, kind, guest, kind, now);
        update(c, "DELETE FROM fleet_claims WHERE guest = ? AND kind = ? AND consumed IS NULL AND expires < ?",
                guest, kind, now);
    }

    /** One INSERT, UPDATE or DELETE with its parameters in order (null: SQL NULL); the rows it changed. */
    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] == null) {
                    p.setNull(i + 1, Types.VARCHAR);
                } else if (params[i] instanceof Long l) {
                    p.setLong(i + 1, l);
                } else {
                    p.setString(i + 1, (String) params[i]);
                }
            }
            return p.executeUpdate();
        }
    }

    private static boolean retryable(PcipassException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null
                    && List.of("40001", "40P01", "23505").contains(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L + Math.min(attempt, 10) * 10L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PcipassException("interrupted while retrying a claim");
        }
    }
}
