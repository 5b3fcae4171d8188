#!/bin/busybox sh
# PID 1 of the Xen stage's PV guests (realkernel/xen-stage.sh puts it in their initramfs as /init):
# loads xen-pcifront and writes the PCI devices it sees to its console every two seconds, one line
#   pcipass-guest: devices: ADDRESS=VENDOR:DEVICE@BAR0 ...     (or "devices: none")
# dom0's xenconsoled logs the console to consoles/guest-NAME.log, which is how RealXenIT knows what
# the guest sees: the device pcipass attached, its real ids and its first BAR's address.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
  insmod "/modules/$m" || echo "pcipass-guest: insmod $m failed"
done
echo "pcipass-guest: up, $(uname -r)"
while true; do
  line=""
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] || continue
    v="$(cat "$d/vendor")"
    p="$(cat "$d/device")"
    bar="$(head -n 1 "$d/resource" | cut -d' ' -f1)"
    line="$line ${d##*/}=${v#0x}:${p#0x}@$bar"
  done
  echo "pcipass-guest: devices:${line:- none}"
  sleep 2
done
