#!/usr/bin/env bash
# JMH benchmark of the in-process scan (src/test/java/org/pcipass/bench/ScanBench.java) of a
# synthetic tree of 4,096 PCI functions: average time per scan, in milliseconds.
#
# Usage: bench/jmh.sh [JMH options...]        e.g. N=1024 bench/jmh.sh   or   bench/jmh.sh -i 10 -r 5
# Env:   N=4096        PCI functions in the tree generated (once, by bench/gen-tree.py) for the run
#        TREE=DIR      scan this existing sysfs tree (DIR/bus/pci/devices) instead of generating one
#        BENCH=REGEX   only the ScanBench methods matching REGEX (e.g. BENCH=deviceScan)
#   Extra arguments go to org.openjdk.jmh.Main and replace the defaults they name (-f 1 -wi 3 -i 5
#   -bm avgt -tu ms -rf json -rff bench/out/jmh.json). A benchmark, never a test gate.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${TREE:-}" ]; then TREE="$(cd "$TREE" && pwd)"; fi  # relative to the caller's directory
cd "$here"
mkdir -p bench/out

mvn -q -B -DskipTests test-compile
if [ ! -s target/test-classes/META-INF/BenchmarkList ] \
   || ! grep -q 'org.pcipass.bench.ScanBench' target/test-classes/META-INF/BenchmarkList; then
  echo "jmh.sh: target/test-classes/META-INF/BenchmarkList has no ScanBench entry: the JMH annotation" \
       "processor (jmh-generator-annprocess) did not run during test-compile" >&2
  exit 1
fi
cp_file=bench/out/jmh.classpath
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2

given() { local a; for a in "${@:2}"; do [ "$a" = "$1" ] && return 0; done; return 1; }

# One tree for every benchmark's fork (ScanBench generates its own only when given none).
times_file="$(mktemp)"
gen_dir=""
cleanup() { rm -f "$times_file"; if [ -n "$gen_dir" ]; then rm -rf "$gen_dir"; fi; }
trap cleanup EXIT
if [ -z "${TREE:-}" ]; then
  gen_dir="$(mktemp -d "${TMPDIR:-/tmp}/pcipass-jmh.XXXXXX")"
  python3 bench/gen-tree.py "$gen_dir/tree" "${N:-4096}"
  TREE="$gen_dir/tree/sys"
  given -p "$@" || set -- -p "n=${N:-4096}" "$@"  # the score's label; the tree decides the count
fi
tree_opt=(-jvmArgsAppend "-Dpcipass.bench.sysfs=$TREE")
# CPU time of all processes (ticks) and of this script's children (s): to tell whether other work
# on the machine ran alongside and inflated the scores.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
# `times` must run in this shell (a subshell has no children): its second line, e.g. "0m3.1s 0m9.2s".
own_s() { times >"$times_file"; own="$(awk 'NR==2{for(i=1;i<=2;i++){split($i,a,/[ms]/); t+=a[1]*60+a[2]}; print t}' "$times_file")"; }
busy0="$(busy_ticks)"; own_s; own0="$own"; t0="$(date +%s%N)"

# JMH refuses an option given twice: a default goes in only when the caller did not give it.
args=("org\.pcipass\.bench\.ScanBench\.(${BENCH:-.*})\$")
for d in "-f 1" "-wi 3" "-i 5" "-bm avgt" "-tu ms" "-rf json" "-rff bench/out/jmh.json"; do
  given "${d%% *}" "$@" || args+=(${d})
done
java -cp "target/test-classes:target/classes:$(cat "$cp_file")" org.openjdk.jmh.Main \
  "${args[@]}" ${tree_opt[@]+"${tree_opt[@]}"} "$@"

busy1="$(busy_ticks)"; own_s; own1="$own"; t1="$(date +%s%N)"
awk -v b="$((busy1 - busy0))" -v hz="$(getconf CLK_TCK)" -v o="$own1" -v o0="$own0" -v ns="$((t1 - t0))" 'BEGIN {
  x = (b / hz - (o - o0)) / (ns / 1e9); if (x < 0) x = 0
  printf "jmh.sh: other processes used %.2f CPUs during the run%s\n", x, (x > 0.2 ? " (busy machine: scores are inflated)" : "")
}' >&2
