package org.pcipass.sysfs;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The servers a network filesystem or an iSCSI disk lives on, as the kernel shows them: NFS and
 * SMB in mountinfo's {@code addr=} super option, Ceph in {@code mon_addr=} or the monitor list of
 * the source, iSCSI in the session's connections. Only IP addresses count: pcipass never resolves
 * a host name (no DNS query from a scan). glusterfs and other FUSE filesystems show no server
 * address at all, and are not followed.
 */
final class NetworkServers {
    private NetworkServers() {
    }

    /**
     * A server.
     *
     * @param role what it is to the host, in words ({@code NFS server})
     * @param address the address as the kernel wrote it, without a scope
     * @param ip the parsed address, or null when the kernel gave a host name
     * @param scope the interface index or name after {@code %} of a link-local address, or null
     */
    record Server(String role, String address, InetAddress ip, String scope) {
    }

    /** The servers of a network filesystem; empty for any other mount. */
    static List<Server> of(Mount m) {
        return switch (m.fsType()) {
            case "nfs", "nfs4" -> one("NFS server", m.option("addr"), nfsHost(m.source()));
            case "cifs", "smb3" -> one("SMB server", m.option("addr"), smbHost(m.source()));
            case "ceph" -> ceph(m);
            default -> List.of();
        };
    }

    private static List<Server> one(String role, String addr, String fallback) {
        String text = addr != null ? addr : fallback;
        return text == null || text.isEmpty() ? List.of() : List.of(server(role, text));
    }

    /** {@code server:/export} or {@code [fd00::1]:/export}: the part before the first {@code :/}. */
    private static String nfsHost(String source) {
        int i = source.indexOf(":/");
        return i <= 0 ? null : unbracket(source.substring(0, i));
    }

    /** {@code //server/share}. */
    private static String smbHost(String source) {
        if (!source.startsWith("//")) {
            return null;
        }
        int slash = source.indexOf('/', 2);
        return unbracket(slash < 0 ? source.substring(2) : source.substring(2, slash));
    }

    /**
     * Monitors: {@code mon_addr=10.0.0.1:6789/10.0.0.2:6789} (the new device syntax), else the old
     * source {@code 10.0.0.1:6789,[fd00::2]:6789:/path}. The OSDs that hold the data are not in
     * mountinfo; they are usually on the monitors' network.
     */
    private static List<Server> ceph(Mount m) {
        String monAddr = m.option("mon_addr");
        String list = monAddr != null ? monAddr.replace('/', ',') : m.source().contains(":/")
                ? m.source().substring(0, m.source().indexOf(":/")) : null;
        List<Server> out = new ArrayList<>();
        if (list != null) {
            for (String mon : list.split(",")) {
                if (!mon.isEmpty()) {
                    out.add(server("Ceph monitor", withoutPort(mon)));
                }
            }
        }
        return out;
    }

    /** {@code [fd00::2]:6789} → {@code fd00::2}, {@code 10.0.0.1:6789} → {@code 10.0.0.1}; a bare IPv6 address stays. */
    private static String withoutPort(String hostPort) {
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            return close < 0 ? hostPort : hostPort.substring(1, close);
        }
        int colon = hostPort.indexOf(':');
        return colon >= 0 && colon == hostPort.lastIndexOf(':') ? hostPort.substring(0, colon) : hostPort;
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * The iSCSI session a disk or partition hangs below
     * ({@code devices/platform/host6/session1/target6:0:0/6:0:0:0/block/sdb}), relative to the sysfs
     * root, or null. The link is resolved only when its text names a session: most block devices
     * without a PCI device are dm, md or loop devices.
     */
    static String iscsiSession(Sysfs sys, String name, String link) {
        if (link == null || !link.contains("/session")) {
            return null;
        }
        String path = sys.resolve("class/block/" + name);
        if (path == null) {
            return null;
        }
        String[] parts = path.split("/");
        StringBuilder dir = new StringBuilder();
        for (String p : parts) {
            dir.append(dir.length() == 0 ? "" : "/").append(p);
            if (p.matches("session\\d+") && sys.isDirectory(dir + "/iscsi_session")) {
                return dir.toString();
            }
        }
        return null;
    }

    /**
     * The targets of an iSCSI session: each connection's {@code address} (where it is connected
     * now, after any redirect) and {@code persistent_address} (the portal it reconnects to).
     *
     * @param session the session's directory relative to the sysfs root ({@code devices/platform/host6/session1})
     */
    static List<Server> iscsi(Sysfs sys, String session) {
        Set<String> addresses = new LinkedHashSet<>();
        for (String conn : sys.list(session)) {
            if (conn.startsWith("connection")) {
                String attrs = session + "/" + conn + "/iscsi_connection/" + conn + "/";
                for (String attr : List.of("address", "persistent_address")) {
                    String a = sys.read(attrs + attr);
                    if (a != null && !a.isBlank()) {
                        addresses.add(a.trim());
                    }
                }
            }
        }
        List<Server> out = new ArrayList<>();
        addresses.forEach(a -> out.add(server("iSCSI target", a)));
        return out;
    }

    static Server server(String role, String text) {
        int pct = text.indexOf('%');
        String address = pct < 0 ? text : text.substring(0, pct);
        String scope = pct < 0 || pct == text.length() - 1 ? null : text.substring(pct + 1);
        return new Server(role, address, literal(address), scope);
    }

    /**
     * The IP address {@code text} spells, or null when it spells none (a host name, garbage): dotted
     * quads are parsed here; IPv6 text goes to InetAddress in brackets, which parses literals only
     * and throws rather than ask DNS.
     */
    static InetAddress literal(String text) {
        byte[] v4 = ipv4(text);
        try {
            if (v4 != null) {
                return InetAddress.getByAddress(v4);
            }
            if (text.indexOf(':') >= 0 && text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return InetAddress.getByName("[" + text + "]");
            }
        } catch (UnknownHostException e) {
            // not an address
        }
        return null;
    }

    private static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            b[i] = (byte) v;
        }
        return b;
    }
}
