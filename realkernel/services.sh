# Sourced by the scenario scripts that run daemons (xen-scenarios.sh in the Xen dom0,
# libvirt-scenarios.sh in the KVM host), after facts.sh: the root is the host's, read-only over 9p,
# so the daemons get writable /etc and /var first, and libvirtd the users Debian's build expects.

# writable_etc_var: tmpfs overlays on /etc and /var (lost at power-off, like a fresh /var)
writable_etc_var() {
  local d
  for d in etc var; do
    mkdir -p "/run/overlay/$d/upper" "/run/overlay/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=/run/overlay/$d/upper,workdir=/run/overlay/$d/work" "/$d" \
      || { echo "cannot put an overlay on /$d"; return 1; }
  done
  mkdir -p /dev/pts
  mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
}

# virtlogd_up: libvirt's log daemon (libvirtd's qemu driver writes each domain's log through it)
virtlogd_up() {
  mkdir -p /var/log/libvirt /run/libvirt
  virtlogd -d || return 1
  poll 40 0.25 test -S /run/libvirt/virtlogd-sock
}

# libvirtd_up URI: Debian 12's monolithic libvirtd, its log in RESULTS/libvirtd.log, answering on URI
# within 30 s. It wants Debian's build-time user and group for QEMU to exist even when only the libxl
# driver is used (REFERENCE.md).
libvirtd_up() {
  grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >> /etc/group
  grep -q '^kvm:' /etc/group || echo 'kvm:x:64056:' >> /etc/group
  grep -q '^libvirt-qemu:' /etc/passwd || echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin' >> /etc/passwd
  mkdir -p /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /run/libvirt
  (libvirtd --verbose > "$results/libvirtd.log" 2>&1 &)
  poll 60 0.5 libvirtd_answers "$1"
}
libvirtd_answers() { virsh -c "$1" version > /dev/null 2>&1; }
