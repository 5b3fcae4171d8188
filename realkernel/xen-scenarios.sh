#!/bin/bash
# Runs in the Xen stage's dom0 (realkernel/init.sh chroots into the host's root, read-only over 9p,
# and calls it): starts dom0's Xen services, moves the e1000e NICs with pcipass, gives one to PV
# guests through xl and through libvirtd, and writes down what pcipass said and what the kernel, xl,
# libvirtd and the guests showed. It judges nothing: RealXenIT reads RESULTS and asserts.
#
#   xen-scenarios.sh RESULTS REPO PHASE JAVA
#
# PHASE 1 runs the scenarios and ends with the seed's persistence (`hide --persist`); PHASE 2 is the
# reboot of the same machine: /etc/modprobe.d kept (a disk), pcipass's state directory lost (a fresh
# /var), and the persisted lines alone decide which NIC pciback takes.
# What it writes down: realkernel/facts.sh; the guests' consoles: RESULTS/consoles/guest-NAME.log.
set -u
. "$(dirname "$0")/facts.sh"   # results, repo, phase, java_bin, cycles; PATH; cd /tmp
. "$repo/realkernel/services.sh"
. "$results/xen.env"
[ "$phase" = 1 ] && : > "$facts"
consoles="$results/consoles"
kept="$results/kept-etc"      # what the reboot keeps of /etc: the modprobe configuration
xen_bin=/usr/lib/xen-4.17/bin


# --- dom0: writable /etc and /var (services.sh), Xen's devices, xenstored, dom0 in xenstore,
# xenconsoled logging every guest's console to RESULTS/consoles ---
dom0_up() {
  writable_etc_var || return 1
  modprobe -a xenfs xen-evtchn xen-gntdev xen-privcmd || return 1
  mount -t xenfs xenfs /proc/xen || return 1
  mkdir -p /var/run/xen /var/lib/xen /var/log/xen /var/lib/xenstored /run/xenstored "$consoles"
  "$xen_bin/xenstored" --pid-file /run/xenstored.pid || return 1
  "$xen_bin/xen-init-dom0" || return 1
  "$xen_bin/xenconsoled" --log=guest --log-dir="$consoles" || return 1
}

# a PV guest: the same kernel, the busybox initramfs of xen-stage.sh (pv-guest-init.sh), this command
# line (no speculative-execution mitigations, as dom0's) whether xl or libvirtd starts it
guest_cmdline="console=hvc0 loglevel=4 mitigations=off"
guest_cfg() { # NAME PASSTHROUGH(yes|no)
  {
    echo "name = \"$1\""
    echo 'type = "pv"'
    echo "kernel = \"$VMLINUZ\""
    echo "ramdisk = \"$PV_INITRD\""
    echo "extra = \"$guest_cmdline\""
    echo 'memory = 128'
    [ "$2" = yes ] && echo 'passthrough = "enabled"'
  } > "/run/$1.cfg"
}
guest_log() { echo "$consoles/guest-$1.log"; }
lines_of() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
# wait_up NAME: the guest's init has started (its first line)
wait_up() { poll 60 0.5 grep -qs '^pcipass-guest: up' "$(guest_log "$1")"; }
# mark KEY NAME: the guest console's length now, so that RealXenIT reads what it wrote after
mark() { fact "$1.from" "$(lines_of "$(guest_log "$2")")"; }
# watch KEY NAME yes|no: wait (at most 30 s) until a devices line after KEY's mark shows the e1000e
# (yes) or no longer shows it (no); write down how far RealXenIT reads. It decides nothing.
watch() {
  local key="$1" log from i last
  log="$(guest_log "$2")"
  from="$(grep "^$key.from=" "$facts" | tail -n 1 | cut -d= -f2)"
  for i in $(seq 1 60); do
    last="$(tail -n +"$((from + 1))" "$log" 2>/dev/null | grep '^pcipass-guest: devices:' | tail -n 1)"
    case "$3:$last" in
      yes:*=8086:10d3@*) break ;;
      no:*devices:*) case "$last" in *=8086:10d3@*) ;; *) break ;; esac ;;
    esac
    sleep 0.5
  done
  fact "$key.to" "$(lines_of "$log")"
}

echo "dom0 start-up, phase $phase"
if ! dom0_up; then
  echo "dom0 start-up failed"
  exit 1
fi
fact "$phase.hypervisor-type" "$(cat /sys/hypervisor/type)"
fact "$phase.capabilities" "$(cat /proc/xen/capabilities)"
run "xl-info-$phase" xl info

if [ "$phase" = 2 ]; then
  . "$results/devices.env"
  kept_archive
  # --- the reboot: /etc/modprobe.d as the first boot left it; nothing loaded pciback or e1000e yet
  mkdir -p /etc/modprobe.d
  cp -a "$kept/modprobe.d/." /etc/modprobe.d/
  if [ -d /sys/module/xen_pciback ]; then fact p.pciback-before-modprobe loaded; else fact p.pciback-before-modprobe absent; fi
  if [ -d /var/lib/pcipass ]; then fact p.state-dir-after-reboot present; else fact p.state-dir-after-reboot absent; fi
  # as udev loads the NICs' driver at boot: the install line loads xen-pciback with hide= first
  run p-boot-modprobe modprobe e1000e
  record p.booted-a "$A"
  record p.booted-b "$B"
  run p-list pcipass list --json
  run p-unhide-persist pcipass unhide "$A" --persist
  record p.unhidden-a "$A"
  record p.unhidden-b "$B"
  cat /etc/modprobe.d/*.conf > "$results/p-after-unhide.conf" 2>/dev/null
  ls /etc/modprobe.d > "$results/p-after-unhide.files"
  touch "$results/done.2"
  echo "scenarios done"
  exit 0
fi

# the NICs' driver, as udev would load it at boot
run modprobe modprobe e1000e
A="$(by_mac 52:54:00:00:01:01)"   # the NIC the scenarios move
B="$(by_mac 52:54:00:00:01:02)"   # its twin, which stays on e1000e
for v in A B; do
  fact "dev.$v" "${!v}"
  echo "$v='${!v}'" >> "$results/devices.env"
done
record before-a "$A"
record before-b "$B"

# the PV guests: g1 created with passthrough enabled, g0 without; g0 is built in the background while
# pcipass looks at the host (xl create takes seconds under TCG)
guest_cfg g1 yes
guest_cfg g0 no
(run xl-create-g0 xl create /run/g0.cfg > /dev/null &)

archive /run/pcipass.jsa hide "$A" --dry-run --json
keep_archive /run/pcipass.jsa

# --- check, list and hide in dom0 ---
run check pcipass check --json
run list pcipass list --json
run hide pcipass hide "$A"
record hidden "$A"
run xl-assignable-hidden xl pci-assignable-list

run xl-create-g1 xl create /run/g1.cfg
wait_up g1 || echo "g1 did not start"
wait_up g0 || echo "g0 did not start"

# --- attach --via xl: the guest's pcifront shows the NIC ---
mark x.attach g1
run attach-xl pcipass attach g1 "$A" --via xl
watch x.attach g1 yes
record attached-xl "$A"
run xl-pci-list-attached xl pci-list g1
run list-assigned pcipass list --json
run assignments pcipass assignments --json
run migrate-check pcipass migrate-check g1
run unhide-assigned pcipass unhide "$A"
record unhide-refused "$A"
run hostile pcipass attach 'g1;xl destroy g1' "$A" --via xl
run hostile-newline pcipass detach $'g1\nx' "$A" --via xl
run xl-list-after-hostile xl list
record after-hostile "$A"

# --- detach --return: the guest lets go, the NIC goes back to e1000e ---
mark x.detach g1
run detach-xl pcipass detach g1 "$A" --return --via xl
watch x.detach g1 no
record returned-xl "$A"
run xl-assignable-returned xl pci-assignable-list
run xl-pci-list-returned xl pci-list g1

# --- a guest created without passthrough: refused before anything changes ---
mark x.nopt g0
run attach-nopt pcipass attach g0 "$A" --via xl
watch x.nopt g0 no
record nopt "$A"
run xl-assignable-nopt xl pci-assignable-list
run xl-pci-list-nopt xl pci-list g0
run xl-destroy-g0 xl destroy g0

# --- libvirtd's libxl driver: a PV guest started through libvirt with <passthrough state='on'/> ---
if libvirtd_up xen:///system; then fact libvirtd up; else fact libvirtd down; fi
cat > /run/lv1.xml <<EOF
<domain type='xen'>
  <name>lv1</name>
  <memory unit='MiB'>128</memory>
  <os>
    <type arch='x86_64' machine='xenpv'>linux</type>
    <kernel>$VMLINUZ</kernel>
    <initrd>$PV_INITRD</initrd>
    <cmdline>$guest_cmdline</cmdline>
  </os>
  <features><xen><passthrough state='on'/></xen></features>
  <devices><console type='pty'><target type='xen' port='0'/></console></devices>
</domain>
EOF
run virsh-create-lv1 virsh -c xen:///system create /run/lv1.xml
wait_up lv1 || echo "lv1 did not start"
mark l.attach lv1
run attach-libvirt pcipass attach lv1 "$A" --via libvirt --connect xen:///system
watch l.attach lv1 yes
record attached-libvirt "$A"
run virsh-dumpxml-attached virsh -c xen:///system dumpxml lv1
run xl-pci-list-libvirt xl pci-list lv1
mark l.detach lv1
run detach-libvirt pcipass detach lv1 "$A" --return --via libvirt --connect xen:///system
watch l.detach lv1 no
record returned-libvirt "$A"
run virsh-dumpxml-returned virsh -c xen:///system dumpxml lv1
run assignments-end pcipass assignments --json

# --- the seed's persistence: hide one of the two NICs with --persist, then the reboot (phase 2) ---
run persist-hide pcipass hide "$A" --persist
record persisted-a "$A"
record persisted-b "$B"
mkdir -p "$kept"
cp -a /etc/modprobe.d "$kept/"
cat /etc/modprobe.d/*.conf > "$results/persisted.conf" 2>/dev/null
touch "$results/done.1"
echo "scenarios done"
