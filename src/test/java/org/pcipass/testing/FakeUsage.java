package org.pcipass.testing;

import java.nio.file.Path;

/**
 * Who uses a device, as the kernel shows it under sysfs: network interfaces and disks hanging
 * below child devices of the PCI function, their {@code class/} and {@code dev/block/} links,
 * virtual bridges/bonds/VLANs, device-mapper, framebuffers and DRM cards, virtio-9p tags.
 * All links are relative, like the real ones.
 */
public final class FakeUsage {
    private final FakeHost host;
    private int nextIfindex = 2;

    FakeUsage(FakeHost host) {
        this.host = host;
        Path lo = host.sysfs().resolve("devices/virtual/net/lo");
        iface(lo, "lo", 1, "00:00:00:00:00:00");
    }

    private Path sys(String rel) {
        return host.sysfs().resolve(rel);
    }

    /** The real directory of a network interface ({@code class/net/NAME} resolved). */
    public Path netDir(String ifname) {
        return resolve(sys("class/net").resolve(ifname));
    }

    /** The real directory of a block device ({@code class/block/NAME} resolved). */
    public Path blockDir(String name) {
        return resolve(sys("class/block").resolve(name));
    }

    private static Path resolve(Path link) {
        try {
            return link.toRealPath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A virtio child device {@code DEV/virtioN} (virtio device id 1 net, 2 block, 9 9p) with
     * {@code sys/bus/virtio/devices/virtioN} pointing at it.
     */
    public Path virtioChild(PciDev dev, String child, int virtioId, String virtioDriver) {
        Path c = dev.dir().resolve(child);
        Fs.write(c.resolve("vendor"), "0x1af4\n");
        Fs.write(c.resolve("device"), String.format("0x%04x%n", virtioId));
        Fs.write(c.resolve("status"), "0x0000000f\n");
        Fs.write(c.resolve("modalias"), String.format("virtio:d%08Xv00001AF4%n", virtioId));
        Fs.mkdirs(c.resolve("power"));
        Fs.link(c.resolve("subsystem"), sys("bus/virtio"));
        Path drv = sys("bus/virtio/drivers").resolve(virtioDriver);
        Fs.mkdirs(drv);
        Fs.link(c.resolve("driver"), drv);
        Fs.link(drv.resolve(child), c);
        Fs.link(sys("bus/virtio/devices").resolve(child), c);
        return c;
    }

    private Path iface(Path dir, String name, int ifindex, String mac) {
        Fs.write(dir.resolve("ifindex"), ifindex + "\n");
        Fs.write(dir.resolve("iflink"), ifindex + "\n");
        Fs.write(dir.resolve("address"), mac + "\n");
        Fs.write(dir.resolve("operstate"), (name.equals("lo") ? "unknown" : "up") + "\n");
        Fs.write(dir.resolve("carrier"), "1\n");
        Fs.write(dir.resolve("mtu"), (name.equals("lo") ? "65536" : "1500") + "\n");
        Fs.write(dir.resolve("type"), (name.equals("lo") ? "772" : "1") + "\n");
        Fs.write(dir.resolve("uevent"), "INTERFACE=" + name + "\nIFINDEX=" + ifindex + "\n");
        Fs.link(dir.resolve("subsystem"), sys("class/net"));
        Fs.link(sys("class/net").resolve(name), dir);
        return dir;
    }

    private Path netIface(Path owner, String name) {
        int idx = nextIfindex++;
        Path dir = owner.resolve("net").resolve(name);
        iface(dir, name, idx, String.format("52:54:00:12:34:%02x", idx));
        Fs.link(dir.resolve("device"), owner);
        return dir;
    }

    /** A NIC's interface directly below the function: {@code DEV/net/NAME}. */
    public Path nic(PciDev dev, String ifname) {
        return netIface(dev.dir(), ifname);
    }

    /** A virtio NIC: {@code DEV/virtioN/net/NAME}. */
    public Path virtioNic(PciDev dev, String child, String ifname) {
        return netIface(virtioChild(dev, child, 1, "virtio_net"), ifname);
    }

    private Path virtualIface(String name) {
        int idx = nextIfindex++;
        return iface(sys("devices/virtual/net").resolve(name), name, idx, String.format("52:54:00:ab:cd:%02x", idx));
    }

    private void stack(Path upper, String upperName, String lowerName) {
        Path lower = netDir(lowerName);
        Fs.link(upper.resolve("lower_" + lowerName), lower);
        Fs.link(lower.resolve("upper_" + upperName), upper);
    }

    /** A bridge {@code devices/virtual/net/BR} with {@code brif/PORT}, {@code lower_PORT}; ports get {@code upper_BR}, {@code master}, {@code brport/}. */
    public Path bridge(String name, String... ports) {
        Path br = virtualIface(name);
        Fs.write(br.resolve("bridge/stp_state"), "0\n");
        Fs.mkdirs(br.resolve("brif"));
        for (String port : ports) {
            Path p = netDir(port);
            Fs.write(p.resolve("brport/state"), "3\n");
            Fs.link(br.resolve("brif").resolve(port), p.resolve("brport"));
            Fs.link(p.resolve("brport/bridge"), br);
            Fs.link(p.resolve("master"), br);
            stack(br, name, port);
        }
        return br;
    }

    /** A bond with {@code bonding/slaves} and {@code lower_*}; slaves get {@code upper_BOND}, {@code master}. */
    public Path bond(String name, String... slaves) {
        Path b = virtualIface(name);
        Fs.write(b.resolve("bonding/slaves"), String.join(" ", slaves) + "\n");
        Fs.write(b.resolve("bonding/mode"), "active-backup 1\n");
        for (String s : slaves) {
            Fs.link(netDir(s).resolve("master"), b);
            stack(b, name, s);
        }
        return b;
    }

    /** A VLAN {@code LOWER.ID} on {@code lower}. */
    public Path vlan(String lower, int id) {
        String name = lower + "." + id;
        Path v = virtualIface(name);
        stack(v, name, lower);
        return v;
    }

    /**
     * A block device {@code parentDir/NAME} with {@code dev}, {@code uevent}, {@code size},
     * {@code holders/}, {@code slaves/}; {@code class/block/NAME} and {@code dev/block/MAJ:MIN}
     * link to it. Disks get a {@code device} link to {@code deviceDir} (null for none).
     */
    public Path block(Path parentDir, String name, String majMin, boolean partition, Path deviceDir) {
        Path d = parentDir.resolve(name);
        String[] mm = majMin.split(":");
        Fs.write(d.resolve("dev"), majMin + "\n");
        Fs.write(d.resolve("uevent"), "MAJOR=" + mm[0] + "\nMINOR=" + mm[1] + "\nDEVNAME=" + name
                + "\nDEVTYPE=" + (partition ? "partition" : "disk") + "\n");
        Fs.write(d.resolve("size"), (partition ? "1048576" : "1000215216") + "\n");
        Fs.write(d.resolve("ro"), "0\n");
        Fs.mkdirs(d.resolve("holders"));
        Fs.mkdirs(d.resolve("power"));
        if (!partition) {
            Fs.mkdirs(d.resolve("slaves"));
            Fs.write(d.resolve("removable"), "0\n");
            Fs.write(d.resolve("queue/rotational"), "0\n");
        }
        if (deviceDir != null) {
            Fs.link(d.resolve("device"), deviceDir);
        }
        Fs.link(d.resolve("subsystem"), sys("class/block"));
        Fs.link(sys("class/block").resolve(name), d);
        Fs.link(sys("dev/block").resolve(majMin), d);
        return d;
    }

    /** A partition {@code DISK/PART} with a {@code partition} number file. */
    public Path partition(Path disk, String name, String majMin, int number) {
        Path p = block(disk, name, majMin, true, null);
        Fs.write(p.resolve("partition"), number + "\n");
        Fs.write(p.resolve("start"), (2048L * number) + "\n");
        return p;
    }

    /** NVMe namespace: {@code DEV/nvme/CTRL/NAME} (e.g. nvme0, nvme0n1). */
    public Path nvmeDisk(PciDev dev, String ctrl, String name, String majMin) {
        Path c = dev.dir().resolve("nvme").resolve(ctrl);
        Fs.write(c.resolve("model"), "SAMSUNG MZVLB512HBJQ-000L7              \n");
        Fs.write(c.resolve("dev"), "241:0\n");
        Fs.link(c.resolve("device"), dev.dir());
        Fs.link(sys("class/nvme").resolve(ctrl), c);
        return block(c, name, majMin, false, c);
    }

    /** SATA disk: {@code DEV/ataN/hostH/targetH:0:0/H:0:0:0/block/NAME}. */
    public Path sataDisk(PciDev dev, int ataPort, int scsiHost, String name, String majMin) {
        String h = Integer.toString(scsiHost);
        Path sdev = dev.dir().resolve("ata" + ataPort).resolve("host" + h).resolve("target" + h + ":0:0")
                .resolve(h + ":0:0:0");
        Fs.write(sdev.resolve("vendor"), "ATA     \n");
        Fs.write(sdev.resolve("model"), "Samsung SSD 860 \n");
        Fs.link(sys("class/scsi_host").resolve("host" + h), dev.dir().resolve("ata" + ataPort).resolve("host" + h));
        return block(sdev.resolve("block"), name, majMin, false, sdev);
    }

    /**
     * A disk of the software iSCSI initiator (iscsi_tcp), laid out as
     * drivers/scsi/scsi_transport_iscsi.c does: the SCSI host has no PCI parent
     * ({@code devices/platform/hostH}), the session is its child {@code sessionS}, the disk hangs
     * below {@code sessionS/targetH:0:0/H:0:0:0/block/NAME}, and the one connection is
     * {@code sessionS/connectionS:0} with its class device
     * {@code connectionS:0/iscsi_connection/connectionS:0} holding {@code address},
     * {@code persistent_address} (both {@code portal}, as {@code %pI4}/{@code %pI6} write them) and
     * the ports. {@code class/scsi_host}, {@code class/iscsi_host}, {@code class/iscsi_session} and
     * {@code class/iscsi_connection} link to them.
     */
    public Path iscsiDisk(int scsiHost, int sid, String portal, String name, String majMin) {
        String h = Integer.toString(scsiHost);
        Path host = sys("devices/platform/host" + h);
        Fs.write(host.resolve("uevent"), "DEVTYPE=scsi_host\n");
        Fs.write(host.resolve("scsi_host/host" + h + "/proc_name"), "iscsi_tcp\n");
        Fs.write(host.resolve("iscsi_host/host" + h + "/ipaddress"), "\n");
        Fs.link(sys("class/scsi_host/host" + h), host.resolve("scsi_host/host" + h));
        Fs.link(sys("class/iscsi_host/host" + h), host.resolve("iscsi_host/host" + h));
        Path session = host.resolve("session" + sid);
        Path sclass = session.resolve("iscsi_session/session" + sid);
        Fs.write(sclass.resolve("targetname"), "iqn.2003-01.org.linux-iscsi.storage:node7\n");
        Fs.write(sclass.resolve("tpgt"), "1\n");
        Fs.write(sclass.resolve("state"), "LOGGED_IN\n");
        Fs.write(sclass.resolve("ifacename"), "default\n");
        Fs.link(sys("class/iscsi_session/session" + sid), sclass);
        String conn = "connection" + sid + ":0";
        Path cclass = session.resolve(conn).resolve("iscsi_connection").resolve(conn);
        Fs.write(cclass.resolve("address"), portal + "\n");
        Fs.write(cclass.resolve("port"), "3260\n");
        Fs.write(cclass.resolve("persistent_address"), portal + "\n");
        Fs.write(cclass.resolve("persistent_port"), "3260\n");
        Fs.write(cclass.resolve("state"), "up\n");
        Fs.link(sys("class/iscsi_connection").resolve(conn), cclass);
        Path sdev = session.resolve("target" + h + ":0:0").resolve(h + ":0:0:0");
        Fs.write(sdev.resolve("vendor"), "LIO-ORG \n");
        Fs.write(sdev.resolve("model"), "node7-root      \n");
        return block(sdev.resolve("block"), name, majMin, false, sdev);
    }

    /** virtio disk: {@code DEV/virtioN/block/NAME}. */
    public Path virtioDisk(PciDev dev, String child, String name, String majMin) {
        Path c = virtioChild(dev, child, 2, "virtio_blk");
        return block(c.resolve("block"), name, majMin, false, c);
    }

    /** device-mapper: {@code devices/virtual/block/dm-N} with {@code dm/name} and {@code slaves/} links. */
    public Path deviceMapper(String name, String majMin, String dmName, String... slaves) {
        Path dm = block(sys("devices/virtual/block"), name, majMin, false, null);
        Fs.write(dm.resolve("dm/name"), dmName + "\n");
        Fs.write(dm.resolve("dm/uuid"), "LVM-" + dmName + "\n");
        for (String s : slaves) {
            Path sd = blockDir(s);
            Fs.link(dm.resolve("slaves").resolve(s), sd);
            Fs.link(sd.resolve("holders").resolve(name), dm);
        }
        return dm;
    }

    /** Console: {@code class/graphics/FB} and {@code class/drm/CARD} whose {@code device} is {@code dev}. */
    public FakeUsage console(PciDev dev, String fb, String card) {
        if (fb != null) {
            Path f = dev.dir().resolve("graphics").resolve(fb);
            Fs.write(f.resolve("dev"), "29:" + fb.substring(2) + "\n");
            Fs.write(f.resolve("name"), "inteldrmfb\n");
            Fs.link(f.resolve("device"), dev.dir());
            Fs.link(f.resolve("subsystem"), sys("class/graphics"));
            Fs.link(sys("class/graphics").resolve(fb), f);
        }
        if (card != null) {
            Path c = dev.dir().resolve("drm").resolve(card);
            Fs.write(c.resolve("dev"), "226:" + card.substring(4) + "\n");
            Fs.link(c.resolve("device"), dev.dir());
            Fs.link(c.resolve("subsystem"), sys("class/drm"));
            Fs.link(sys("class/drm").resolve(card), c);
        }
        return this;
    }

    /**
     * virtio-9p: {@code DEV/virtioN/mount_tag}. As the kernel's {@code p9_mount_tag_show}, the file
     * holds the tag followed by a NUL byte, not a newline.
     */
    public Path virtio9p(PciDev dev, String child, String tag) {
        Path c = virtioChild(dev, child, 9, "9pnet_virtio");
        byte[] t = tag.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] content = java.util.Arrays.copyOf(t, t.length + 1);
        Fs.write(c.resolve("mount_tag"), content);
        return c;
    }
}
