#!/usr/bin/env bash
# Wall time of `pcipass list --json` against `lspci -D -vmm -nn -k` on one synthetic sysfs tree.
#
# Usage: bench/vs-lspci.sh [N]          (N PCI functions, default 4096; or env N=...)
# Env:   RUNS=5     timed runs of each command (the median is reported)
#        WARMUP=2   untimed runs of each command first (page cache, dentries, CDS archive)
#        TREE=DIR   use this existing sysfs tree (DIR/bus/pci/devices) instead of generating one
#        KEEP=1     keep the generated tree (its path is printed)
#
# A benchmark, not a test: it prints the medians and the ratio pcipass/lspci and exits 0 whether or
# not the target (ratio <= 1.0) is met; it exits non-zero only when a command fails to run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${TREE:-}" ]; then TREE="$(cd "$TREE" && pwd)"; fi  # relative to the caller's directory
cd "$here"

n="${1:-${N:-4096}}"
runs="${RUNS:-5}"
warmup="${WARMUP:-2}"
lspci_bin="$(command -v lspci || true)"
[ -n "$lspci_bin" ] || { echo "vs-lspci: lspci not found (install pciutils)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "vs-lspci: python3 not found" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pcipass-bench.XXXXXX")"
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "vs-lspci: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

if [ -n "${TREE:-}" ]; then
  tree="$TREE"
  n="$(find "$tree/bus/pci/devices/" -mindepth 1 -maxdepth 1 | wc -l)"
else
  python3 bench/gen-tree.py "$tmp/tree" "$n"
  tree="$tmp/tree/sys"
fi

# Builds the jar (and its class-data-sharing archive) when the sources are newer, outside the timing.
./pcipass --version >/dev/null

# One checked run of each: both must succeed and see all N functions.
./pcipass --sysfs "$tree" list --json >"$tmp/pcipass.json" 2>"$tmp/pcipass.err" \
  || { cat "$tmp/pcipass.err" >&2; echo "vs-lspci: pcipass failed" >&2; exit 1; }
"$lspci_bin" -D -vmm -nn -k -O sysfs.path="$tree/bus/pci" -O hwdb.disable=1 >"$tmp/lspci.txt" 2>"$tmp/lspci.err" \
  || { cat "$tmp/lspci.err" >&2; echo "vs-lspci: lspci failed" >&2; exit 1; }
seen_pcipass="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/pcipass.json")"
seen_lspci="$(grep -c '^Slot:' "$tmp/lspci.txt" || true)"
if [ "$seen_pcipass" != "$n" ] || [ "$seen_lspci" != "$n" ]; then
  echo "vs-lspci: expected $n functions; pcipass listed $seen_pcipass, lspci $seen_lspci" >&2
  exit 1
fi
for f in pcipass lspci; do
  # lspci -k on a host without /lib/modules/$(uname -r) says "Unable to load libkmod resources": harmless.
  if [ -s "$tmp/$f.err" ]; then sed "s/^/vs-lspci: $f stderr: /" "$tmp/$f.err" | sort -u >&2; fi
done

# Timed runs, alternating the two commands so that drift on the machine hits both alike.
python3 - "$runs" "$warmup" "$n" "$tree" "$lspci_bin" <<'EOF'
import os, statistics, subprocess, sys, time

runs, warmup, n, tree, lspci = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
cmds = {
    "pcipass": ["./pcipass", "--sysfs", tree, "list", "--json"],
    "lspci": [lspci, "-D", "-vmm", "-nn", "-k", "-O", "sysfs.path=" + tree + "/bus/pci", "-O", "hwdb.disable=1"],
}
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
for _ in range(runs):
    for k, cmd in cmds.items():
        times[k].append(once(cmd))
busy1, own1, wall1 = cpu_busy_s(), os.times(), time.perf_counter()
own = (own1.children_user + own1.children_system + own1.user + own1.system) \
    - (own0.children_user + own0.children_system + own0.user + own0.system)
others = max(0.0, (busy1 - busy0) - own) / (wall1 - wall0)

med = {k: statistics.median(v) for k, v in times.items()}
print("pcipass vs lspci: N=%s PCI functions, %d CPUs, %d warm-up + %d timed runs each (median)"
      % (n, os.cpu_count(), warmup, runs))
print("  %-48s median %8.1f ms  (min %.1f, max %.1f)" % ("./pcipass --sysfs TREE list --json", med["pcipass"],
      min(times["pcipass"]), max(times["pcipass"])))
print("  %-48s median %8.1f ms  (min %.1f, max %.1f)" % ("lspci -D -vmm -nn -k -O sysfs.path=TREE/bus/pci",
      med["lspci"], min(times["lspci"]), max(times["lspci"])))
ratio = med["pcipass"] / med["lspci"]
print("  ratio pcipass/lspci: %.2f  (target <= 1.00: %s)" % (ratio, "met" if ratio <= 1.0 else "NOT met"))
if os.stat(jar).st_mtime_ns != jar0:
    print("  WARNING: %s was rebuilt during the timed runs (sources changed): pcipass's figures are invalid" % jar)
print("  other processes used %.2f CPUs during the timed runs%s" % (others,
      "  (busy machine: figures are inflated)" if others > 0.2 else ""))
EOF
