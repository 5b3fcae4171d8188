package org.pcipass.http;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's own counters (requests by route, method and status; their latencies as a histogram)
 * and the Prometheus text format (version 0.0.4) they and the host's gauges are written in. Every
 * metric is named {@code pcipass_…}.
 */
final class Metrics {
    /** Latency buckets' upper bounds in seconds (Prometheus's {@code le}). */
    static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private record Key(String method, String route, int status) {}

    private static final class Histogram {
        final AtomicLongArray counts = new AtomicLongArray(BUCKETS.length);
        final LongAdder count = new LongAdder();
        final LongAdder sumNanos = new LongAdder();
    }

    private final Map<Key, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();

    /** One answered request: {@code route} is the matched route's pattern (e.g. /api/devices/{address}), never the raw path. */
    void request(String method, String route, int status, long nanos) {
        requests.computeIfAbsent(new Key(method, route, status), k -> new LongAdder()).increment();
        Histogram h = latency.computeIfAbsent(route, r -> new Histogram());
        double s = nanos / 1e9;
        for (int i = 0; i < BUCKETS.length; i++) {
            if (s <= BUCKETS[i]) {
                h.counts.incrementAndGet(i);
            }
        }
        h.count.increment();
        h.sumNanos.add(nanos);
    }

    /** The request metrics, appended to {@code out}. */
    void writeRequests(StringBuilder out) {
        help(out, "pcipass_http_requests_total", "counter", "HTTP requests answered, by method, route and status");
        Map<String, Long> rows = new TreeMap<>();
        requests.forEach((k, v) -> rows.put("{method=\"" + k.method() + "\",route=\"" + escape(k.route())
                + "\",status=\"" + k.status() + "\"}", v.sum()));
        rows.forEach((labels, n) -> out.append("pcipass_http_requests_total").append(labels).append(' ').append(n)
                .append('\n'));
        help(out, "pcipass_http_request_duration_seconds", "histogram", "time to answer a request, by route");
        new TreeMap<>(latency).forEach((route, h) -> {
            String r = "route=\"" + escape(route) + "\"";
            for (int i = 0; i < BUCKETS.length; i++) {
                out.append("pcipass_http_request_duration_seconds_bucket{").append(r).append(",le=\"")
                        .append(number(BUCKETS[i])).append("\"} ").append(h.counts.get(i)).append('\n');
            }
            long n = h.count.sum();
            out.append("pcipass_http_request_duration_seconds_bucket{").append(r).append(",le=\"+Inf\"} ").append(n)
                    .append('\n');
            out.append("pcipass_http_request_duration_seconds_sum{").append(r).append("} ")
                    .append(number(h.sumNanos.sum() / 1e9)).append('\n');
            out.append("pcipass_http_request_duration_seconds_count{").append(r).append("} ").append(n).append('\n');
        });
    }

    /** The method label: one of the methods the server answers, else OTHER (no label value a client can invent). */
    static String method(String m) {
        return switch (m) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" -> m;
            default -> "OTHER";
        };
    }

    static void help(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static void gauge(StringBuilder out, String name, String labels, double value) {
        out.append(name);
        if (labels != null && !labels.isEmpty()) {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }

    /** A label value as Prometheus's text format wants it: backslash, quote and newline escaped. */
    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); // 0.000967, not 9.67E-4

    }
}
