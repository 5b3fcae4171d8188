package org.pcipass.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;
import org.pcipass.guest.GuestName;

/**
 * The fleet's PostgreSQL, as the user named it: {@code postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB[?PARAMS]}
 * (libpq's form, also {@code postgres://}) or a pgjdbc URL {@code jdbc:postgresql:...}. The password
 * never leaves this object except to the driver: {@link #toString()} and every message show
 * {@code ***} in its place.
 *
 * <pre>
 * DbUrl.parse("postgresql://pcipass:s3cret@db1:5433/fleet?sslmode=require", "--db").target()  // "db1:5433/fleet"
 * </pre>
 */
public final class DbUrl {
    private static final Pattern LIBPQ = Pattern.compile(
            "(postgres(?:ql)?)://(?:([^:@/?#]*)(?::([^/?#]*))?@)?(\\[[0-9A-Fa-f:.]+\\]|[^:/?#\\[\\]@]*)(?::([^/?#@]*))?"
                    + "(?:/([^?#]*))?(?:\\?([^#]*))?");
    /** libpq's names of the parameters whose pgjdbc names differ (sslmode, sslcert, options … are the same). */
    private static final Map<String, String> LIBPQ_NAMES = Map.of("application_name", "ApplicationName",
            "connect_timeout", "connectTimeout", "target_session_attrs", "targetServerType");
    private static final String FIX = "write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB or jdbc:postgresql://HOST"
            + "[:PORT]/DB?user=USER";

    /** pgjdbc's own warnings (a URL it does not take) go to java.util.logging: a CLI says it once, itself. */
    private static final java.util.logging.Logger PGJDBC_LOG = java.util.logging.Logger.getLogger("org.postgresql");

    static {
        PGJDBC_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private final String jdbcUrl;
    private final Map<String, String> properties;
    private final String target;
    private final String shown;

    private DbUrl(String jdbcUrl, Map<String, String> properties, String target, String shown) {
        this.jdbcUrl = jdbcUrl;
        this.properties = Map.copyOf(properties);
        this.target = target;
        this.shown = shown;
    }

    /**
     * Parses {@code url}, given by {@code where} ({@code --db}, {@code PCIPASS_DB}, {@code FILE line N}).
     *
     * @throws PcipassException.BadInput naming {@code where}, the URL without its password, and the fix
     */
    public static DbUrl parse(String url, String where) {
        String u = url == null ? "" : url.strip();
        if (u.startsWith("jdbc:postgresql:")) {
            return jdbc(u, where);
        }
        Matcher m = LIBPQ.matcher(u);
        if (!m.matches()) {
            throw bad(where, u, u.isEmpty() ? "is empty" : "is not a PostgreSQL URL");
        }
        String host = m.group(4);
        if (host.isEmpty()) {
            throw bad(where, u, "names no host");
        }
        int port = port(m.group(5), where, u);
        String db = m.group(6) == null ? "" : decode(m.group(6), where, u);
        if (db.isEmpty()) {
            throw bad(where, u, "names no database");
        }
        Map<String, String> props = new LinkedHashMap<>();
        if (m.group(2) != null && !m.group(2).isEmpty()) {
            props.put("user", decode(m.group(2), where, u));
        }
        if (m.group(3) != null) {
            props.put("password", decode(m.group(3), where, u));
        }
        if (m.group(7) != null && !m.group(7).isEmpty()) {
            for (String pair : m.group(7).split("&")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw bad(where, u, "has a parameter without a value (" + GuestName.printable(redactParam(pair))
                            + ")");
                }
                String name = decode(pair.substring(0, eq), where, u);
                props.put(LIBPQ_NAMES.getOrDefault(name, name), decode(pair.substring(eq + 1), where, u));
            }
        }
        String target = host + ":" + port + "/" + db;
        String jdbc = "jdbc:postgresql://" + host + ":" + port + "/" + encodePath(db);
        return new DbUrl(jdbc, props, target, redact(u));
    }

    private static DbUrl jdbc(String u, String where) {
        Properties p;
        try {
            p = org.postgresql.Driver.parseURL(u, new Properties());
        } catch (RuntimeException e) {
            p = null;
        }
        if (p == null) {
            throw bad(where, u, "is not a URL PostgreSQL's JDBC driver accepts");
        }
        String hosts = p.getProperty("PGHOST", "localhost");
        String ports = p.getProperty("PGPORT", "5432");
        String[] h = hosts.split(",");
        String[] ps = ports.split(",");
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < h.length; i++) {
            t.append(i == 0 ? "" : ",").append(h[i]).append(':').append(i < ps.length ? ps[i] : "5432");
        }
        t.append('/').append(p.getProperty("PGDBNAME", ""));
        return new DbUrl(u, Map.of(), t.toString(), redact(u));
    }

    /** The URL for the JDBC driver, without user and password when they came apart from it. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The driver's connection properties from the URL: user, password and parameters (a fresh copy). */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(properties);
        return p;
    }

    /** {@code HOST:PORT/DB}, for messages. */
    public String target() {
        return target;
    }

    /** The URL as given, its password replaced by {@code ***}. */
    @Override
    public String toString() {
        return shown;
    }

    private static int port(String text, String where, String u) {
        if (text == null || text.isEmpty()) {
            return 5432;
        }
        try {
            int p = Integer.parseInt(text);
            if (p > 0 && p < 65536) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw bad(where, u, "has a port that is not a number from 1 to 65535"); // not echoed: it may be a password
    }

    private static String decode(String s, String where, String u) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw bad(where, u, "has a bad %-escape");
        }
    }

    private static String encodePath(String db) {
        return java.net.URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static PcipassException.BadInput bad(String where, String u, String why) {
        return new PcipassException.BadInput(where + " '" + GuestName.printable(redact(u)) + "' " + why + "; " + FIX);
    }

    /**
     * {@code u} with anything that may be a password replaced by {@code ***}: from the first colon after
     * {@code ://} to the last {@code @} (a password may hold unescaped {@code @} and {@code /}; masking
     * too much is safe), and the values of {@code password} parameters.
     */
    static String redact(String u) {
        String out = u;
        int start = out.indexOf("://");
        int at = out.lastIndexOf('@');
        if (start >= 0 && at > start) {
            int colon = out.indexOf(':', start + 3);
            if (colon >= 0 && colon < at) {
                out = out.substring(0, colon + 1) + "***" + out.substring(at);
            }
        }
        return out.replaceAll("(?i)([?&;]password=)[^&;#]*", "$1***");
    }

    private static String redactParam(String pair) {
        return pair.toLowerCase(java.util.Locale.ROOT).startsWith("password") ? "password..." : pair;
    }
}
