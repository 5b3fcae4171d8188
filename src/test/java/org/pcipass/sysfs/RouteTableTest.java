package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel's choice of interface from /proc/net/route and /proc/net/ipv6_route, as the files are written. */
class RouteTableTest {
    private static final String V4_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
    private static final String ZERO = "0".repeat(32);

    /** A /proc/net/route line as an x86 kernel writes it (addresses little-endian). */
    private static String v4(String iface, String dest, String mask, int flags, int metric) {
        return String.format("%s\t%s\t00000000\t%04X\t0\t0\t%d\t%s\t0\t0\t0%n", iface, le(dest), flags, metric, le(mask));
    }

    private static String le(String dotted) {
        String[] p = dotted.split("\\.");
        return String.format("%02X%02X%02X%02X", Integer.parseInt(p[3]), Integer.parseInt(p[2]), Integer.parseInt(p[1]),
                Integer.parseInt(p[0]));
    }

    private static String v6(String dest, int plen, long metric, int flags, String iface) {
        return String.format("%s %02x %s 00 %s %08x 00000001 00000000 %08x %8s%n", dest, plen, ZERO, ZERO, metric, flags,
                iface);
    }

    private static RouteTable table(String v4, String v6) {
        List<RouteTable.Route> r = new ArrayList<>(RouteTable.parseIpv4(V4_HEADER + v4, ByteOrder.LITTLE_ENDIAN));
        r.addAll(RouteTable.parseIpv6(v6));
        return new RouteTable(r);
    }

    private static InetAddress ip(String text) {
        return NetworkServers.literal(text);
    }

    @Test
    void theLongestPrefixWinsWhateverTheOrderOrMetric() {
        RouteTable t = table(v4("eth0", "0.0.0.0", "0.0.0.0", 3, 0) + v4("eth0", "10.0.0.0", "255.0.0.0", 3, 0)
                + v4("eth1", "10.1.0.0", "255.255.0.0", 3, 500) + v4("eth2", "10.1.9.9", "255.255.255.255", 7, 0), "");
        assertThat(t.interfacesTo(ip("10.1.2.3"))).containsExactly("eth1");
        assertThat(t.interfacesTo(ip("10.1.9.9"))).containsExactly("eth2");
        assertThat(t.interfacesTo(ip("10.2.0.1"))).containsExactly("eth0");
        assertThat(t.interfacesTo(ip("192.0.2.1"))).containsExactly("eth0");
    }

    @Test
    void theLowestMetricBreaksATieAndEqualRoutesAllCount() {
        RouteTable t = table(v4("eth0", "10.1.0.0", "255.255.0.0", 3, 200) + v4("eth1", "10.1.0.0", "255.255.0.0", 3, 100)
                + v4("eth2", "10.2.0.0", "255.255.0.0", 1, 100) + v4("eth3", "10.2.0.0", "255.255.0.0", 1, 100), "");
        assertThat(t.interfacesTo(ip("10.1.2.3"))).containsExactly("eth1");
        assertThat(t.interfacesTo(ip("10.2.2.3"))).containsExactly("eth2", "eth3");
    }

    @Test
    void aRejectRouteOrNoRouteMeansUnreachableAndADownRouteIsIgnored() {
        RouteTable t = table(v4("eth0", "0.0.0.0", "0.0.0.0", 3, 0) + v4("*", "203.0.113.0", "255.255.255.0", 0x201, 0)
                + v4("eth1", "198.51.100.0", "255.255.255.0", 0, 0), "");
        assertThat(t.interfacesTo(ip("203.0.113.9"))).isEmpty();
        assertThat(t.interfacesTo(ip("198.51.100.7"))).as("not RTF_UP").containsExactly("eth0");
        assertThat(table("", "").interfacesTo(ip("10.1.2.3"))).isEmpty();
        assertThat(table("", "").interfacesTo(ip("fd00::1"))).isEmpty();
    }

    @Test
    void aBigEndianHostWritesAddressesInNetworkOrder() {
        String line = "eth1\t0A010000\t00000000\t0001\t0\t0\t0\tFFFF0000\t0\t0\t0\n";
        RouteTable t = new RouteTable(RouteTable.parseIpv4(V4_HEADER + line, ByteOrder.BIG_ENDIAN));
        assertThat(t.interfacesTo(ip("10.1.2.3"))).containsExactly("eth1");
        assertThat(t.interfacesTo(ip("10.2.2.3"))).isEmpty();
    }

    @Test
    void ipv6RoutesMatchPrefixesThatEndInsideAByte() {
        RouteTable t = table("", v6("fd000005000000000000000000000000", 64, 256, 1, "eth1")
                + v6("fd000000000000000000000000000000", 12, 1024, 1, "eth2")
                + v6(ZERO, 0, 0xffffffffL, 0x00200200, "lo")
                + v6("fd000005000000000000000000000010", 128, 0, 0x80200001, "lo"));
        assertThat(t.interfacesTo(ip("fd00:5::20"))).containsExactly("eth1");
        assertThat(t.interfacesTo(ip("fd0f:1::1"))).as("fd00::/12 holds fd0f::").containsExactly("eth2");
        assertThat(t.interfacesTo(ip("fd10::1"))).as("the reject default route on lo").isEmpty();
        assertThat(t.interfacesTo(ip("fd00:5::10"))).as("the host's own address").containsExactly("lo");
        assertThat(t.interfacesTo(ip("10.1.2.3"))).isEmpty();
    }

    @Test
    void defaultInterfacesAreTheUsableDefaultRoutesWithoutLoopback() {
        RouteTable t = table(v4("br0", "0.0.0.0", "0.0.0.0", 3, 100) + v4("eth9", "0.0.0.0", "0.0.0.0", 0x201, 0),
                v6(ZERO, 0, 1024, 3, "eth1") + v6(ZERO, 0, 0xffffffffL, 0x00200200, "lo"));
        assertThat(t.defaultInterfaces()).containsExactly("br0", "eth1");
    }

    @Test
    void garbledLinesAreSkipped() {
        RouteTable t = table("\n\t\neth9\neth9\tZZZZ0000\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                + "eth9\t0302010A\t00000000\tzz\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n"
                + "eth9\t0302010A\t00000000\t0005\t0\t0\tx\tFFFFFFFF\t0\t0\t0\n"
                + "eth9\t0302010A0\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n"
                + v4("eth1", "10.1.0.0", "255.255.0.0", 1, 0),
                "fd00 40 garbage\n" + "g".repeat(32) + " 80 " + ZERO + " 00 " + ZERO + " 0 0 0 1 eth9\n"
                        + "fd000005000000000000000000000000 -1 " + ZERO + " 00 " + ZERO + " 0 0 0 1 eth9\n"
                        + v6("fd000005000000000000000000000000", 64, 256, 1, "eth1"));
        assertThat(t.interfacesTo(ip("10.1.2.3"))).containsExactly("eth1");
        assertThat(t.interfacesTo(ip("fd00:5::10"))).containsExactly("eth1");
    }
}
