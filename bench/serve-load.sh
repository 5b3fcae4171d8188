#!/usr/bin/env bash
# Load on `pcipass serve`'s GET /api/devices (issue 12, acceptance c): requests per second, p50, p99
# and errors with wrk, on loopback only, for a bounded time, with the server at -Xmx128m on a tree
# of N PCI functions (the state dir holding the store with 100 assignments, as for the CLI's figures).
#
# Usage: bench/serve-load.sh [N] [DURATION]   (N functions, default 4096; DURATION of each timed
#                                               run, default 30s; or env N=..., DURATION=...)
# Env:   THREADS=2 CONNS=8   wrk's threads and connections (why these: bench/README.md)
#        WARMUP=10s          untimed wrk run of each variant first, both before the first timed run
#                            (the JIT: the answers keep getting faster for ~15 s after start)
#        ROUNDS=1            timed runs of each variant, alternated (plain, gzip, plain, gzip...)
#        JVM_OPTS="-Xmx128m" the server's JVM options (the systemd unit's: "-Xmx128m -XX:+UseSerialGC")
#        JAR=FILE            serve this jar (default target/pcipass.jar, built by ./pcipass when stale;
#                            make-state.sh uses target/pcipass.jar either way)
#        ASSIGNED=100        assignments in the store made for the run
#        KEEP=1              keep the temporary directory (state dir, tokens file, server log)
#
# The tree is generated once into bench/out/serve-tree-N/ (sys/ and root/) and reused by later runs;
# the state dir, the tokens file (one viewer token) and the server's log go to a temporary directory.
# Each variant is timed without Accept-Encoding (the whole ~2.5 MB list per answer) and with
# `Accept-Encoding: gzip` (what browsers send: the snapshot's ~94 KB gzip).
#
# A benchmark, not a test: it prints the figures and "target met" or "NOT met" (no errors and
# p99 < 50 ms in every timed run) and exits 0 either way; it exits non-zero only when something
# fails to run (the tree, the server, wrk, or the first GET not answering N devices).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${JAR:-}" ]; then JAR="$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")"; fi
cd "$here"

n="${1:-${N:-4096}}"
duration="${2:-${DURATION:-30s}}"
threads="${THREADS:-2}"
conns="${CONNS:-8}"
warmup="${WARMUP:-10s}"
rounds="${ROUNDS:-1}"
jvm_opts="${JVM_OPTS:--Xmx128m}"
assigned="${ASSIGNED:-100}"
case "$duration" in *[0-9]) duration="${duration}s" ;; esac
case "$warmup" in *[0-9]) warmup="${warmup}s" ;; esac
command -v wrk >/dev/null || { echo "serve-load: wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "serve-load: python3 not found" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pcipass-serve-load.XXXXXX")"
server_pid=""
py_pid=""
cleanup() {
  if [ -n "$py_pid" ] && kill -0 "$py_pid" 2>/dev/null; then  # interrupted mid-run: its wrk, then it
    pkill -TERM -P "$py_pid" 2>/dev/null || true
    kill -TERM "$py_pid" 2>/dev/null || true
    wait "$py_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "serve-load: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The tree: made once per N in bench/out/ (~3 s and ~100,000 files at 4,096), then reused.
treedir="$here/bench/out/serve-tree-$n"
if [ ! -f "$treedir/.complete" ]; then
  rm -rf "$treedir" "$treedir.part"
  mkdir -p "$here/bench/out"
  python3 bench/gen-tree.py "$treedir.part" "$n"
  touch "$treedir.part/.complete"
  mv "$treedir.part" "$treedir"
fi
tree="$treedir/sys"
root="$treedir/root"

# The jar (built by the wrapper when the sources are newer), and the state dir (make-state.sh).
if [ -z "${JAR:-}" ]; then
  ./pcipass --version >/dev/null
  jar="$here/target/pcipass.jar"
else
  [ -f "$JAR" ] || { echo "serve-load: JAR $JAR is not a file" >&2; exit 1; }
  jar="$JAR"
fi
state="$tmp/state"
if [ "$assigned" -gt 0 ]; then
  bench/make-state.sh "$tree" "$state" "$assigned" >&2
else
  mkdir -p "$state"
fi

# One viewer token in a tokens file of our own (pcipass makes it mode 0600); the secret stays in $tmp.
java -jar "$jar" --state-dir "$state" token add bench --role viewer --token-file "$tmp/tokens" \
  >"$tmp/secret" 2>"$tmp/token.err" || { cat "$tmp/token.err" >&2; echo "serve-load: token add failed" >&2; exit 1; }
secret="$(head -n1 "$tmp/secret")"
[ -n "$secret" ] || { echo "serve-load: token add printed no secret" >&2; exit 1; }

# The server, in the background on a free loopback port; ready once it prints its "serving" line.
# shellcheck disable=SC2086  # JVM_OPTS is a list of options
java $jvm_opts -jar "$jar" --sysfs "$tree" --config-root "$root" --state-dir "$state" \
  serve --listen 127.0.0.1:0 --token-file "$tmp/tokens" >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
url=""
for _ in $(seq 240); do
  url="$(grep -o -m1 'serving http://127\.0\.0\.1:[0-9]*/' "$tmp/server.err" | sed 's/^serving //' || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$tmp/server.err" >&2; echo "serve-load: the server exited before serving" >&2; exit 1
  fi
  sleep 0.5
done
[ -n "$url" ] || { cat "$tmp/server.err" >&2; echo "serve-load: no 'serving' line after 120 s" >&2; exit 1; }
endpoint="${url}api/devices"
echo "serve-load: server pid $server_pid at $url (java $jvm_opts), tree $tree" >&2

# Measured in Python: the checked first GETs, the wrk runs, and what the machine did meanwhile. In the
# background and waited for, so that a TERM or INT sent to this script alone stops it at once.
python3 - "$endpoint" "$secret" "$n" "$server_pid" "$threads" "$conns" "$warmup" "$duration" "$rounds" \
  "$here/bench/serve-load.lua" "$jvm_opts" "$state" <<'EOF' &
import gzip, json, os, re, shutil, subprocess, sys, time, urllib.request

(endpoint, secret, n, pid, threads, conns, warmup, duration, rounds, lua, jvm_opts, state) = sys.argv[1:13]
n, pid, rounds = int(n), int(pid), int(rounds)
base = endpoint[: endpoint.index("/api/")]
auth = "Authorization: Bearer " + secret
variants = [("plain", []), ("gzip", ["-H", "Accept-Encoding: gzip"])]

def die(msg):
    sys.exit("serve-load: " + msg)

def get(url, headers):
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()

# The first GETs, checked: 200, JSON, N devices; the gzip answer is the same list.
h = {"Authorization": "Bearer " + secret}
status, headers, plain = get(endpoint, h)
if status != 200:
    die("GET %s answered %d" % (endpoint, status))
try:
    devices = json.loads(plain)
except ValueError as e:
    die("GET %s is not JSON: %s" % (endpoint, e))
if not isinstance(devices, list) or len(devices) != n:
    die("GET %s listed %s devices, expected %d" % (endpoint, len(devices) if isinstance(devices, list) else "no", n))
status, gheaders, packed = get(endpoint, dict(h, **{"Accept-Encoding": "gzip"}))
if status != 200 or gheaders.get("Content-Encoding") != "gzip" or gzip.decompress(packed) != plain:
    die("GET %s with Accept-Encoding: gzip did not answer the same list gzipped" % endpoint)
owned = sum(1 for d in devices if d.get("owner"))
print("serve-load: GET /api/devices: 200, %d devices (%d with an owner), %.2f MB; gzipped %.1f KB; state dir %s"
      % (len(devices), owned, len(plain) / 1e6, len(packed) / 1e3, " ".join(sorted(os.listdir(state)))))

def statuses():
    # GET /api/devices answers by status, from the server's own counters (/metrics: no token from loopback).
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        text = r.read().decode()
    out = {}
    for m in re.finditer(r'^pcipass_http_requests_total\{method="GET",route="/api/devices",status="(\d+)"\} (\d+)$',
                         text, re.M):
        out[m.group(1)] = int(m.group(2))
    return out

def proc_cpu(p):
    with open("/proc/%d/stat" % p) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")

def busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")

jstat = shutil.which("jstat")
def gc():
    # young and full (or concurrent) collections so far and their time (jstat -gc: YGC YGCT FGC FGCT CGC CGCT)
    if not jstat:
        return None
    r = subprocess.run([jstat, "-gc", str(pid)], capture_output=True, text=True)
    lines = r.stdout.split("\n")
    if r.returncode != 0 or len(lines) < 2:
        return None
    row = dict(zip(lines[0].split(), lines[1].split()))
    try:  # a column the collector lacks (CGC with the serial collector) is "-"
        return {k: float(row[k]) if row.get(k, "-") != "-" else 0.0 for k in ("YGC", "YGCT", "FGC", "FGCT", "CGC", "CGCT")}
    except ValueError:
        return None

def wrk(label, extra, dur):
    cmd = ["wrk", "-t", threads, "-c", conns, "-d", dur, "--timeout", "5s", "-s", lua, "-H", auth] + extra + [endpoint]
    r = subprocess.run(cmd, capture_output=True, text=True)
    line = next((l for l in r.stdout.splitlines() if l.startswith("wrk-result ")), None)
    if r.returncode != 0 or line is None:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
        die("wrk failed (%s, exit %d)" % (label, r.returncode))
    return dict(kv.split("=", 1) for kv in line.split()[1:]), line

for label, extra in variants:
    wrk(label + " warm-up", extra, warmup)

print("serve-load: N=%d, %d CPUs, wrk -t %s -c %s -d %s (after %s of warm-up each), server java %s"
      % (n, os.cpu_count(), threads, conns, duration, warmup, jvm_opts))
met = True
busiest = 0.0
for rnd in range(1, rounds + 1):
    for label, extra in variants:
        st0, gc0 = statuses(), gc()
        b0, s0, own0, w0, load0 = busy(), proc_cpu(pid), os.times(), time.perf_counter(), os.getloadavg()[0]
        res, line = wrk(label, extra, duration)
        b1, s1, own1, w1 = busy(), proc_cpu(pid), os.times(), time.perf_counter()
        st1, gc1 = statuses(), gc()
        own = (own1.children_user + own1.children_system + own1.user + own1.system) \
            - (own0.children_user + own0.children_system + own0.user + own0.system)
        server_cpu = (s1 - s0) / (w1 - w0)
        others = max(0.0, (b1 - b0) - (s1 - s0) - own) / (w1 - w0)
        answered = {k: st1.get(k, 0) - st0.get(k, 0) for k in set(st0) | set(st1)}
        not_ok = sum(v for k, v in answered.items() if not k.startswith("2"))
        errors = int(res["non2xx"]) + int(res["socket_errors"]) + not_ok
        ok = errors == 0 and float(res["p99_ms"]) < 50
        met = met and ok
        busiest = max(busiest, others)
        print("serve-load: %-5s run %d: %8.1f req/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms  "
              "%.0f MB/s  errors: non-2xx %d (wrk, status >= 400), socket %s (connect %s, read %s, write %s, "
              "timeout %s); target (no errors, p99 < 50 ms): %s"
              % (label, rnd, float(res["rps"]), float(res["p50_ms"]), float(res["p90_ms"]), float(res["p99_ms"]),
                 float(res["max_ms"]), int(res["bytes"]) / float(res["duration_s"]) / 1e6, int(res["non2xx"]),
                 res["socket_errors"], res["connect_errors"], res["read_errors"], res["write_errors"],
                 res["timeouts"], "met" if ok else "NOT met"))
        gctext = "jstat unavailable"
        if gc0 and gc1:
            gctext = "young %d (%.0f ms), full %d (%.0f ms), concurrent %d" % (
                gc1["YGC"] - gc0["YGC"], 1000 * (gc1["YGCT"] - gc0["YGCT"]), gc1["FGC"] - gc0["FGC"],
                1000 * (gc1["FGCT"] - gc0["FGCT"]), gc1["CGC"] - gc0["CGC"])
        print("serve-load:        server answered %s; server CPU %.2f, wrk %.2f, other processes %.2f CPUs%s; "
              "load %.2f -> %.2f; GC: %s"
              % (", ".join("%d x %s" % (v, k) for k, v in sorted(answered.items())) or "nothing", server_cpu,
                 own / (w1 - w0), others, "  (busy machine: figures are inflated)" if others > 0.2 else "",
                 load0, os.getloadavg()[0], gctext))
        print("serve-load:        " + line.replace("wrk-result", "wrk-result variant=%s run=%d" % (label, rnd)))

status = {}
with open("/proc/%d/status" % pid) as f:
    for l in f:
        k, _, v = l.partition(":")
        status[k] = v.strip()
print("serve-load: server RSS: peak (VmHWM) %s, now (VmRSS) %s; threads %s" % (status.get("VmHWM"),
      status.get("VmRSS"), status.get("Threads")))
print("serve-load: target (no errors, p99 < 50 ms in every timed run): %s%s" % ("met" if met else "NOT met",
      "" if met or busiest <= 0.2 else " (other processes used up to %.2f CPUs during a run: the tail is theirs as much as"
      " the server's; run again on a quiet machine)" % busiest))
EOF
py_pid=$!
wait "$py_pid"
py_pid=""

# Anything the server said besides its "serving" line (warnings, exceptions).
if grep -v 'pcipass: serving ' "$tmp/server.err" | grep -q .; then
  grep -v 'pcipass: serving ' "$tmp/server.err" | head -n 20 | sed 's/^/serve-load: server stderr: /' >&2
fi
