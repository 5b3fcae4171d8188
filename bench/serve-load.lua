-- wrk script for bench/serve-load.sh: the requests are wrk's own (the URL and -H headers given on
-- its command line); no request() or response() hook, so wrk neither runs Lua per request nor
-- hands it every 2.5 MB body. done() prints one parsable line after the run:
--
--   wrk-result requests=N duration_s=S rps=R bytes=B p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. mean_ms=..
--     non2xx=E connect_errors=.. read_errors=.. write_errors=.. timeouts=.. socket_errors=SUM
--
-- (one line). wrk's latency percentiles are in microseconds; non2xx is wrk's errors.status, i.e. the
-- responses with a status of 400 or more (serve-load.sh counts every status from the server's
-- /metrics beside it). A request is timed from its send to its last byte read, on a connection
-- that sends its next request only then (closed loop: no coordinated-omission correction).
done = function(summary, latency, requests)
  local e = summary.errors
  local ms = function(us) return string.format("%.2f", us / 1000) end
  io.write(string.format(
    "wrk-result requests=%d duration_s=%.2f rps=%.1f bytes=%d p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s"
      .. " mean_ms=%s non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), summary.bytes,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)), ms(latency.max),
    ms(latency.mean), e.status, e.connect, e.read, e.write, e.timeout,
    e.connect + e.read + e.write + e.timeout))
end
