#!/usr/bin/env bash
# The real-kernel stage: boots this Debian release's own kernel under QEMU (TCG) on a q35 machine
# with an emulated Intel IOMMU and a set of real emulated PCI devices, and runs
# realkernel/scenarios.sh there with this checkout's jar and this host's JDK (the host's root is the
# guest's, read-only over virtio-9p). The guest writes what it saw to OUT/results; the JUnit test
# RealKernelIT judges it.
#
#   realkernel/stage.sh [OUT]            OUT defaults to target/real-kernel
#
# Needs: apt-get (to download the kernel package once; cached in .cache/kernel), dpkg-deb, depmod and
# modprobe (kmod), cpio, gzip, busybox (busybox-static), qemu-system-x86_64, and target/pcipass.jar
# (mvn package). PCIPASS_REAL_KERNEL_TIMEOUT (seconds from the first boot, default 480) bounds the
# guest's run: a safety net; both boots take 3.5-4 minutes on two cores (the target is under 5).
# PCIPASS_REAL_KERNEL_CYCLES (default 20) sets scenario f's hide/unhide cycles.
# Exit 0 when the guest ran the scenarios to their end (whatever they found); 3 when something it
# needs is missing (a tool, the jar, a kernel package); 1 otherwise, with the guest's console log and
# the scenarios' progress on stderr. The guest is powered off in every case.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="$(mkdir -p "${1:-$repo/target/real-kernel}" && cd "${1:-$repo/target/real-kernel}" && pwd)"
cache="$repo/.cache/kernel"
timeout_s="${PCIPASS_REAL_KERNEL_TIMEOUT:-480}"
jar="$repo/target/pcipass.jar"

export PATH="$PATH:/usr/sbin:/sbin"   # depmod and modprobe, for a caller whose PATH lacks them
say() { echo "real-kernel: $*" >&2; }
die() { say "$*"; exit 1; }
missing() { say "$*"; exit 3; }
guest_logs() {
  say "guest console ($out/console.$phase.log):"
  cat "$out/console.$phase.log" >&2 || true
  if [ -f "$out/results/scenarios.$phase.log" ]; then
    say "scenarios' progress ($out/results/scenarios.$phase.log):"
    cat "$out/results/scenarios.$phase.log" >&2
  fi
}

for tool in apt-get dpkg-deb depmod modprobe cpio gzip busybox qemu-system-x86_64 timeout; do
  command -v "$tool" >/dev/null || missing "$tool not found (./test installs qemu-system-x86, busybox-static, kmod and cpio as root with apt)"
done
[ -f "$jar" ] || missing "$jar missing: run mvn package first"
busybox_bin="$(command -v busybox)"
case "$(LC_ALL=C ldd "$busybox_bin" 2>&1 || true)" in *"not a dynamic executable"*) ;; *) false ;; esac \
  || missing "$busybox_bin is not statically linked (install busybox-static)"

# --- 1. the kernel: the package linux-image-amd64 depends on, for this machine's Debian release ---
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
cached() { [ -n "$pkg" ] && [ -f "$cache/$pkg/ok" ]; }
# downloads $pkg into $cache/$pkg.part; apt's complaint goes to $out/apt.log
download() {
  [ -n "$pkg" ] || return 1
  say "downloading $pkg"
  rm -rf "$cache/$pkg" "$cache/$pkg.part"
  mkdir -p "$cache/$pkg.part"
  (cd "$cache/$pkg.part" && apt-get download -qq "$pkg" 2>"$out/apt.log")
}
: > "$out/apt.log"
pkg="$(kernel_package || true)"
if ! cached && ! download && [ "$(id -u)" = 0 ]; then
  # package lists that are missing, or older than the archive (naming a kernel it has dropped):
  # update them and ask again
  if [ -n "$pkg" ]; then why="apt-get download $pkg failed: $(tr '\n' ' ' < "$out/apt.log")"; else why="apt knows no linux-image-amd64"; fi
  say "$why; apt-get update and retry"
  apt-get update -qq >&2 || true
  pkg="$(kernel_package || true)"
  cached || download || true
fi
if ! cached && ! ls "$cache/${pkg:-none}.part"/*.deb >/dev/null 2>&1; then
  # offline, or the archive refused: the newest kernel already in the cache
  rm -rf "$cache"/*.part
  pkg="$(cd "$cache" 2>/dev/null && ls -1d -- */ok 2>/dev/null | sort -V | tail -n 1 | cut -d/ -f1 || true)"
  cached || missing "no linux-image-*-amd64 package could be downloaded ($(tr '\n' ' ' < "$out/apt.log")) and none is cached in $cache"
  say "using the cached $pkg"
fi
kdir="$cache/$pkg"
if ! cached; then
  dpkg-deb -x "$kdir.part"/*.deb "$kdir.part/root"
  rm -f "$kdir.part"/*.deb
  release="$(ls -1 "$kdir.part/root/lib/modules" 2>/dev/null | head -n 1 || true)"
  [ -n "$release" ] || die "no module tree in $pkg (lib/modules)"
  depmod -b "$kdir.part/root" "$release"
  mv "$kdir.part" "$kdir"
  touch "$kdir/ok"
  # older kernels of this cache are not needed any more
  find "$cache" -mindepth 1 -maxdepth 1 ! -name "$pkg" -exec rm -rf {} +
fi
release="$(ls -1 "$kdir/root/lib/modules" | head -n 1)"
vmlinuz="$kdir/root/boot/vmlinuz-$release"
modules="$kdir/root/lib/modules"

# --- 2. the initramfs: busybox, the modules the 9p root needs, in dependency order, and init ---
rm -rf "$out/initramfs" "$out/results" "$out"/console*.log
mkdir -p "$out/initramfs"/{bin,sbin,proc,sys,dev,host,modules} "$out/results"
cp "$busybox_bin" "$out/initramfs/bin/busybox"
cp "$here/init.sh" "$out/initramfs/init"
chmod 755 "$out/initramfs/init"
modprobe -d "$kdir/root" -S "$release" --show-depends -a 9p 9pnet_virtio virtio_pci overlay \
  | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' > "$out/initramfs/modules/order.paths"
: > "$out/initramfs/modules/order"
while read -r ko; do
  cp "$ko" "$out/initramfs/modules/"
  basename "$ko" >> "$out/initramfs/modules/order"
done < "$out/initramfs/modules/order.paths"
rm "$out/initramfs/modules/order.paths"
# the JDK that runs this script (Maven's, from JAVA_HOME or PATH) is the one the guest uses
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/java}"
[ -n "$java_bin" ] && [ -x "$java_bin" ] || java_bin="$(command -v java || true)"
[ -n "$java_bin" ] || missing "no java on PATH and no JAVA_HOME"
java_bin="$(readlink -f "$java_bin")"
{
  printf 'REPO=%q\n' "$repo"
  printf 'MODULES=%q\n' "$modules"
  printf 'RELEASE=%q\n' "$release"
  printf 'JAVA=%q\n' "$java_bin"
  printf 'CYCLES=%q\n' "${PCIPASS_REAL_KERNEL_CYCLES:-20}"
} > "$out/initramfs/stage.env"
(cd "$out/initramfs" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initramfs.gz"

# --- 3. the machine ---
# e1000e on its own root port; a PCIe switch with an NVMe and an e1000e; a PCIe-to-PCI bridge with
# an e1000 and an rtl8139 (one IOMMU group); a multi-function slot with two e1000e functions; a
# virtio-net; every NIC on user-mode networking restricted to the guest. A PCI test device (1b36:0005,
# no driver of its own) is named by the kernel command line's pci-stub.ids (below) and by no scenario.
nic() { echo "-netdev user,id=$1,restrict=on -device $2,netdev=$1,$3"; }
machine=(
  -accel tcg -M q35,kernel-irqchip=split -cpu max -smp 2 -m 2048
  -nodefaults -display none -no-reboot
  -kernel "$vmlinuz" -initrd "$out/initramfs.gz"
  -device intel-iommu,intremap=on
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$out/results,mount_tag=results,security_model=none,multidevs=remap"
  -device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=0x4
  $(nic n1 e1000e "bus=rp1,mac=52:54:00:00:00:01")
  -device pcie-root-port,id=rp2,chassis=2,bus=pcie.0,addr=0x5
  -device x3130-upstream,id=up,bus=rp2
  -device xio3130-downstream,id=dn1,bus=up,chassis=21,slot=1
  -device xio3130-downstream,id=dn2,bus=up,chassis=22,slot=2
  -blockdev "null-co,node-name=nvm0,size=67108864"
  -device nvme,bus=dn1,serial=pcipass0,drive=nvm0
  $(nic n2 e1000e "bus=dn2,mac=52:54:00:00:00:02")
  -device pcie-root-port,id=rp3,chassis=3,bus=pcie.0,addr=0x6
  -device pcie-pci-bridge,id=pb,bus=rp3
  $(nic n3 e1000 "bus=pb,addr=0x1,mac=52:54:00:00:00:03")
  $(nic n4 rtl8139 "bus=pb,addr=0x2,mac=52:54:00:00:00:04")
  -device pcie-root-port,id=rp4,chassis=4,bus=pcie.0,addr=0x7
  $(nic n5 e1000e "bus=rp4,addr=0x0.0,multifunction=on,mac=52:54:00:00:00:05")
  $(nic n6 e1000e "bus=rp4,addr=0x0.1,mac=52:54:00:00:00:06")
  -device pcie-root-port,id=rp5,chassis=5,bus=pcie.0,addr=0x8
  $(nic n7 virtio-net-pci "bus=rp5,mac=52:54:00:00:00:07")
  -device pci-testdev,bus=pcie.0,addr=0x9
)
# Both boots carry pci-stub.ids= for the test device: pcipass reads it when it persists a pci-stub
# hide (first boot), and the reboot shows which of it and pcipass's options line the kernel keeps.
# no_timer_check: on a loaded host a TCG guest can miss the IO-APIC timer check and panic ("timer
# doesn't work through Interrupt-remapped IO-APIC"); a virtual machine's timer needs no such check.

# Two boots of the same machine: the first runs every scenario and ends by persisting hides; the
# second is the reboot that shows what the persisted configuration does (scenarios.sh PHASE).
start=$(date +%s)
for phase in 1 2; do
  left=$(( timeout_s - ($(date +%s) - start) ))
  [ "$left" -gt 0 ] || left=1
  say "boot $phase: $release ($pkg) under qemu-system-x86_64 -accel tcg; console: $out/console.$phase.log"
  rc=0
  timeout --kill-after=10 "$left" qemu-system-x86_64 "${machine[@]}" \
    -serial "file:$out/console.$phase.log" \
    -append "console=ttyS0 intel_iommu=on panic=-1 loglevel=4 rdinit=/init no_timer_check pci-stub.ids=1b36:0005 pcipass.phase=$phase" \
    </dev/null >"$out/qemu.log" 2>&1 || rc=$?
  echo "$(( $(date +%s) - start ))" > "$out/results/stage.seconds"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    say "boot $phase: the guest did not power off within ${timeout_s} s of the stage's start; it was stopped."
    guest_logs
    exit 1
  fi
  if [ "$rc" != 0 ]; then
    say "boot $phase: qemu-system-x86_64 exited $rc: $(cat "$out/qemu.log")"
    guest_logs
    exit 1
  fi
  if [ ! -f "$out/results/done.$phase" ]; then
    say "boot $phase: the guest powered off before the scenarios finished."
    guest_logs
    exit 1
  fi
done
say "the guest ran the scenarios in two boots, $(cat "$out/results/stage.seconds") s"
