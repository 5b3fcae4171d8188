#!/bin/bash
# Runs in a boot of the real-kernel stage's KVM host of its own (realkernel/stage.sh OUT
# libvirt-scenarios.sh 1): libvirtd's qemu driver with virtlogd, a nested TCG domain with no OS, and
# pcipass giving it an e1000e through libvirt live and in its persistent definition. Writes down what
# pcipass said and what libvirtd, QEMU's monitor and the kernel showed; RealLibvirtIT judges it.
#
#   libvirt-scenarios.sh RESULTS REPO PHASE JAVA
set -u
. "$(dirname "$0")/facts.sh"   # results, repo, phase, java_bin, cycles; PATH; cd /tmp
. "$repo/realkernel/services.sh"
: > "$facts"
uri=qemu:///system

writable_etc_var || exit 1
run modprobe modprobe -a vfio-pci e1000e
A="$(by_mac 52:54:00:00:00:01)"   # the e1000e on its own root port: a group of its own
fact dev.A "$A"
record before "$A"
archive /run/pcipass.jsa hide "$A" --driver vfio-pci --dry-run --json

# --- libvirtd with the qemu driver: in a chroot without cgroups or mount namespaces, as root ---
cat > /etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
namespaces = [ ]
cgroup_controllers = [ ]
EOF
if virtlogd_up && libvirtd_up "$uri"; then fact libvirtd up; else fact libvirtd down; fi

# a persistent q35 domain with no OS and no disk, under TCG inside this TCG guest; a free root port
# for the hot-plugged NIC
cat > /run/kvm1.xml <<'EOF'
<domain type='qemu'>
  <name>kvm1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
run virsh-define virsh -c "$uri" define /run/kvm1.xml
run virsh-start virsh -c "$uri" start kvm1
info_pci() { virsh -c "$uri" qemu-monitor-command kvm1 --hmp 'info pci'; }

# --- attach --live: the NIC moves to vfio-pci and QEMU lists it ---
run attach-live pcipass attach kvm1 "$A" --live
record attached "$A"
run info-pci-attached info_pci
run dumpxml-attached virsh -c "$uri" dumpxml kvm1
run migrate-check pcipass migrate-check kvm1

# --- detach --return: the OS-less guest never answers the unplug ---
run detach-unreleased pcipass detach kvm1 "$A" --return --live --timeout 5
record unreleased "$A"
run info-pci-unreleased info_pci
run list-unreleased pcipass list --json
run assignments-unreleased pcipass assignments --json

# --- the domain destroyed behind pcipass's back: detach --return reconciles and gives the NIC back ---
run virsh-destroy virsh -c "$uri" destroy kvm1
run detach-reconcile pcipass detach kvm1 "$A" --return
record reconciled "$A"
run assignments-reconciled pcipass assignments --json

# --- the shut-off domain's persistent definition: attach --config, detach --config ---
run attach-config pcipass attach kvm1 "$A" --config
record config-attached "$A"
run dumpxml-config-attached virsh -c "$uri" dumpxml --inactive kvm1
run detach-config pcipass detach kvm1 "$A" --config --return
record config-detached "$A"
run dumpxml-config-detached virsh -c "$uri" dumpxml --inactive kvm1
run assignments-end pcipass assignments --json

touch "$results/done.1"
echo "scenarios done"
