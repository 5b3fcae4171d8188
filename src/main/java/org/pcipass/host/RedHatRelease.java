package org.pcipass.host;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.sysfs.Sysfs;

/**
 * A Red Hat Enterprise Linux-like release as {@code /etc/redhat-release} names it: "Red Hat
 * Enterprise Linux Server release 5.3 (Tikanga)" is RHEL 5.3, "CentOS release 5" is 5.0. The seed's
 * limits are stated in RHEL releases (HVM passthrough needs 5.4 or newer), so only distributions that
 * rebuild RHEL and keep its numbers count; Fedora's "release 5", XenServer's and XCP-ng's own versions
 * do not.
 *
 * @param text the line as the file has it, stripped
 * @param major 5 for "release 5.3"
 * @param minor 3 for "release 5.3", 0 for "release 5"
 */
public record RedHatRelease(String text, int major, int minor) {
    /** Where it lives under a root. */
    public static final String FILE = "etc/redhat-release";

    /** Names that rebuild RHEL with its release numbers, lower-case, as the line starts. */
    private static final List<String> RHEL_LIKE = List.of("red hat enterprise linux", "centos",
            "scientific linux", "oracle linux", "enterprise linux", "rocky linux", "almalinux");
    private static final Pattern RELEASE = Pattern.compile("\\brelease\\s+(\\d{1,3})(?:\\.(\\d++))?+(?!\\d)");

    public RedHatRelease {
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("release: " + major + "." + minor + " is negative");
        }
    }

    /** The release the line names, or null when it is not RHEL-like or names no release number. */
    public static RedHatRelease parse(String line) {
        if (line == null) {
            return null;
        }
        String t = line.strip();
        String lower = t.toLowerCase(Locale.ROOT);
        if (RHEL_LIKE.stream().noneMatch(lower::startsWith)) {
            return null;
        }
        Matcher m = RELEASE.matcher(lower);
        if (!m.find()) {
            return null;
        }
        if (m.group(2) != null && m.group(2).length() > 3) {
            return null; // a garbled minor: not a release we know
        }
        int minor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        return new RedHatRelease(t, Integer.parseInt(m.group(1)), minor);
    }

    /** The release of the root's {@code /etc/redhat-release} (its first line), or null. */
    public static RedHatRelease of(Sysfs root) {
        String text = root.read(FILE);
        if (text == null) {
            return null;
        }
        int nl = text.indexOf('\n');
        return parse(nl < 0 ? text : text.substring(0, nl));
    }

    /** Whether this release is older than {@code major.minor}. */
    public boolean before(int major, int minor) {
        return this.major < major || this.major == major && this.minor < minor;
    }

    /**
     * RHEL 5 before 5.4: Xen HVM (fully virtualized) guests cannot be given PCI devices, only
     * para-virtualized ones (the seed's limit; RHEL 4 and older had no Xen passthrough to speak of).
     */
    public boolean lacksHvmPassthrough() {
        return major == 5 && minor < 4;
    }

    @Override
    public String toString() {
        return text;
    }
}
