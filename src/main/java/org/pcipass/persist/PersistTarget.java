package org.pcipass.persist;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.host.HostPaths;
import org.pcipass.host.KernelModules;
import org.pcipass.sysfs.Sysfs;

/**
 * Where and how {@code --persist} writes on one root: the file, pciback's module name, the stubs
 * built into the kernel, the initramfs tool, and the file contents the plan is made from.
 *
 * @param file relative to the config root: {@link #MODPROBE_CONF} or {@link #MODPROBE_D}
 * @param pcibackModule {@code xen-pciback} or {@code pciback}
 * @param initramfs null when the root shows no initramfs under {@code /boot}
 * @param current the file's bytes now (absent when there is no file)
 * @param neighbours the other files modprobe reads with it (absolute path → text, null where it cannot be
 *     read), for conflicts: {@link ModprobeConfigFiles}
 * @param cmdline the kernel command line it booted with ({@code proc/cmdline}; "" when there is none):
 *     its stub parameters meet pcipass's lines at boot ({@link KernelCmdline})
 */
public record PersistTarget(Path configRoot, String file, String pcibackModule, Set<Stub> builtInStubs,
        Initramfs initramfs, AtomicFile.Snapshot current, Map<String, String> neighbours, String cmdline) {
    /** module-init-tools' file (RHEL 5 and older); today's kmod never reads it. */
    public static final String MODPROBE_CONF = "etc/modprobe.conf";
    /** pcipass's own file where kmod reads {@code /etc/modprobe.d/*.conf}. */
    public static final String MODPROBE_D = "etc/modprobe.d/pcipass.conf";

    private static final Pattern RELEASE = Pattern.compile("(?i)\\brelease\\s+(\\d+)");

    public PersistTarget {
        Objects.requireNonNull(configRoot, "configRoot");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(pcibackModule, "pcibackModule");
        Objects.requireNonNull(current, "current");
        builtInStubs = builtInStubs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(builtInStubs));
        neighbours = Collections.unmodifiableSortedMap(new TreeMap<>(neighbours));
        cmdline = cmdline == null ? "" : cmdline;
    }

    /** A target booted without stub parameters on its command line. */
    public PersistTarget(Path configRoot, String file, String pcibackModule, Set<Stub> builtInStubs,
            Initramfs initramfs, AtomicFile.Snapshot current, Map<String, String> neighbours) {
        this(configRoot, file, pcibackModule, builtInStubs, initramfs, current, neighbours, "");
    }

    /**
     * The initramfs and the command that rebuilds it.
     *
     * @param command e.g. {@code dracut -f}; null when the distribution's tool is not known
     */
    public record Initramfs(String command) {
        /** {@code if bnx2 is loaded from your initramfs, rebuild it with "dracut -f": …}. */
        public String note(List<String> modules, String systemPath) {
            String who = modules.size() == 1 ? modules.get(0)
                    : String.join(", ", modules.subList(0, modules.size() - 1)) + " or " + modules.get(modules.size() - 1);
            return "if " + who + " is loaded from your initramfs, rebuild it with "
                    + (command == null ? "your distribution's initramfs tool" : "\"" + command + "\"")
                    + ": the initramfs keeps its own copy of " + systemPath;
        }
    }

    /** The file's absolute path under the config root. */
    public Path path() {
        return configRoot.resolve(file);
    }

    /** The file's path on the system itself: {@code /etc/modprobe.conf}. */
    public String systemPath() {
        return "/" + file;
    }

    /** Whether the whole file is pcipass's (then an empty block means no file at all). */
    public boolean ownsWholeFile() {
        return file.equals(MODPROBE_D);
    }

    /**
     * Reads the root's facts: {@code /etc/redhat-release}, {@code /lib/modules/RELEASE}, {@code /boot},
     * modprobe.d, {@code /proc/cmdline}.
     */
    public static PersistTarget inspect(HostPaths paths) {
        Sysfs root = new Sysfs(paths.configRoot());
        KernelModules modules = new KernelModules(new Sysfs(paths.sysfs()), root);
        String redhat = root.read("etc/redhat-release");
        boolean old = isRhel5OrOlder(redhat);
        String file = old ? MODPROBE_CONF : MODPROBE_D;
        String pciback = modules.state(null, "xen-pciback") == KernelModules.State.MISSING ? "pciback" : "xen-pciback";
        Set<Stub> builtIn = EnumSet.noneOf(Stub.class);
        for (Stub s : Stub.values()) {
            String[] names = s == Stub.PCIBACK ? new String[] {"xen-pciback", "pciback"} : new String[] {s.driverName()};
            if (modules.state(null, names) == KernelModules.State.BUILT_IN) {
                builtIn.add(s);
            }
        }
        String os = root.readAll("etc/os-release");
        Initramfs initramfs = initramfs(redhat, os != null ? os : root.readAll("usr/lib/os-release"),
                root.list("boot"), modules.release());
        Path configRoot = paths.configRoot();
        return new PersistTarget(configRoot, file, pciback, builtIn, initramfs,
                AtomicFile.read(configRoot.resolve(file)), ModprobeConfigFiles.read(configRoot, file, old),
                root.readAll("proc/cmdline"));
    }

    /**
     * Whether {@code /etc/redhat-release} names release 5 or older ("Red Hat Enterprise Linux Server
     * release 5.3 (Tikanga)", "CentOS release 5.11 (Final)", "... AS release 4 ..."): those read
     * {@code /etc/modprobe.conf}.
     */
    public static boolean isRhel5OrOlder(String redhatRelease) {
        if (redhatRelease == null) {
            return false;
        }
        Matcher m = RELEASE.matcher(redhatRelease);
        return m.find() && m.group(1).length() <= 2 && Integer.parseInt(m.group(1)) <= 5;
    }

    /**
     * The initramfs, if {@code /boot} holds one ({@code initramfs-*}, {@code initrd*}), with its
     * tool: mkinitrd on RHEL 5 and older, {@code dracut -f} on Red Hat, Fedora and SUSE-like roots,
     * {@code update-initramfs -u} on Debian-like ones, {@code mkinitcpio -P} on Arch; else unknown.
     */
    public static Initramfs initramfs(String redhatRelease, String osRelease, String[] boot, String kernelRelease) {
        if (Arrays.stream(boot).noneMatch(n -> n.startsWith("initramfs") || n.startsWith("initrd"))) {
            return null;
        }
        if (isRhel5OrOlder(redhatRelease)) {
            String r = kernelRelease == null ? "$(uname -r)" : kernelRelease;
            return new Initramfs("mkinitrd -f /boot/initrd-" + r + ".img " + r);
        }
        if (redhatRelease != null && !redhatRelease.isBlank()) {
            return new Initramfs("dracut -f");
        }
        List<String> family = osFamily(osRelease);
        if (family.contains("rhel") || family.contains("fedora") || family.contains("suse")) {
            return new Initramfs("dracut -f");
        }
        if (family.contains("debian") || family.contains("ubuntu")) {
            return new Initramfs("update-initramfs -u");
        }
        if (family.contains("arch")) {
            return new Initramfs("mkinitcpio -P");
        }
        return new Initramfs(null);
    }

    /** os-release's ID and ID_LIKE words, lower-case ({@code rhel centos fedora}). */
    private static List<String> osFamily(String osRelease) {
        List<String> words = new ArrayList<>();
        if (osRelease == null) {
            return words;
        }
        for (String line : osRelease.split("\n")) {
            String l = line.strip();
            if (l.startsWith("ID=") || l.startsWith("ID_LIKE=")) {
                String value = l.substring(l.indexOf('=') + 1).replace("\"", "").replace("'", "");
                words.addAll(Arrays.asList(value.toLowerCase(Locale.ROOT).split("\\s+")));
            }
        }
        return words;
    }
}
