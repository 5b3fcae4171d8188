package org.pcipass.persist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pcipass.host.HostPaths;

/** Minimal config roots (and an empty sysfs) for persistence tests. */
final class Roots {
    static final String RHEL5_RELEASE = "Red Hat Enterprise Linux Server release 5.3 (Tikanga)\n";
    static final String RHEL5_KERNEL = "2.6.18-128.el5xen";
    static final String DEBIAN_KERNEL = "6.1.0-18-amd64";

    private final Path dir;

    private Roots(Path dir) {
        this.dir = dir;
    }

    /** A RHEL 5.3 root: redhat-release, pciback.ko, an initrd, and the given /etc/modprobe.conf. */
    static Roots rhel5(Path dir, String modprobeConf) {
        Roots r = new Roots(dir);
        r.write("etc/redhat-release", RHEL5_RELEASE);
        r.write("proc/sys/kernel/osrelease", RHEL5_KERNEL + "\n");
        r.write("lib/modules/" + RHEL5_KERNEL + "/modules.dep",
                "/lib/modules/" + RHEL5_KERNEL + "/kernel/drivers/xen/pciback/pciback.ko:\n"
                        + "/lib/modules/" + RHEL5_KERNEL + "/kernel/drivers/net/bnx2.ko:\n");
        r.write("lib/modules/" + RHEL5_KERNEL + "/modules.builtin", "");
        r.write("boot/initrd-" + RHEL5_KERNEL + ".img", "");
        if (modprobeConf != null) {
            r.write("etc/modprobe.conf", modprobeConf);
        }
        return r;
    }

    /** A Debian 12 root with an empty modules.dep (so pciback is called pciback) and /etc/modprobe.d. */
    static Roots debian12(Path dir) {
        Roots r = new Roots(dir);
        r.write("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
        r.write("etc/debian_version", "12.5\n");
        r.write("proc/sys/kernel/osrelease", DEBIAN_KERNEL + "\n");
        r.write("lib/modules/" + DEBIAN_KERNEL + "/modules.dep", "");
        r.write("lib/modules/" + DEBIAN_KERNEL + "/modules.builtin", "");
        r.mkdirs("etc/modprobe.d");
        return r;
    }

    /** The kernel command line the root booted with: {@code proc/cmdline}, newline-terminated as the kernel writes it. */
    Roots cmdline(String line) {
        return write("proc/cmdline", line + "\n");
    }

    Roots write(String rel, String text) {
        return write(rel, text.getBytes(StandardCharsets.UTF_8));
    }

    Roots write(String rel, byte[] bytes) {
        try {
            Path p = dir.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.write(p, bytes);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Roots mkdirs(String rel) {
        try {
            Files.createDirectories(dir.resolve(rel));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A symbolic link {@code rel} → {@code target} (as written: relative, or absolute for the root's {@code /}). */
    Roots link(String rel, String target) {
        try {
            Path p = dir.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.createSymbolicLink(p, Path.of(target));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes {@code /lib} a link to {@code usr/lib} (relative or absolute), its contents moved there. */
    Roots mergedUsr(String libTarget) {
        try {
            Files.createDirectories(dir.resolve("usr"));
            Files.move(dir.resolve("lib"), dir.resolve("usr/lib"));
            return link("lib", libTarget);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String read(String rel) {
        try {
            return Files.readString(dir.resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean exists(String rel) {
        return Files.exists(dir.resolve(rel));
    }

    Path path(String rel) {
        return dir.resolve(rel);
    }

    /** The host paths: this root, and an empty sysfs beside it. */
    HostPaths paths() {
        return new HostPaths(dir.resolve("sys-empty"), dir, dir.resolve("var/lib/pcipass"), null);
    }

    PersistTarget target() {
        return PersistTarget.inspect(paths());
    }
}
