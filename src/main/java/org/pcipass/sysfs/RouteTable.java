package org.pcipass.sysfs;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel's routes as {@code /proc/net/route} (IPv4, main table) and {@code /proc/net/ipv6_route}
 * show them, and the interfaces the kernel sends to an address through: the longest matching
 * prefix, then the lowest metric (a directly connected subnet is a route like any other). Lines
 * that do not follow the kernel's format are skipped.
 *
 * <p>Not seen here: policy routing ({@code ip rule} tables other than main, for IPv4), the later
 * next hops of a multipath IPv4 route (the file shows the first), and sockets bound to a device.
 */
final class RouteTable {
    private static final int RTF_UP = 0x1;
    private static final int RTF_REJECT = 0x200;

    /** One route; {@code dest} in network byte order (4 or 16 bytes), {@code prefix} its length in bits. */
    record Route(String iface, byte[] dest, int prefix, long metric, boolean reject) {
        boolean covers(byte[] addr) {
            if (addr.length != dest.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != dest[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            int mask = (0xff << (8 - rest)) & 0xff;
            return rest == 0 || (addr[full] & mask) == (dest[full] & mask);
        }

        boolean isDefault() {
            return prefix == 0 && !reject && !iface.equals("lo");
        }
    }

    private final List<Route> routes;

    RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    /** Reads {@code proc/net/route} and {@code proc/net/ipv6_route} below the config root. */
    static RouteTable read(Sysfs root) {
        List<Route> all = new ArrayList<>(parseIpv4(root.readAll("proc/net/route"), ByteOrder.nativeOrder()));
        all.addAll(parseIpv6(root.readAll("proc/net/ipv6_route")));
        return new RouteTable(all);
    }

    /** The interfaces of the usable default routes, IPv4 then IPv6. */
    Set<String> defaultInterfaces() {
        Set<String> out = new LinkedHashSet<>();
        for (Route r : routes) {
            if (r.isDefault()) {
                out.add(r.iface());
            }
        }
        return out;
    }

    /**
     * The interfaces the kernel reaches {@code address} through; empty when no route covers it or
     * the best one is a reject route. Equal routes (same prefix and metric) on several interfaces
     * all count: which one carries the traffic can change under the host.
     */
    Set<String> interfacesTo(InetAddress address) {
        byte[] addr = address.getAddress();
        int bestPrefix = -1;
        long bestMetric = Long.MAX_VALUE;
        Set<String> best = new LinkedHashSet<>();
        for (Route r : routes) {
            if (!r.covers(addr)) {
                continue;
            }
            if (r.prefix() > bestPrefix || (r.prefix() == bestPrefix && r.metric() < bestMetric)) {
                bestPrefix = r.prefix();
                bestMetric = r.metric();
                best.clear();
            }
            if (r.prefix() == bestPrefix && r.metric() == bestMetric && !r.reject()) {
                best.add(r.iface());
            }
        }
        return best;
    }

    /**
     * {@code Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT}, after a header.
     * The kernel prints each address as a 32-bit word in the CPU's byte order ({@code %08X} of a
     * big-endian value), so 10.1.2.3 reads {@code 0302010A} on x86; {@code order} undoes that.
     */
    static List<Route> parseIpv4(String text, ByteOrder order) {
        List<Route> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        String[] lines = text.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split("\\s+");
            if (f.length < 8 || f[1].length() != 8 || f[7].length() != 8) {
                continue;
            }
            try {
                int flags = Integer.parseInt(f[3], 16);
                int mask = (int) Long.parseLong(f[7], 16);
                if ((flags & RTF_UP) != 0) {
                    out.add(new Route(f[0], ipv4(f[1], order), Integer.bitCount(mask), Long.parseLong(f[6]),
                            (flags & RTF_REJECT) != 0));
                }
            } catch (NumberFormatException e) {
                // a garbled line: the kernel writes none, a copied or edited file may
            }
        }
        return out;
    }

    private static byte[] ipv4(String hex, ByteOrder order) {
        long v = Long.parseLong(hex, 16);
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int shift = order == ByteOrder.LITTLE_ENDIAN ? 8 * i : 8 * (3 - i);
            b[i] = (byte) (v >>> shift);
        }
        return b;
    }

    /**
     * {@code dest plen src plen nexthop metric refcnt use flags iface}: addresses as 32 hex digits in
     * network order, the rest hex; every table, so local and reject routes are there too.
     */
    static List<Route> parseIpv6(String text) {
        List<Route> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || f[0].length() != 32) {
                continue;
            }
            try {
                int flags = (int) Long.parseLong(f[8], 16);
                int prefix = Integer.parseInt(f[1], 16);
                if ((flags & RTF_UP) != 0 && prefix >= 0 && prefix <= 128) {
                    out.add(new Route(f[9], ipv6(f[0]), prefix, Long.parseLong(f[5], 16), (flags & RTF_REJECT) != 0));
                }
            } catch (NumberFormatException e) {
                // a garbled line, as above
            }
        }
        return out;
    }

    private static byte[] ipv6(String hex) {
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
