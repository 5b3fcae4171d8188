#!/bin/busybox sh
# PID 1 of the real-kernel guest and of the Xen stage's dom0 (busybox-static; realkernel/common.sh puts
# it in the initramfs as /init). Mounts the host's root read-only over virtio-9p, gives it its own
# proc, sysfs, devtmpfs and tmpfs mounts and the guest kernel's module tree, mounts the writable
# results share, runs realkernel/$SCRIPT (stage.env) there in a chroot, and powers the machine off
# whatever happens.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

off() {
  sync
  echo "real-kernel guest: powering off"
  poweroff -f
  sleep 5
  echo o > /proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
. /stage.env
echo "real-kernel guest: $(uname -r), loading the 9p root's modules"
for m in $(cat /modules/order); do
  insmod "/modules/$m" || { echo "real-kernel guest: insmod $m failed"; off; }
done

root=/host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot "$root" \
  || { echo "real-kernel guest: cannot mount the host root over 9p"; dmesg | tail -n 20; cat /sys/bus/virtio/devices/*/mount_tag; off; }
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t devtmpfs devtmpfs "$root/dev"
# A checkout under /tmp or /run (a clone in /tmp) would vanish under the guest's own tmpfs mounts:
# keep a handle on it first, and bind it back at its path inside them.
mkdir -p /keep
mount --bind "$root$REPO" /keep || { echo "real-kernel guest: cannot reach the checkout $REPO"; off; }
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
if [ ! -d "$root$REPO/realkernel" ]; then
  mkdir -p "$root$REPO"
  mount --bind /keep "$root$REPO" || { echo "real-kernel guest: cannot bind the checkout back at $REPO"; off; }
fi
mkdir -p "$root/tmp/results"
mount -t 9p -o trans=virtio,version=9p2000.L results "$root/tmp/results" \
  || { echo "real-kernel guest: cannot mount the results share"; off; }
# The guest kernel's modules where modprobe looks for them, /lib/modules (the host's own tree, if it
# has one, is for its kernel; a container host may have none). /usr/lib gets a tmpfs overlay so that
# the directory can exist; the root itself stays the 9p mount.
mkdir -p /overlay
mount -t tmpfs tmpfs /overlay
mkdir -p /overlay/upper/modules /overlay/work
mount -t overlay overlay -o "lowerdir=$root/usr/lib,upperdir=/overlay/upper,workdir=/overlay/work" "$root/usr/lib" \
  || { echo "real-kernel guest: cannot put an overlay on /usr/lib"; dmesg | tail -n 5; off; }
mount --bind "$root$MODULES" "$root/usr/lib/modules" \
  || { echo "real-kernel guest: cannot bind $MODULES over /usr/lib/modules"; off; }

phase=1
for arg in $(cat /proc/cmdline); do
  case "$arg" in pcipass.phase=*) phase="${arg#pcipass.phase=}" ;; esac
done
echo "real-kernel guest: running $SCRIPT, phase $phase"
cp /stage.env "$root/tmp/results/stage.env"
chroot "$root" /bin/bash "$REPO/realkernel/$SCRIPT" /tmp/results "$REPO" "$phase" "$JAVA" "$CYCLES" \
  > "$root/tmp/results/scenarios.$phase.log" 2>&1
echo "real-kernel guest: scenarios exited $?"
off
