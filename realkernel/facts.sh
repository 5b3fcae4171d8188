# Sourced first by the scenario scripts that run in the machines (scenarios.sh and cycles.sh in the
# KVM host, xen-scenarios.sh in the Xen dom0, libvirt-scenarios.sh), with the arguments init.sh gives
# them: RESULTS REPO PHASE JAVA CYCLES. How a scenario runs pcipass and writes down what it saw:
# RESULTS/facts holds KEY=VALUE lines; each command run through `run NAME` leaves NAME.out, NAME.err
# and NAME.exit in RESULTS. Nothing here judges: the JUnit side reads RESULTS and asserts.
results="$1"
repo="$2"
phase="${3:-1}"
java_bin="${4:-java}"     # the JDK that runs Maven on the host (the stage script)
cycles="${5:-20}"         # cycles.sh's hide/unhide cycles (PCIPASS_REAL_KERNEL_CYCLES on the host)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
cd /tmp || exit 1
facts="$results/facts"
devices=/sys/bus/pci/devices
jar="$repo/target/pcipass.jar"

# The JVM options of every pcipass here: the ./pcipass wrapper's, tuned for TCG, where a short command
# spends more time compiling than interpreting and every page a JVM touches costs a trap: C1 with ten
# times its thresholds, a 16 MB young generation and no initial heap size (the wrapper's -Xms256m
# -Xmn160m let a listing of thousands of devices run without a collection; in the Xen dom0 they cost
# 0.8 s per JVM). Measured under TCG: help 2.0-3.0 s -> 1.2-1.8 s, list 3.5-4.1 -> 2.1-3.3,
# assignments 5.0-8.0 -> 3.5-4.6. Behaviour is the wrapper's: these options only tune the JVM.
stage_jvm=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=10 -XX:-UsePerfData -Xmn16m)
jvm=("${stage_jvm[@]}")

# pcipass as the host's JDK runs its jar, with those options (and, once the scenario made one, a
# class-data archive: a JVM starts in seconds under TCG)
pcipass() {
  "$java_bin" "${jvm[@]}" -jar "$jar" "$@"
}
# the same in place of the calling (sub)shell, so that a background job's pid is the JVM's
pcipass_exec() {
  exec "$java_bin" "${jvm[@]}" -jar "$jar" "$@"
}
# archiving FILE ARGS...: `pcipass ARGS` (its output and exit code are the caller's) dumping a
# class-data archive of the classes it loads to FILE, which every later pcipass here starts from
archiving() {
  local file="$1" rc
  shift
  "$java_bin" "${jvm[@]}" -XX:ArchiveClassesAtExit="$file" -Xshare:auto -jar "$jar" "$@"
  rc=$?
  [ -f "$file" ] && jvm+=(-XX:SharedArchiveFile="$file" -Xshare:auto)
  return "$rc"
}
# archive FILE ARGS...: the same for a command that changes nothing, its output dropped. Start-up
# only: no scenario depends on it.
archive() {
  local t0
  t0=$(now_ms)
  archiving "$@" > /dev/null 2> "$results/archive.err"
  fact archive.ms $(( $(now_ms) - t0 ))
}
# keep_archive FILE: that archive, kept on the results share for the machine's next boot (a disk)
keep_archive() { if [ -f "$1" ]; then cp "$1" "$results/kept.jsa" 2>/dev/null || true; fi; }
# kept_archive: the archive the previous boot kept, used by every later pcipass here
kept_archive() {
  if cp "$results/kept.jsa" /run/pcipass-kept.jsa 2>/dev/null; then
    jvm+=(-XX:SharedArchiveFile=/run/pcipass-kept.jsa -Xshare:auto)
  fi
}

fact() { echo "$1=$2" >> "$facts"; }
# poll TRIES INTERVAL CMD...: CMD until it succeeds, at most TRIES times, INTERVAL seconds apart
poll() {
  local tries="$1" interval="$2" i
  shift 2
  for i in $(seq 1 "$tries"); do
    "$@" && return 0
    sleep "$interval"
  done
  return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# run NAME CMD...: CMD's stdout, stderr and exit code into RESULTS/NAME.{out,err,exit}
run() {
  local name="$1"
  shift
  local t0
  t0=$(now_ms)
  "$@" > "$results/$name.out" 2> "$results/$name.err"
  local rc=$?
  echo "$rc" > "$results/$name.exit"
  echo "scenario step $name: exit $rc in $(( $(now_ms) - t0 )) ms"
  return 0
}

# record KEY DEV: the device's driver now (scenarios.sh records more and defines its own)
record() { fact "$1.driver" "$(driver_of "$2")"; }
driver_of() { local d; d="$(readlink "$devices/$1/driver" 2>/dev/null)" && basename "$d" || echo "-"; }
netifs_of() { ls "$devices/$1/net" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# the PCI function whose network interface has this MAC address
by_mac() {
  local a
  for a in "$devices"/*/net/*/address "$devices"/*/virtio*/net/*/address; do
    if [ "$(cat "$a" 2>/dev/null)" = "$1" ]; then
      echo "$a" | cut -d/ -f6
      return
    fi
  done
}
