#!/usr/bin/env bash
# Wall time of `pcipass list --json` against `lspci -D -vmm -nn -k` on one synthetic sysfs tree,
# with pcipass's state dir holding the store with 100 assignments and the owners file.
#
# Usage: bench/vs-lspci.sh [N]          (N PCI functions, default 4096; or env N=...)
# Env:   RUNS=5     timed runs of each command (the median is reported)
#        WARMUP=2   untimed runs of each command first (page cache, dentries, CDS archive)
#        MIX=KINDS  gen-tree.py --mix (e.g. MIX=gpu,nvme with N=6: a small host)
#        TREE=DIR   use this existing sysfs tree (DIR/bus/pci/devices) instead of generating one
#        STATE=DIR  use this existing state dir instead of making one (bench/make-state.sh)
#        ASSIGNED=100  assignments in the store made for the run (0: an empty state dir, no store)
#        KEEP=1     keep the generated tree and state dir (their path is printed)
#        HELLO=1    also time a hello-world JVM started with the wrapper's JVM flags
#        BEFORE_JAR=FILE  also time this jar (e.g. bench/build-before.sh's) and, to compare like with
#                   like, the checkout's jar, both run directly with the wrapper's JVM flags and each
#                   with its own class-data-sharing archive made as the wrapper makes it
#
# A benchmark, not a test: it prints the medians and the ratio pcipass/lspci and exits 0 whether or
# not the target (ratio <= 1.0) is met; it exits non-zero only when a command fails to run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${TREE:-}" ]; then TREE="$(cd "$TREE" && pwd)"; fi  # relative to the caller's directory
if [ -n "${STATE:-}" ]; then STATE="$(cd "$STATE" && pwd)"; fi
if [ -n "${BEFORE_JAR:-}" ]; then BEFORE_JAR="$(cd "$(dirname "$BEFORE_JAR")" && pwd)/$(basename "$BEFORE_JAR")"; fi
cd "$here"

n="${1:-${N:-4096}}"
runs="${RUNS:-5}"
warmup="${WARMUP:-2}"
assigned="${ASSIGNED:-100}"
lspci_bin="$(command -v lspci || true)"
[ -n "$lspci_bin" ] || { echo "vs-lspci: lspci not found (install pciutils)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "vs-lspci: python3 not found" >&2; exit 1; }
if [ -n "${BEFORE_JAR:-}" ] && [ ! -f "$BEFORE_JAR" ]; then
  echo "vs-lspci: BEFORE_JAR $BEFORE_JAR is not a file; build one with bench/build-before.sh COMMIT" >&2; exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pcipass-bench.XXXXXX")"
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "vs-lspci: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

if [ -n "${TREE:-}" ]; then
  tree="$TREE"
  n="$(find "$tree/bus/pci/devices/" -mindepth 1 -maxdepth 1 | wc -l)"
else
  python3 bench/gen-tree.py "$tmp/tree" "$n" ${MIX:+--mix "$MIX"}
  tree="$tmp/tree/sys"
fi

# Builds the jar (and its class-data-sharing archive) when the sources are newer, outside the timing.
./pcipass --version >/dev/null

if [ -n "${STATE:-}" ]; then
  state="$STATE"
elif [ "$assigned" -gt 0 ]; then
  state="$tmp/state"
  bench/make-state.sh "$tree" "$state" "$assigned"
else
  state="$tmp/state"
  mkdir -p "$state"
fi

# The wrapper's JVM flags (its opts=(...) line), for the jars run directly and the hello-world JVM.
opts_line="$(grep -m1 '^opts=(' pcipass || true)"
[ -n "$opts_line" ] || { echo "vs-lspci: no opts=(...) line in ./pcipass to take the JVM flags from" >&2; exit 1; }
eval "$opts_line"
jvm_flags="${opts[*]}"

extra=()
if [ "${HELLO:-0}" = 1 ]; then
  mkdir -p "$tmp/hello"
  printf 'public class Hello { public static void main(String[] a) { System.out.println("hello, world"); } }\n' \
    >"$tmp/hello/Hello.java"
  javac -d "$tmp/hello" "$tmp/hello/Hello.java"
  extra+=(hello "java $jvm_flags -cp $tmp/hello Hello")
fi
if [ -n "${BEFORE_JAR:-}" ]; then
  # The before-jar's own CDS archive, made as its wrapper made it (a listing of the real /sys).
  before_jsa="$tmp/before.jsa"
  java -XX:ArchiveClassesAtExit="$before_jsa" -Xshare:auto -jar "$BEFORE_JAR" list --json >/dev/null 2>&1 \
    || rm -f "$before_jsa"
  before_cds=""; [ -f "$before_jsa" ] && before_cds="-XX:SharedArchiveFile=$before_jsa -Xshare:auto"
  now_cds=""; [ -f target/pcipass.jsa ] && now_cds="-XX:SharedArchiveFile=$here/target/pcipass.jsa -Xshare:auto"
  extra+=(jar "java $jvm_flags $now_cds -jar $here/target/pcipass.jar --sysfs $tree --state-dir $state list --json")
  extra+=(before "java $jvm_flags $before_cds -jar $BEFORE_JAR --sysfs $tree --state-dir $state list --json")
fi

# One checked run of each: both must succeed, see all N functions and agree on every one.
./pcipass --sysfs "$tree" --state-dir "$state" list --json >"$tmp/pcipass.json" 2>"$tmp/pcipass.err" \
  || { cat "$tmp/pcipass.err" >&2; echo "vs-lspci: pcipass failed" >&2; exit 1; }
"$lspci_bin" -D -vmm -nn -k -O sysfs.path="$tree/bus/pci" -O hwdb.disable=1 >"$tmp/lspci.txt" 2>"$tmp/lspci.err" \
  || { cat "$tmp/lspci.err" >&2; echo "vs-lspci: lspci failed" >&2; exit 1; }
seen_pcipass="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/pcipass.json")"
seen_lspci="$(grep -c '^Slot:' "$tmp/lspci.txt" || true)"
if [ "$seen_pcipass" != "$n" ] || [ "$seen_lspci" != "$n" ]; then
  echo "vs-lspci: expected $n functions; pcipass listed $seen_pcipass, lspci $seen_lspci" >&2
  exit 1
fi
python3 bench/agree.py "$tmp/pcipass.json" "$tmp/lspci.txt" >&2
owned="$(python3 -c 'import json,sys; print(sum(1 for d in json.load(open(sys.argv[1])) if d.get("owner")))' "$tmp/pcipass.json")"
echo "vs-lspci: state dir $state: $(ls "$state" | tr '\n' ' ')($owned listed functions have an owner)" >&2
for f in pcipass lspci; do
  # lspci -k on a host without /lib/modules/$(uname -r) says "Unable to load libkmod resources": harmless.
  if [ -s "$tmp/$f.err" ]; then sed "s/^/vs-lspci: $f stderr: /" "$tmp/$f.err" | sort -u >&2; fi
done

# Timed runs, alternating the commands so that drift on the machine hits all alike.
python3 - "$runs" "$warmup" "$n" "$tree" "$lspci_bin" "$state" ${extra[@]+"${extra[@]}"} <<'EOF'
import os, shlex, statistics, subprocess, sys, time

runs, warmup, n, tree, lspci, state = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
cmds = {
    "pcipass": ["./pcipass", "--sysfs", tree, "--state-dir", state, "list", "--json"],
    "lspci": [lspci, "-D", "-vmm", "-nn", "-k", "-O", "sysfs.path=" + tree + "/bus/pci", "-O", "hwdb.disable=1"],
}
labels = {
    "pcipass": "./pcipass --sysfs TREE --state-dir STATE list --json",
    "lspci": "lspci -D -vmm -nn -k -O sysfs.path=TREE/bus/pci",
    "jar": "java FLAGS -jar target/pcipass.jar ... list --json",
    "before": "java FLAGS -jar BEFORE_JAR ... list --json",
    "hello": "java FLAGS Hello (hello-world JVM)",
}
extra = sys.argv[7:]
for k, cmd in zip(extra[0::2], extra[1::2]):
    cmds[k] = shlex.split(cmd)
null = subprocess.DEVNULL

def once(cmd):
    t0 = time.perf_counter_ns()
    r = subprocess.run(cmd, stdout=null, stderr=subprocess.PIPE)
    t1 = time.perf_counter_ns()
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace")[-2000:])
        sys.exit("vs-lspci: %s exited %d" % (" ".join(cmd), r.returncode))
    return (t1 - t0) / 1e6

def cpu_busy_s():
    # All CPUs' busy time (user, nice, system, irq, softirq, steal) since boot, in seconds.
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")

for _ in range(warmup):
    for cmd in cmds.values():
        once(cmd)

times = {k: [] for k in cmds}
jar = "target/pcipass.jar"
jar0 = os.stat(jar).st_mtime_ns
busy0, own0, wall0 = cpu_busy_s(), os.times(), time.perf_counter()
load0 = os.getloadavg()[0]
for _ in range(runs):
    for k, cmd in cmds.items():
        times[k].append(once(cmd))
busy1, own1, wall1 = cpu_busy_s(), os.times(), time.perf_counter()
own = (own1.children_user + own1.children_system + own1.user + own1.system) \
    - (own0.children_user + own0.children_system + own0.user + own0.system)
others = max(0.0, (busy1 - busy0) - own) / (wall1 - wall0)

med = {k: statistics.median(v) for k, v in times.items()}
print("pcipass vs lspci: N=%s PCI functions, %d CPUs, %d warm-up + %d timed runs each (median), state dir with %s"
      % (n, os.cpu_count(), warmup, runs, " ".join(sorted(os.listdir(state))) or "nothing"))
for k in cmds:
    print("  %-52s median %8.1f ms  (min %.1f, max %.1f)" % (labels[k], med[k], min(times[k]), max(times[k])))
ratio = med["pcipass"] / med["lspci"]
if int(n) >= 4096:
    print("  ratio pcipass/lspci: %.2f  (target <= 1.00: %s)" % (ratio, "met" if ratio <= 1.0 else "NOT met"))
else:  # a small host's target is the earlier commit's time (BEFORE_JAR), not lspci's
    print("  ratio pcipass/lspci: %.2f  (the 1.00 target is for 4,096 functions)" % ratio)
if "before" in med:
    print("  ratio jar/lspci: %.2f   jar/before: %.3f  (this checkout's jar against BEFORE_JAR, same flags; "
          "<= 1 is no slower)" % (med["jar"] / med["lspci"], med["jar"] / med["before"]))
    wins = sum(1 for a, b in zip(times["jar"], times["before"]) if a <= b)
    print("  jar faster than before in %d of %d alternated pairs" % (wins, runs))
if "hello" in med:
    print("  pcipass - hello-world JVM: %.1f ms" % (med["pcipass"] - med["hello"]))
if os.stat(jar).st_mtime_ns != jar0:
    print("  WARNING: %s was rebuilt during the timed runs (sources changed): pcipass's figures are invalid" % jar)
print("  other processes used %.2f CPUs during the timed runs%s; load average %.2f at the start, %.2f at the end"
      % (others, "  (busy machine: figures are inflated)" if others > 0.2 else "", load0, os.getloadavg()[0]))
EOF
