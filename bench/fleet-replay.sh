#!/usr/bin/env bash
# The fleet scheduler's speed against Nova's (issue 13, acceptance d): Nova's own scheduler loop
# (bench/nova-oracle.sh place: PciDeviceStats.support_requests then apply_requests, first host
# that passes) with the hosts' NUMA topology and without it, then `pcipass fleet replay` on the
# same workload at -Xmx512m; prints both loop times, the ratio, whether the placements are the
# same (placements_sha256) and the java process's peak RSS.
#
# Usage: bench/fleet-replay.sh
# Env:   HOSTS=1000 REQUESTS=20000 SEED=13 PROFILE=bench   the workload (bench/nova_oracle.py generate)
#        NOVA_NUMA=1 NOVA_NO_NUMA=1   run Nova's loop with / without NUMA (0 = skip that run)
#        REUSE_NOVA=1                 take Nova's figures from an earlier run of this script
#                                     (bench/out/fleet/*.nova-*.json) instead of running Nova again;
#                                     Nova's loop with NUMA takes over an hour on the 2-core machines
#        JAVA_TOOL_OPTIONS=-Xmx512m   the JVM's options for pcipass (the launcher adds its own)
#        PCIPASS=./pcipass            the launcher (builds target/pcipass.jar when stale)
#
# The workload is generated once into bench/out/fleet/ (git-ignored; ~25 MB, ~15 s) and reused
# while its parameters stay the same. A benchmark, not a test: exits 0 whether or not the target
# (pcipass's loop at most 1/1000 of Nova's loop with NUMA, identical placements) is met, and
# non-zero only when Nova's side fails to run. A failing `fleet replay` is reported, not fatal.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

hosts="${HOSTS:-1000}"
requests="${REQUESTS:-20000}"
seed="${SEED:-13}"
profile="${PROFILE:-bench}"
pcipass="${PCIPASS:-$root/pcipass}"
export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:--Xmx512m}"
py=/usr/bin/python3

out="$root/bench/out/fleet"
name="$profile-h$hosts-r$requests-s$seed"
fleet="$out/$name.fleet.json"
reqs="$out/$name.requests.json"
mkdir -p "$out"
if [ ! -s "$fleet" ] || [ ! -s "$reqs" ] || [ "$root/bench/nova_oracle.py" -nt "$fleet" ]; then
  echo "fleet-replay: generating $name into $out ..." >&2
  bash bench/nova-oracle.sh generate --hosts "$hosts" --requests "$requests" --seed "$seed" \
    --profile "$profile" --out-fleet "$fleet.part" --out-requests "$reqs.part"
  mv "$fleet.part" "$fleet"
  mv "$reqs.part" "$reqs"
else
  echo "fleet-replay: reusing $fleet" >&2
fi

field() {  # field FILE KEY: one key of the JSON result on the file's last line, or "-"
  "$py" -c 'import json,sys
try:
    v = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2])
except Exception:
    v = None
print("-" if v is None else v)' "$1" "$2"
}

nova() {  # nova numa|nonuma: Nova's loop, its result in $out/$name.nova-$1.json
  local mode="$1" res="$out/$name.nova-$1.json"
  if [ "${REUSE_NOVA:-0}" = 1 ] && [ -s "$res" ] && [ "$res" -nt "$fleet" ]; then
    echo "fleet-replay: Nova ($mode): reusing $res of $(date -u -r "$res" '+%F %T UTC')" >&2
    return
  fi
  local extra=()
  [ "$mode" = nonuma ] && extra=(--no-numa)
  echo "fleet-replay: Nova's scheduler loop ($mode) on $name ..." >&2
  bash bench/nova-oracle.sh place --fleet "$fleet" --requests "$reqs" \
    --out "$out/$name.nova-$mode.placements.json" --progress 1000 "${extra[@]}" > "$res.part"
  mv "$res.part" "$res"
}

[ "${NOVA_NUMA:-1}" = 1 ] && nova numa
[ "${NOVA_NO_NUMA:-1}" = 1 ] && nova nonuma

# pcipass: build first (untimed, and so that the peak RSS below is the java process's, not Maven's)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/pcipass-fleet-replay.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
java_ok=0
if "$pcipass" --version >/dev/null 2>"$tmp/build.err"; then
  timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$tmp/time.txt")
  if "${timer[@]}" "$pcipass" fleet replay --fleet "$fleet" --requests "$reqs" \
       --placements-out "$tmp/pcipass.placements.json" >"$tmp/pcipass.json" 2>"$tmp/pcipass.err"; then
    java_ok=1
  fi
else
  cp "$tmp/build.err" "$tmp/pcipass.err"
fi

nn="$out/$name.nova-numa.json"
nx="$out/$name.nova-nonuma.json"
echo "workload:        $name ($hosts hosts, $requests requests; $fleet)"
for m in numa nonuma; do
  f="$out/$name.nova-$m.json"
  if [ -s "$f" ]; then
    printf 'nova %-11s loop_s %s (cpu %s s), %s support_requests calls, %s us/call; placed %s failed %s; sha256 %s\n' \
      "$m:" "$(field "$f" loop_s)" "$(field "$f" loop_cpu_s)" "$(field "$f" support_calls)" \
      "$(field "$f" us_per_call)" "$(field "$f" placed)" "$(field "$f" failed)" \
      "$(field "$f" placements_sha256)"
  else
    printf 'nova %-11s not run\n' "$m:"
  fi
done
if [ "$java_ok" = 1 ]; then
  pj="$tmp/pcipass.json"
  rss="-"
  if [ -f "$tmp/time.txt" ]; then
    rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.1f MiB", $2/1024}' "$tmp/time.txt")"
  fi
  echo "pcipass replay:  loop_s $(field "$pj" loop_s), $(field "$pj" placements_per_s) placements/s;" \
       "placed $(field "$pj" placed) failed $(field "$pj" failed); sha256 $(field "$pj" placements_sha256)"
  echo "pcipass java:    JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS, peak RSS $rss"
  "$py" - "$nn" "$nx" "$pj" <<'PY'
import json, os, sys
def last(p):
    return json.loads(open(p).read().strip().splitlines()[-1]) if os.path.getsize(p) else None
mine = last(sys.argv[3])
for label, path in (("numa", sys.argv[1]), ("no-numa", sys.argv[2])):
    if not os.path.exists(path):
        continue
    nova = last(path)
    ratio = mine["loop_s"] / nova["loop_s"]
    line = "ratio (%s):%s pcipass/nova = %.6f (1/%.0f)" % (
        label, " " * (8 - len(label)), ratio, 1 / ratio if ratio else float("inf"))
    if label == "numa":
        line += "; target <= 1/1000: %s" % ("met" if ratio <= 0.001 else "NOT met")
    print(line)
    same = mine["placements_sha256"] == nova["placements_sha256"]
    note = "" if same or label == "numa" else " (Nova without NUMA ignores numa_cells)"
    print("placements (%s): %s%s" % (label, "identical to Nova's" if same else "DIFFERENT from Nova's",
                                     note))
PY
else
  echo "pcipass replay:  FAILED (\`$pcipass fleet replay\`; its stderr follows)"
  sed 's/^/  | /' "$tmp/pcipass.err" | tail -n 15
fi
exit 0
