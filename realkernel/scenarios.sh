#!/bin/bash
# Runs inside the real-kernel guest (realkernel/init.sh chroots into the host's root, read-only over
# 9p, and calls it): moves real devices with pcipass and writes down what pcipass said and what the
# kernel shows afterwards. It judges nothing: RealKernelIT reads RESULTS and asserts.
#
#   scenarios.sh RESULTS REPO PHASE JAVA
#
# PHASE 1 (the first boot) runs every scenario but f (the hide/unhide cycles: realkernel/cycles.sh, a
# boot of its own) and ends by persisting hides; PHASE 2 is the reboot of the same machine that shows
# what the persisted configuration does.
# What it writes down: realkernel/facts.sh. RESULTS/done.PHASE marks a phase that reached its end.
set -u
export PCIPASS_STATE_DIR=/run/pcipass
. "$(dirname "$0")/facts.sh"   # results, repo, phase, java_bin, cycles; PATH; cd /tmp
[ "$phase" = 1 ] && : > "$facts"
group_of() { local g; g="$(readlink "$devices/$1/iommu_group")" && basename "$g"; }
# state of one device: its driver, and for vfio-pci its /dev/vfio group node
record() {
  local key="$1" dev="$2"
  fact "$key.driver" "$(driver_of "$dev")"
  fact "$key.netifs" "$(netifs_of "$dev")"
  local g
  g="$(group_of "$dev")"
  if [ -n "$g" ] && [ -c "/dev/vfio/$g" ]; then fact "$key.vfio-node" yes; else fact "$key.vfio-node" no; fi
}

# the persisted state of scenario h, kept on the results share across the reboot: pcipass's state
# directory and a config root whose /etc is writable (its proc, dev and lib are the live ones)
pr="$results/persist"
persisted() { pcipass --state-dir "$pr/state" --config-root "$pr/root" "$@"; }

if [ "$phase" = 2 ]; then
  . "$results/devices.env"
  kept_archive
  # --- h (after the reboot). The drivers load as udev would load them at boot, with the persisted
  # modprobe configuration as the only configuration.
  fact h.kernel-cmdline "$(cat /proc/cmdline)"
  # --- i (after the reboot): what modprobe gives pci-stub from pcipass's line and the command line's
  # pci-stub.ids, in modprobe's own words, before anything loads it
  run i-show-config sh -c "modprobe -C '$pr/root/etc/modprobe.d' -c | grep -E '^options (pci_stub|vfio_pci) '"
  run i-dry-run modprobe -C "$pr/root/etc/modprobe.d" -n -v pci-stub
  run boot-modprobe modprobe -C "$pr/root/etc/modprobe.d" -a e1000 8139cp e1000e nvme virtio_net vfio-pci pci-stub
  record h.booted-e1000 "$E1000"
  record h.booted-rtl "$RTL"
  record h.booted-a "$A"
  record i.booted-testdev "$TESTDEV"
  record i.booted-nvme "$NVME"
  run apply-boot persisted apply-boot
  record h.applied-a "$A"
  record h.applied-e1000 "$E1000"
  record i.applied-nvme "$NVME"
  run persist-unhide persisted unhide "$E1000" "$A" "$NVME" --with-group --persist
  record h.unhidden-e1000 "$E1000"
  record h.unhidden-rtl "$RTL"
  record h.unhidden-a "$A"
  record i.unhidden-nvme "$NVME"
  record i.unhidden-testdev "$TESTDEV"
  if [ -f "$pr/root/etc/modprobe.d/pcipass.conf" ]; then
    cp "$pr/root/etc/modprobe.d/pcipass.conf" "$results/unpersisted.conf"
  fi
  # --- i: the command line pcipass advised when it persisted the NVMe drive, as modprobe reads it at
  # the next boot (/proc/cmdline, here a bind mount of the advised line), with the persisted line
  advised="$(sed -n 's/.*replace pci-stub\.ids=[^ ]* with \(pci-stub\.ids=[^ ]*\) on the kernel command line.*/\1/p' \
    "$results/persist-hide-nvme.out" | head -n 1)"
  fact i.advised "$advised"
  if [ -n "$advised" ]; then
    sed "s/pci-stub\.ids=[^ ]*/$advised/" /proc/cmdline > /tmp/advised.cmdline
    mount --bind /tmp/advised.cmdline /proc/cmdline
    echo "$NVME" > "$devices/$NVME/driver/unbind"
    rmmod pci_stub
    run i-advised-dry-run modprobe -C "$results/persisted.conf" -n -v pci-stub
    run i-advised-modprobe modprobe -C "$results/persisted.conf" pci-stub
    record i.advised-nvme "$NVME"
    record i.advised-testdev "$TESTDEV"
    umount /proc/cmdline
    echo "$NVME" > /sys/bus/pci/drivers/pci-stub/unbind
    echo "$NVME" > /sys/bus/pci/drivers/nvme/bind
    record i.returned-nvme "$NVME"
  fi
  touch "$results/done.2"
  echo "scenarios done"
  exit 0
fi

echo "loading modules"
run modprobe modprobe -a vfio-pci pci-stub e1000e e1000 8139cp nvme virtio_net
fact kernel "$(uname -r)"

# --- the devices, found by what QEMU was told (stage.sh) rather than by bus numbers ---
A="$(by_mac 52:54:00:00:00:01)"       # e1000e on its own root port
S="$(by_mac 52:54:00:00:00:02)"       # e1000e behind the PCIe switch
E1000="$(by_mac 52:54:00:00:00:03)"   # e1000 behind the PCIe-to-PCI bridge
RTL="$(by_mac 52:54:00:00:00:04)"     # rtl8139 (8139cp) behind the same bridge
MF0="$(by_mac 52:54:00:00:00:05)"
MF1="$(by_mac 52:54:00:00:00:06)"
VNET="$(by_mac 52:54:00:00:00:07)"
NVME="$(grep -l 0x010802 "$devices"/*/class | head -n 1 | cut -d/ -f6)"
# the PCI test device the kernel command line's pci-stub.ids names (stage.sh)
TESTDEV=""
for d in "$devices"/*; do
  if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0005 ]; then TESTDEV="$(basename "$d")"; fi
done
ROOT9P=""
for t in /sys/bus/virtio/devices/*/mount_tag; do
  if [ "$(tr -d '\0' < "$t")" = hostroot ]; then
    ROOT9P="$(basename "$(dirname "$(readlink -f "$(dirname "$t")")")")"
  fi
done
BRIDGE="$(basename "$(dirname "$(readlink -f "$devices/$E1000")")")"
for v in A S E1000 RTL MF0 MF1 VNET NVME TESTDEV ROOT9P BRIDGE; do
  fact "dev.$v" "${!v}"
  echo "$v='${!v}'" >> "$results/devices.env"
done

# A class-data archive of the classes a planning run loads (the wrapper's archive, made from a
# listing, lacks the JSON tree model that plans and the journal use), made by a dry run.
archive /tmp/pcipass.jsa hide "$A" --driver vfio-pci --dry-run --json
keep_archive /tmp/pcipass.jsa   # the reboot's commands start from it too

# --- a. the inventory against lspci, and groups against /sys/kernel/iommu_groups ---
run lspci lspci -D -vmm -nn -k -O hwdb.disable=1
run list pcipass list --json
run groups pcipass groups --json
run check pcipass check --json
for g in /sys/kernel/iommu_groups/*; do
  for d in "$g"/devices/*; do echo "$(basename "$g") $(basename "$d")"; done
done > "$results/iommu_groups.txt"

# --- d. the device behind / (the 9p root) is host-critical ---
run show-root pcipass show "$ROOT9P" --json
run hide-root pcipass hide "$ROOT9P" --driver vfio-pci
run hide-root-force pcipass hide "$ROOT9P" --driver vfio-pci --force
record d.after "$ROOT9P"

# --- b. one e1000e to vfio-pci and back, then to pci-stub and back ---
record b.before "$A"
for stub in vfio-pci pci-stub; do
  run "hide-$stub" pcipass hide "$A" --driver "$stub"
  record "b.hidden-$stub" "$A"
  run "show-hidden-$stub" pcipass show "$A" --json
  run "unhide-$stub" pcipass unhide "$A"
  record "b.returned-$stub" "$A"
done

# the NVMe drive (not mounted) to vfio-pci and back
record b.nvme-before "$NVME"
run hide-nvme pcipass hide "$NVME" --driver vfio-pci
record b.nvme-hidden "$NVME"
run unhide-nvme pcipass unhide "$NVME"
record b.nvme-returned "$NVME"
fact b.nvme-returned.controller "$(ls "$devices/$NVME/nvme" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"

# --- c. the e1000 shares its group with the rtl8139 behind the PCIe-to-PCI bridge ---
fact c.before-bridge.driver "$(driver_of "$BRIDGE")"
run hide-e1000 pcipass hide "$E1000" --driver vfio-pci
record c.refused-e1000 "$E1000"
record c.refused-rtl "$RTL"
run hide-e1000-group pcipass hide "$E1000" --driver vfio-pci --with-group
record c.hidden-e1000 "$E1000"
record c.hidden-rtl "$RTL"
fact c.hidden-bridge.driver "$(driver_of "$BRIDGE")"
# no other device uses e1000 or 8139cp: unloaded now, unhide has to load them to give the devices back
run rmmod-originals rmmod e1000 8139cp
if [ -d /sys/module/e1000 ] || [ -d /sys/module/8139cp ]; then fact c.originals-unloaded no; else fact c.originals-unloaded yes; fi
run unhide-e1000-group pcipass unhide "$E1000" --with-group
record c.returned-e1000 "$E1000"
record c.returned-rtl "$RTL"
fact c.returned-bridge.driver "$(driver_of "$BRIDGE")"

# --- e. SIGKILL in the middle of a two-device hide, then recover ---
run crash-plan pcipass hide "$A" "$S" --driver vfio-pci --dry-run --json
# pause once the first device's move is verified: the step index of the first expect-driver step
k=0
i=0
for op in $(grep -o '"op" *: *"[a-z-]*"' "$results/crash-plan.out" | sed 's/.*"\([a-z-]*\)"$/\1/'); do
  i=$((i + 1))
  if [ "$op" = expect-driver ]; then k=$i; break; fi
done
fact e.pause-after "$k"
fact e.steps "$(grep -o '"op" *:' "$results/crash-plan.out" | wc -l)"
PCIPASS_TEST_PAUSE_AFTER_STEP="$k" pcipass_exec hide "$A" "$S" --driver vfio-pci \
  > "$results/crash-hide.out" 2> "$results/crash-hide.err" &
pid=$!
paused=no
for _ in $(seq 1 600); do
  if grep -q "paused after step" "$results/crash-hide.err"; then paused=yes; break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
fact e.paused "$paused"
fact e.killed-command "$(tr '\0' ' ' < "/proc/$pid/cmdline" | sed 's/ $//')"
record e.killed-a "$A"
record e.killed-s "$S"
kill -KILL "$pid" 2>/dev/null
wait "$pid"
fact e.hide-exit "$?"
if [ -s "$PCIPASS_STATE_DIR/journal" ]; then fact e.journal-left yes; else fact e.journal-left no; fi
run recover pcipass recover
record e.recovered-a "$A"
record e.recovered-s "$S"
run list-after-recover pcipass list --json

# --- f. the hide/unhide cycles run in a boot of their own (realkernel/cycles.sh)

# --- h (before the reboot). Persisted hides: the e1000 and the rtl8139 (ids no other device has:
# modprobe's own configuration keeps them hidden), and the first e1000e (ids it shares with three
# e1000e that stay: pcipass apply-boot re-applies it)
mkdir -p "$pr/state" "$pr/root/etc/modprobe.d"
ln -s /proc "$pr/root/proc"
ln -s /dev "$pr/root/dev"
ln -s /usr/lib "$pr/root/lib"
run persist-hide-group persisted hide "$E1000" --with-group --driver vfio-pci --persist
run persist-hide-a persisted hide "$A" --driver vfio-pci --persist
# --- i (before the reboot). The kernel command line's pci-stub.ids names the test device, which
# pci-stub took when it loaded above; pcipass persists the NVMe drive on pci-stub by its own id
record i.boot1-testdev "$TESTDEV"
run persist-hide-nvme persisted hide "$NVME" --driver pci-stub --persist
cp "$pr/root/etc/modprobe.d/pcipass.conf" "$results/persisted.conf" 2>/dev/null
record h.persisted-e1000 "$E1000"
record h.persisted-a "$A"
record i.persisted-nvme "$NVME"

touch "$results/done.1"
echo "scenarios done"
