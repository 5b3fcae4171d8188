#!/bin/bash
# Runs inside a boot of the KVM host of its own (realkernel/stage.sh OUT cycles.sh 1), beside the
# other machines of the QEMU stage: scenario f, hide/unhide cycles of one device, whose time per cycle
# RealKernelIT prints as a benchmark figure. A machine of its own because the cycles are a third of
# the KVM host's work, and the stage's machines share two cores.
#
#   cycles.sh RESULTS REPO PHASE JAVA CYCLES
set -u
export PCIPASS_STATE_DIR=/run/pcipass
. "$(dirname "$0")/facts.sh"   # results, repo, phase, java_bin, cycles; PATH; cd /tmp
: > "$facts"

run modprobe modprobe -a vfio-pci e1000e
A="$(by_mac 52:54:00:00:00:01)"   # the e1000e on its own root port: a group of its own
fact dev.A "$A"
record f.before "$A"

# --- f. hide/unhide cycles of one device ---
fact f.cycles "$cycles"
failed=0
# The cycles' own class-data archive: the first hide dumps the classes a real plan loads (the store's
# SQLite driver among them); the other commands start from it. The first cycle pays for the dump.
for c in $(seq 1 "$cycles"); do
  t0=$(now_ms)
  if [ "$c" = 1 ]; then
    archiving /tmp/pcipass-cycles.jsa hide "$A" --driver vfio-pci \
      > "$results/cycle-hide.out" 2> "$results/cycle-hide.err"
    h=$?
  else
    pcipass hide "$A" --driver vfio-pci > "$results/cycle-hide.out" 2> "$results/cycle-hide.err"
    h=$?
  fi
  hd="$(driver_of "$A")"
  pcipass unhide "$A" > "$results/cycle-unhide.out" 2> "$results/cycle-unhide.err"
  u=$?
  ud="$(driver_of "$A")"
  fact "f.$c.ms" $(( $(now_ms) - t0 ))
  if [ "$h" != 0 ] || [ "$u" != 0 ] || [ "$hd" != vfio-pci ] || [ "$ud" != e1000e ]; then
    failed=$((failed + 1))
    fact "f.$c.failure" "hide exit $h driver $hd ($(tr '\n' ' ' < "$results/cycle-hide.err")), unhide exit $u driver $ud ($(tr '\n' ' ' < "$results/cycle-unhide.err"))"
  fi
done
fact f.failed "$failed"
record f.after "$A"

touch "$results/done.1"
echo "scenarios done"
