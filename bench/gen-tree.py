#!/usr/bin/env python3
"""Generates a synthetic sysfs tree of N PCI functions for benchmarks.

Usage: bench/gen-tree.py DIR [N] [--mix KINDS]   (N defaults to 4096)

--mix KINDS: what the root ports carry, in turn, as a comma-separated list of sriov, gpu, nvme and
switch (default sriov,gpu,nvme,switch); e.g. N=6 --mix gpu,nvme is a small host: host bridge, a root
port with a GPU and its HDMI audio function, a root port with an NVMe drive.

The tree follows the real kernel's layout (see ../shared/REFERENCE.md) closely enough that both
`pcipass --sysfs DIR` and `lspci -O sysfs.path=DIR/bus/pci` read it: devices nested under root
ports, relative links for bus/pci/devices, drivers, modules and IOMMU groups, binary config space.
Each PCIe root port carries one of: an SR-IOV NIC (PF + VFs, each VF in its own group), a GPU with
its HDMI audio function (one group), an NVMe drive, or a PCIe switch with two NICs.

Every function has power/control and power/runtime_status, and every GPU boot_vga (0: the console
is a BMC's, not in the tree), as real sysfs does. Most functions are active; an idle HDMI audio
function is runtime-suspended (snd_hda_intel suspends an idle controller), and every second GPU is
in D3cold with its audio function and its root port (a port suspends when all below it do):
runtime_status "suspended", the state in which reading config would wake the device. The first GPU
stays awake, so a small host has one suspended device (the audio function), not three.
"""
import os
import struct
import sys

def w(path, text):
    with open(path, "w") as f:
        f.write(text)

def config(vendor, device, cls, rev, header, svid=0, sdid=0, vf=False, multi=False):
    c = bytearray(256)
    struct.pack_into("<HH", c, 0, 0xffff if vf else vendor, 0xffff if vf else device)
    c[8] = rev
    c[9], c[10], c[11] = cls & 0xff, (cls >> 8) & 0xff, (cls >> 16) & 0xff
    c[0x0e] = header | (0x80 if multi else 0)
    if header == 0:
        struct.pack_into("<HH", c, 0x2c, svid, sdid)
    return bytes(c)

class Tree:
    def __init__(self, root):
        self.root = root
        self.sys = os.path.join(root, "sys")
        self.count = 0
        self.group = 0
        self.suspended = 0
        self.gpus = 0
        for d in ["bus/pci/devices", "bus/pci/drivers", "kernel/iommu_groups", "module", "class/net",
                  "class/block", "dev/block", "class/iommu/dmar0"]:
            os.makedirs(os.path.join(self.sys, d), exist_ok=True)
        self.drivers = set()

    def driver(self, name, module):
        d = os.path.join(self.sys, "bus/pci/drivers", name)
        if name not in self.drivers:
            os.makedirs(d)
            for f in ["bind", "unbind", "new_id", "remove_id"]:
                w(os.path.join(d, f), "")
            if module:
                os.makedirs(os.path.join(self.sys, "module", module), exist_ok=True)
                w(os.path.join(self.sys, "module", module, "initstate"), "live\n")
                os.symlink("../../../../module/" + module, os.path.join(d, "module"))
            self.drivers.add(name)
        return d

    def new_group(self):
        self.group += 1
        os.makedirs(os.path.join(self.sys, "kernel/iommu_groups", str(self.group), "devices"))
        return self.group

    def dev(self, parent, addr, vendor, device, cls, rev=1, header=0, driver=None, module=None, group=None,
            vf_of=None, multi=False, numa=0, suspended=False):
        d = os.path.join(parent, addr)
        os.makedirs(d)
        rel = os.path.relpath(d, self.sys)
        w(os.path.join(d, "vendor"), "0x%04x\n" % vendor)
        w(os.path.join(d, "device"), "0x%04x\n" % device)
        w(os.path.join(d, "subsystem_vendor"), "0x%04x\n" % vendor)
        w(os.path.join(d, "subsystem_device"), "0x%04x\n" % (device ^ 0x10))
        w(os.path.join(d, "class"), "0x%06x\n" % cls)
        w(os.path.join(d, "revision"), "0x%02x\n" % rev)
        w(os.path.join(d, "numa_node"), "%d\n" % numa)
        w(os.path.join(d, "irq"), "16\n")
        w(os.path.join(d, "enable"), "1\n")
        w(os.path.join(d, "driver_override"), "(null)\n")
        w(os.path.join(d, "local_cpulist"), "0-1\n")
        w(os.path.join(d, "reset_method"), "flr bus\n")
        w(os.path.join(d, "resource"), "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" * 13)
        w(os.path.join(d, "modalias"), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n" % (
            vendor, device, vendor, device ^ 0x10, cls >> 16, (cls >> 8) & 0xff, cls & 0xff))
        if cls >> 8 == 0x0300:  # the kernel gives every VGA-class function boot_vga; the console is elsewhere (a BMC)
            w(os.path.join(d, "boot_vga"), "0\n")
        os.mkdir(os.path.join(d, "power"))
        w(os.path.join(d, "power/control"), "auto\n" if suspended else "on\n")
        w(os.path.join(d, "power/runtime_status"), "suspended\n" if suspended else "active\n")
        self.suspended += suspended
        with open(os.path.join(d, "config"), "wb") as f:
            f.write(config(vendor, device, cls, rev, header, vendor, device ^ 0x10, vf_of is not None, multi))
        os.symlink(os.path.relpath(d, os.path.join(self.sys, "bus/pci/devices")),
                   os.path.join(self.sys, "bus/pci/devices", addr))
        if driver:
            dd = self.driver(driver, module)
            os.symlink(os.path.relpath(dd, d), os.path.join(d, "driver"))
            os.symlink(os.path.relpath(d, dd), os.path.join(dd, addr))
        if group is not None:
            g = os.path.join(self.sys, "kernel/iommu_groups", str(group))
            os.symlink(os.path.relpath(g, d), os.path.join(d, "iommu_group"))
            os.symlink(os.path.relpath(d, os.path.join(g, "devices")), os.path.join(g, "devices", addr))
        if vf_of is not None:
            os.symlink("../" + vf_of, os.path.join(d, "physfn"))
        self.count += 1
        return d

KINDS = ("sriov", "gpu", "nvme", "switch")

def generate(root, n, mix=KINDS):
    t = Tree(root)
    domain = 0
    while t.count < n:
        fill_domain(t, n, domain, mix)
        domain += 1
    os.makedirs(os.path.join(root, "root/proc/self"), exist_ok=True)
    w(os.path.join(root, "root/proc/self/mountinfo"), "")
    return t

def fill_domain(t, n, domain, mix):
    dom = "%04x" % domain
    top = os.path.join(t.sys, "devices/pci%s:00" % dom)
    os.makedirs(top)
    t.dev(top, dom + ":00:00.0", 0x8086, 0x0d57, 0x060000, group=t.new_group())
    bus = 1
    port = 0
    kind = 0
    while t.count < n:
        slot, fn = divmod(port, 8)
        if slot >= 0x1f:
            break
        rp_addr = dom + ":00:%02x.%d" % (slot + 1, fn)
        what = mix[kind % len(mix)]
        left = n - t.count - 1  # after the root port
        # every second GPU in D3cold, with its audio function and its root port
        gpu_asleep = what == "gpu" and left >= 2 and t.gpus % 2 == 1
        rp = t.dev(top, rp_addr, 0x8086, 0x1901, 0x060400, header=1, driver="pcieport", group=t.new_group(),
                   suspended=gpu_asleep)
        port += 1
        if what == "sriov" and left >= 2:  # SR-IOV NIC: PF and up to 62 VFs on the next bus
            pf_addr = dom + ":%02x:00.0" % bus
            pf = t.dev(rp, pf_addr, 0x8086, 0x1521, 0x020000, driver="igb", module="igb", group=t.new_group())
            vfs = min(62, left - 1)
            w(os.path.join(pf, "sriov_totalvfs"), "63\n")
            w(os.path.join(pf, "sriov_numvfs"), "%d\n" % vfs)
            for i in range(vfs):
                vs, vfn = divmod(i + 16 * 8, 8)
                vf_addr = dom + ":%02x:%02x.%d" % (bus, vs, vfn)
                t.dev(rp, vf_addr, 0x8086, 0x1520, 0x020000, driver="igbvf", module="igbvf",
                      group=t.new_group(), vf_of=pf_addr)
                os.symlink("../" + vf_addr, os.path.join(pf, "virtfn%d" % i))
            bus += 1
        elif what == "gpu" and left >= 2:  # GPU + HDMI audio in one group; the audio function idle
            g = t.new_group()
            t.dev(rp, dom + ":%02x:00.0" % bus, 0x10de, 0x1b80, 0x030000, driver="nouveau", module="nouveau",
                  group=g, multi=True, suspended=gpu_asleep)
            t.dev(rp, dom + ":%02x:00.1" % bus, 0x10de, 0x10f0, 0x040300, driver="snd_hda_intel",
                  module="snd_hda_intel", group=g, multi=True, suspended=True)
            t.gpus += 1
            bus += 1
        elif what == "nvme":
            t.dev(rp, dom + ":%02x:00.0" % bus, 0x144d, 0xa808, 0x010802, driver="nvme", module="nvme",
                  group=t.new_group())
            bus += 1
        elif what == "switch" and left >= 4:  # switch with two NICs
            up = t.dev(rp, dom + ":%02x:00.0" % bus, 0x10b5, 0x8747, 0x060400, header=1, driver="pcieport",
                       group=t.new_group())
            for k in range(2):
                dn = t.dev(up, dom + ":%02x:%02x.0" % (bus + 1, k), 0x10b5, 0x8747, 0x060400, header=1,
                           driver="pcieport", group=t.new_group())
                if t.count < n:
                    t.dev(dn, dom + ":%02x:00.0" % (bus + 2 + k), 0x8086, 0x10fb, 0x020000, driver="ixgbe",
                          module="ixgbe", group=t.new_group())
            bus += 4
        else:
            t.dev(rp, dom + ":%02x:00.0" % bus, 0x144d, 0xa808, 0x010802, driver="nvme", module="nvme",
                  group=t.new_group())
            bus += 1
        kind += 1
        if bus > 0xf0:
            break

if __name__ == "__main__":
    args = [a for a in sys.argv[1:]]
    mix = KINDS
    if "--mix" in args:
        i = args.index("--mix")
        if i + 1 >= len(args):
            sys.exit("gen-tree.py: --mix needs a list such as gpu,nvme (kinds: %s)" % ",".join(KINDS))
        mix = tuple(args[i + 1].split(","))
        del args[i:i + 2]
        bad = [k for k in mix if k not in KINDS]
        if bad or not mix:
            sys.exit("gen-tree.py: --mix %s: unknown kind %s; give a comma-separated list of %s"
                     % (",".join(mix), ",".join(bad) or "(none)", ",".join(KINDS)))
    if len(args) < 1 or len(args) > 2:
        sys.exit("usage: gen-tree.py DIR [N] [--mix KINDS]")
    out = args[0]
    n = int(args[1]) if len(args) > 1 else 4096
    if os.path.exists(out) and os.listdir(out):
        sys.exit("gen-tree.py: %s exists and is not empty; give a new directory" % out)
    t = generate(out, n, mix)
    print("generated %d PCI functions under %s/sys (%d runtime-suspended)" % (t.count, out, t.suspended),
          file=sys.stderr)
