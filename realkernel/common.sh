# Sourced by realkernel/stage.sh (the KVM host) and realkernel/xen-stage.sh (the Xen dom0): the parts
# of a stage both machines share. The caller sets, before sourcing:
#   here   realkernel/      repo   the checkout      out   the stage's output directory
#   stage_name              the prefix of every message ("real-kernel", "real-xen")
# and gets: say/die/missing, need_tools, fetch_deb (a Debian package downloaded once, cached in
# .cache/NAME), the kernel (pkg, kdir, release, vmlinuz, modules), java_bin, build_initramfs and
# run_boots. Exit codes follow stage.sh: 3 when something the stage needs is missing, 1 otherwise.

export PATH="$PATH:/usr/sbin:/sbin"   # depmod and modprobe, for a caller whose PATH lacks them
jar="$repo/target/pcipass.jar"
# vCPUs per machine: one. The QEMU stage runs all its machines at once on two cores; a machine with
# two vCPU threads on a shared core spends its time with one vCPU waiting for the other (IPIs, TCG's
# exclusive sections), which made each machine 2-3 times slower rather than 2.
smp="${PCIPASS_STAGE_SMP:-1}"
say() { echo "$stage_name: $*" >&2; }
die() { say "$*"; exit 1; }
missing() { say "$*"; exit 3; }

# need_tools TOOL...: each on PATH, else exit 3 naming it and the package ./test installs it from
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || missing "$tool not found (./test installs the stage's packages as root with apt: qemu-system-x86, busybox-static, kmod, cpio, xen-utils-4.17, libvirt-daemon and its xen and qemu drivers)"
  done
  [ -f "$jar" ] || missing "$jar missing: run mvn package first"
  busybox_bin="$(command -v busybox)"
  case "$(LC_ALL=C ldd "$busybox_bin" 2>&1 || true)" in *"not a dynamic executable"*) ;; *) false ;; esac \
    || missing "$busybox_bin is not statically linked (install busybox-static)"
}

# fetch_deb CACHE NAME [SPEC]: the files of the package SPEC (apt-get download's argument, default
# NAME) under CACHE/NAME/root, downloaded once (CACHE/NAME/ok marks a complete copy). Offline, or when
# the archive dropped the version its lists name, the newest copy already cached is used. Sets deb_dir
# (CACHE/NAME) and deb_pkg (NAME). Older copies are removed once a new one is complete (deb_done).
fetch_deb() {
  local cache="$1" pkg="$2" spec="${3:-$2}"
  cache_lock
  deb_pkg="$pkg"
  local ok=no
  if [ -f "$cache/$pkg/ok" ]; then ok=yes
  else
    rm -rf "$cache/$pkg" "$cache/$pkg.part"
    mkdir -p "$cache/$pkg.part"
    say "downloading $pkg"
    if ! (cd "$cache/$pkg.part" && apt-get download -qq "$spec" 2>>"$out/apt.log") && [ "$(id -u)" = 0 ]; then
      # package lists that are missing or older than the archive: update them and ask again
      say "apt-get download $spec failed: $(tr '\n' ' ' < "$out/apt.log"); apt-get update and retry"
      apt-get update -qq >&2 || true
      (cd "$cache/$pkg.part" && apt-get download -qq "$spec" 2>>"$out/apt.log") || true
    fi
    if ls "$cache/$pkg.part"/*.deb >/dev/null 2>&1; then
      dpkg-deb -x "$cache/$pkg.part"/*.deb "$cache/$pkg.part/root"
      rm -f "$cache/$pkg.part"/*.deb
      mv "$cache/$pkg.part" "$cache/$pkg"
      touch "$cache/$pkg/ok.new"   # fetch_deb's caller finishes the copy (depmod) and calls deb_done
      ok=new
    fi
  fi
  rm -rf "$cache"/*.part
  if [ "$ok" = no ]; then
    deb_pkg="$(cd "$cache" 2>/dev/null && ls -1d -- */ok 2>/dev/null | sort -V | tail -n 1 | cut -d/ -f1 || true)"
    [ -n "$deb_pkg" ] || missing "$pkg could not be downloaded ($(tr '\n' ' ' < "$out/apt.log")) and no copy is cached in $cache"
    say "using the cached $deb_pkg"
  fi
  deb_dir="$cache/$deb_pkg"
}
# deb_done: the fetched copy is complete; other copies of that cache go, and the cache is free again
deb_done() {
  if [ -f "$deb_dir/ok.new" ]; then
    mv "$deb_dir/ok.new" "$deb_dir/ok"
    find "$(dirname "$deb_dir")" -mindepth 1 -maxdepth 1 ! -name "$deb_pkg" -exec rm -rf {} +
  fi
  cache_unlock
}

# cache_lock: .cache is this process's until cache_unlock (or its exit). The stage's machines start
# side by side, and both fetch the kernel: on a fresh clone one would otherwise remove the other's
# half-downloaded copy. Taking it twice is a no-op.
cache_lock() {
  [ -z "${cache_lock_fd:-}" ] || return 0
  mkdir -p "$repo/.cache"
  exec {cache_lock_fd}>"$repo/.cache/.lock"
  flock "$cache_lock_fd"
}
cache_unlock() {
  [ -n "${cache_lock_fd:-}" ] || return 0
  exec {cache_lock_fd}>&-
  cache_lock_fd=
}

# apt_answer FUNCTION: what FUNCTION (a question to apt) prints; when that is nothing and this is root,
# asked again after apt-get update (package lists missing, or older than the archive)
apt_answer() {
  local answer
  answer="$("$1" 2>/dev/null || true)"
  if [ -z "$answer" ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 || true
    answer="$("$1" 2>/dev/null || true)"
  fi
  echo "$answer"
}

# the kernel: the package linux-image-amd64 depends on, for this machine's Debian release
kernel_package() { apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
fetch_kernel() {
  cache_lock   # apt-get update, when the lists are missing, is not for two at once either
  : > "$out/apt.log"
  local wanted
  wanted="$(apt_answer kernel_package)"
  fetch_deb "$repo/.cache/kernel" "${wanted:-linux-image-none}"
  pkg="$deb_pkg"
  kdir="$deb_dir"
  release="$(ls -1 "$kdir/root/lib/modules" 2>/dev/null | head -n 1 || true)"
  [ -n "$release" ] || die "no module tree in $pkg (lib/modules)"
  [ -f "$kdir/ok" ] || depmod -b "$kdir/root" "$release"
  deb_done
  vmlinuz="$kdir/root/boot/vmlinuz-$release"
  modules="$kdir/root/lib/modules"
}

# the JDK that runs this script (Maven's, from JAVA_HOME or PATH) is the one the guest uses
find_java() {
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/java}"
  [ -n "$java_bin" ] && [ -x "$java_bin" ] || java_bin="$(command -v java || true)"
  [ -n "$java_bin" ] || missing "no java on PATH and no JAVA_HOME"
  java_bin="$(readlink -f "$java_bin")"
}

# copy_modules DIR MODULE...: the modules' .ko files and those they depend on into DIR/modules, with
# DIR/modules/order naming them in the order they load (the initramfs' init insmods them so)
copy_modules() {
  local dir="$1" ko
  shift
  mkdir -p "$dir/modules"
  modprobe -d "$kdir/root" -S "$release" --show-depends -a "$@" \
    | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' > "$dir/modules/order.paths"
  [ -s "$dir/modules/order.paths" ] || die "$pkg has none of the modules $*"
  : > "$dir/modules/order"
  while read -r ko; do
    cp "$ko" "$dir/modules/"
    basename "$ko" >> "$dir/modules/order"
  done < "$dir/modules/order.paths"
  rm "$dir/modules/order.paths"
}

# pack DIR FILE: DIR as a gzipped cpio archive (an initramfs)
pack() {
  (cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 > "$2"
}

# build_initramfs SCRIPT: busybox, the modules the 9p root needs (in dependency order), realkernel/init.sh
# as /init, and stage.env naming SCRIPT (realkernel/SCRIPT runs in the chroot) -> $out/initramfs.gz
build_initramfs() {
  rm -rf "$out/initramfs"
  mkdir -p "$out/initramfs"/{bin,sbin,proc,sys,dev,host}
  cp "$busybox_bin" "$out/initramfs/bin/busybox"
  cp "$here/init.sh" "$out/initramfs/init"
  chmod 755 "$out/initramfs/init"
  copy_modules "$out/initramfs" 9p 9pnet_virtio virtio_pci overlay
  {
    printf 'SCRIPT=%q\n' "$1"
    printf 'REPO=%q\n' "$repo"
    printf 'OUT=%q\n' "$out"
    printf 'MODULES=%q\n' "$modules"
    printf 'RELEASE=%q\n' "$release"
    printf 'JAVA=%q\n' "$java_bin"
    printf 'CYCLES=%q\n' "${PCIPASS_REAL_KERNEL_CYCLES:-20}"
  } > "$out/initramfs/stage.env"
  pack "$out/initramfs" "$out/initramfs.gz"
}

# nic ID MODEL PROPS: a NIC on user-mode networking restricted to the guest
nic() { echo "-netdev user,id=$1,restrict=on -device $2,netdev=$1,$3"; }

# guest_logs: what the machine showed, on stderr (a stage may add its own: extra_logs)
guest_logs() {
  say "console ($out/console.$phase.log):"
  cat "$out/console.$phase.log" >&2 || true
  if [ -f "$out/results/scenarios.$phase.log" ]; then
    say "scenarios' progress ($out/results/scenarios.$phase.log):"
    cat "$out/results/scenarios.$phase.log" >&2
  fi
  if declare -F extra_logs >/dev/null; then extra_logs; fi
}

# run_boots PHASES TIMEOUT: for each phase, machine PHASE fills the array qemu_args and the machine
# boots with its serial console in $out/console.PHASE.log; it must power off after writing
# results/done.PHASE, all phases within TIMEOUT seconds of the first boot. QEMU runs at the niceness
# stage_nice (default 0).
run_boots() {
  local phases="$1" timeout_s="$2" start left rc
  start=$(date +%s)
  for phase in $(seq 1 "$phases"); do
    left=$(( timeout_s - ($(date +%s) - start) ))
    [ "$left" -gt 0 ] || left=1
    machine "$phase"
    say "boot $phase: $boot_what under qemu-system-x86_64 -accel tcg; console: $out/console.$phase.log"
    rc=0
    timeout --kill-after=10 "$left" nice -n "${stage_nice:-0}" qemu-system-x86_64 "${qemu_args[@]}" \
      -serial "file:$out/console.$phase.log" </dev/null >"$out/qemu.log" 2>&1 || rc=$?
    echo "$(( $(date +%s) - start ))" | tee "$out/results/stage.$phase.seconds" > "$out/results/stage.seconds"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      say "boot $phase: the machine did not power off within ${timeout_s} s of the stage's start; it was stopped."
      guest_logs
      exit 1
    fi
    if [ "$rc" != 0 ]; then
      say "boot $phase: qemu-system-x86_64 exited $rc: $(cat "$out/qemu.log")"
      guest_logs
      exit 1
    fi
    if [ ! -f "$out/results/done.$phase" ]; then
      say "boot $phase: the machine powered off before the scenarios finished."
      guest_logs
      exit 1
    fi
  done
  say "the scenarios ran in $phases boots, $(cat "$out/results/stage.seconds") s"
}
