#!/usr/bin/env bash
# The real-kernel stage: boots this Debian release's own kernel under QEMU (TCG) on a q35 machine
# with an emulated Intel IOMMU and a set of real emulated PCI devices, and runs
# realkernel/scenarios.sh there with this checkout's jar and this host's JDK (the host's root is the
# guest's, read-only over virtio-9p). The guest writes what it saw to OUT/results; the JUnit test
# RealKernelIT judges it.
#
#   realkernel/stage.sh [OUT [SCRIPT [BOOTS]]]
#
# OUT defaults to target/real-kernel; SCRIPT (realkernel/SCRIPT, default scenarios.sh) runs in each of
# BOOTS boots (default 2) of the same machine. RealKernelIT also runs cycles.sh in one boot of its own
# (target/real-kernel-cycles), and RealLibvirtIT libvirt-scenarios.sh.
#
# Needs: apt-get (to download the kernel package once; cached in .cache/kernel), dpkg-deb, depmod and
# modprobe (kmod), cpio, gzip, busybox (busybox-static), qemu-system-x86_64, and target/pcipass.jar
# (mvn package). PCIPASS_REAL_KERNEL_TIMEOUT (seconds from the first boot, default 900) bounds the
# guest's run: a safety net for a loaded machine (the machines of the QEMU stage run all at once),
# not the target, which the ITs print as a benchmark figure.
# PCIPASS_REAL_KERNEL_CYCLES (default 20) sets scenario f's hide/unhide cycles (realkernel/cycles.sh).
# Exit 0 when the guest ran the scenarios to their end (whatever they found); 3 when something it
# needs is missing (a tool, the jar, a kernel package); 1 otherwise, with the guest's console log and
# the scenarios' progress on stderr. The guest is powered off in every case.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="$(mkdir -p "${1:-$repo/target/real-kernel}" && cd "${1:-$repo/target/real-kernel}" && pwd)"
stage_name=real-kernel
. "$here/common.sh"
timeout_s="${PCIPASS_REAL_KERNEL_TIMEOUT:-900}"
# The QEMU stage's machines share two cores, and the Xen dom0 has the most work: the KVM machines
# (this one's boots, the cycles' and libvirtd's) yield it some of their share (nice 2: weight 655
# against its 1024), so that the four end closer together. PCIPASS_STAGE_NICE overrides.
stage_nice="${PCIPASS_STAGE_NICE:-2}"

need_tools apt-get flock dpkg-deb depmod modprobe cpio gzip busybox qemu-system-x86_64 timeout
# --- 1. the kernel (cached in .cache/kernel) and the JDK the guest runs pcipass with ---
fetch_kernel
find_java
# --- 2. the initramfs: busybox, the 9p root's modules, init running realkernel/SCRIPT ---
rm -rf "$out/results" "$out"/console*.log
mkdir -p "$out/results"
build_initramfs "${2:-scenarios.sh}"

# --- 3. the machine ---
# e1000e on its own root port; a PCIe switch with an NVMe and an e1000e; a PCIe-to-PCI bridge with
# an e1000 and an rtl8139 (one IOMMU group); a multi-function slot with two e1000e functions; a
# virtio-net; every NIC on user-mode networking restricted to the guest. A PCI test device (1b36:0005,
# no driver of its own) is named by the kernel command line's pci-stub.ids (below) and by no scenario.
machine() {
  boot_what="$release ($pkg)"
  qemu_args=(
    -accel tcg -M q35,kernel-irqchip=split -cpu max -smp "$smp" -m 2048
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
    -append "console=ttyS0 intel_iommu=on panic=-1 loglevel=4 rdinit=/init no_timer_check mitigations=off pci-stub.ids=1b36:0005 pcipass.phase=$1"
  )
}
# Both boots carry pci-stub.ids= for the test device: pcipass reads it when it persists a pci-stub
# hide (first boot), and the reboot shows which of it and pcipass's options line the kernel keeps.
# mitigations=off: no speculative-execution mitigations in an emulated test machine (page-table
# isolation alone switches page tables at every system call, which TCG pays for in full).
# no_timer_check: on a loaded host a TCG guest can miss the IO-APIC timer check and panic ("timer
# doesn't work through Interrupt-remapped IO-APIC"); a virtual machine's timer needs no such check.

# Two boots of the same machine: the first runs every scenario and ends by persisting hides; the
# second is the reboot that shows what the persisted configuration does (scenarios.sh PHASE).
run_boots "${3:-2}" "$timeout_s"
