#!/usr/bin/env bash
# The Xen stage: boots Debian's Xen 4.17 hypervisor under QEMU (TCG) on the q35 machine with an
# emulated Intel IOMMU, with this Debian release's kernel as its PV dom0 and two e1000e NICs, and runs
# realkernel/xen-scenarios.sh in dom0 (the host's root read-only over virtio-9p, as in stage.sh):
# pcipass hides a NIC on pciback and gives it to PV guests through xl and through libvirtd's libxl
# driver, each guest a busybox initramfs whose console (xenconsoled's log) says which PCI devices it
# sees. A second boot of the same machine is the seed's reboot: the modprobe lines pcipass persisted
# decide which NIC pciback takes. The JUnit test RealXenIT judges what dom0 and the guests wrote.
#
#   realkernel/xen-stage.sh [OUT [SCRIPT [BOOTS]]]
#
# OUT defaults to target/real-xen; SCRIPT (realkernel/SCRIPT, default xen-scenarios.sh) runs in dom0 in
# each of BOOTS boots (default 2), as in stage.sh.
#
# Needs what stage.sh needs, and Debian's xen-utils-4.17 and libvirt-daemon with its xen driver on
# this host (dom0 runs the host's own xl, xenstored and libvirtd); the hypervisor package
# xen-hypervisor-4.17-amd64 is downloaded once and cached in .cache/xen. PCIPASS_REAL_XEN_TIMEOUT
# (seconds from the first boot, default 900) bounds the run: a safety net, as in stage.sh.
# Exit codes as stage.sh: 0 the scenarios ran to their end, 3 something is missing, 1 otherwise (with
# the Xen console, dom0's scenario log and the guests' consoles on stderr).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="$(mkdir -p "${1:-$repo/target/real-xen}" && cd "${1:-$repo/target/real-xen}" && pwd)"
stage_name=real-xen
. "$here/common.sh"
timeout_s="${PCIPASS_REAL_XEN_TIMEOUT:-900}"
xen_pkg=xen-hypervisor-4.17-amd64

need_tools apt-get apt-cache flock dpkg-deb depmod modprobe cpio gzip busybox qemu-system-x86_64 timeout \
  xl virsh libvirtd
for helper in /usr/lib/xen-4.17/bin/xenstored /usr/lib/xen-4.17/bin/xenconsoled /usr/lib/xen-4.17/bin/xen-init-dom0 \
  /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_libxl.so; do
  [ -e "$helper" ] || missing "$helper not found (./test installs xen-utils-4.17 and libvirt-daemon-driver-xen as root with apt)"
done

# --- 1. the kernel (shared with stage.sh), the hypervisor and the JDK ---
fetch_kernel
find_java
: > "$out/apt.log"
xen_candidate() { apt-cache policy "$xen_pkg" | awk '/Candidate:/ && $2 != "(none)" { print $2 }'; }
xen_version="$(apt_answer xen_candidate)"
fetch_deb "$repo/.cache/xen" "${xen_pkg}_${xen_version:-none}" "$xen_pkg=${xen_version:-none}"
# QEMU's multiboot loader takes the hypervisor as the 32-bit ELF inside the package's .gz
[ -f "$deb_dir/xen" ] || gunzip -c "$deb_dir/root/boot/xen-4.17-amd64.gz" > "$deb_dir/xen" \
  || die "cannot unpack $deb_dir/root/boot/xen-4.17-amd64.gz"
deb_done
xen="$deb_dir/xen"
xen_what="$deb_pkg"

# --- 2. dom0's initramfs (init runs realkernel/xen-scenarios.sh) and the PV guests' ---
rm -rf "$out/results" "$out"/console*.log "$out/pv-guest"
mkdir -p "$out/results/consoles"
build_initramfs "${2:-xen-scenarios.sh}"
# a PV guest: busybox and xen-pcifront, and an init that writes the PCI devices it sees to its console
mkdir -p "$out/pv-guest"/{bin,proc,sys,dev}
cp "$busybox_bin" "$out/pv-guest/bin/busybox"
cp "$here/pv-guest-init.sh" "$out/pv-guest/init"
chmod 755 "$out/pv-guest/init"
copy_modules "$out/pv-guest" xen-pcifront
pack "$out/pv-guest" "$out/pv-guest.gz"
{
  printf 'VMLINUZ=%q\n' "$vmlinuz"
  printf 'PV_INITRD=%q\n' "$out/pv-guest.gz"
} > "$out/results/xen.env"

# --- 3. the machine: two e1000e (82574L, 8086:10d3) on their own root ports ---
# -cpu Nehalem: `-cpu max` crashes dom0 at its first instruction, and libvirt's libxl driver finds no
# CPU model for `qemu64,+svm` (REFERENCE.md); PV guests need no more.
# No speculative-execution mitigations in an emulated test machine: on the Nehalem CPU model Xen
# turns on XPTI for PV domains (a page-table switch and, without PCID, a TLB flush at every entry to
# and exit from dom0's kernel, which TCG pays for in full) and shadows the PV guests' page tables
# (pv-l1tf); dom0's Linux likewise (mitigations=off, and the PV guests' in xen-scenarios.sh).
machine() {
  boot_what="Xen ($xen_what) with $release ($pkg) as dom0"
  qemu_args=(
    -accel tcg -M q35,kernel-irqchip=split -cpu Nehalem -smp "$smp" -m 3072
    -nodefaults -display none -no-reboot
    -device intel-iommu,intremap=on
    -kernel "$xen"
    -append "dom0_mem=1536M,max:1536M console=com1 com1=115200,8n1 iommu=1 xpti=false pv-l1tf=false spec-ctrl=no"
    -initrd "$vmlinuz console=hvc0 rdinit=/init loglevel=4 no_timer_check mitigations=off pcipass.phase=$1,$out/initramfs.gz"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$out/results,mount_tag=results,security_model=none,multidevs=remap"
    -device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=0x4
    $(nic n1 e1000e "bus=rp1,mac=52:54:00:00:01:01")
    -device pcie-root-port,id=rp2,chassis=2,bus=pcie.0,addr=0x5
    $(nic n2 e1000e "bus=rp2,mac=52:54:00:00:01:02")
  )
}
extra_logs() {
  local f
  for f in "$out/results"/consoles/*.log "$out/results"/libvirtd.log; do
    [ -f "$f" ] || continue
    say "$f:"
    tail -n 60 "$f" >&2
  done
}

# The first boot runs the scenarios and persists one NIC's hide; the second is the reboot.
run_boots "${3:-2}" "$timeout_s"
