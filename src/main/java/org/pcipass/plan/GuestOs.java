package org.pcipass.plan;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;

/**
 * The guest's operating system as far as the seed's limits care: RHEL's major and minor version,
 * from {@code --guest-os} ({@code rhel6}, {@code rhel5.4}, {@code centos6}) or else the domain's
 * libosinfo id ({@code http://redhat.com/rhel/6.10}, {@code http://centos.org/centos/6.9}).
 *
 * @param rhelMajor null when the OS is not RHEL-like or not known
 * @param source where it came from, for messages
 */
public record GuestOs(Integer rhelMajor, Integer rhelMinor, String source) {
    private static final Pattern NAME = Pattern.compile("(?:rhel|centos|rhl|redhat)-?(\\d+)(?:\\.(\\d+))?");
    private static final Pattern OSINFO = Pattern.compile(
            "http://(?:redhat\\.com/rhel|centos\\.org/centos)/(\\d+)(?:\\.(\\d+))?(?:[^0-9].*)?");
    private static final Pattern ALLOWED = Pattern.compile("[a-z0-9][a-z0-9.+_-]{0,63}");

    /** @throws PcipassException.BadInput for a {@code --guest-os} that is not a short OS name */
    public static GuestOs of(String guestOs, String osinfoId) {
        if (guestOs != null) {
            String g = guestOs.toLowerCase(java.util.Locale.ROOT);
            if (!ALLOWED.matcher(g).matches()) {
                throw new PcipassException.BadInput("--guest-os '" + guestOs.replaceAll("\\p{Cntrl}", "?")
                        + "' is not an OS name; give one such as rhel6, rhel5.4 or debian12");
            }
            return from(NAME.matcher(g), "--guest-os " + g);
        }
        if (osinfoId != null) {
            return from(OSINFO.matcher(osinfoId), "libosinfo " + osinfoId);
        }
        return new GuestOs(null, null, "unknown");
    }

    private static GuestOs from(Matcher m, String source) {
        if (!m.matches()) {
            return new GuestOs(null, null, source);
        }
        return new GuestOs(Integer.valueOf(m.group(1)), m.group(2) == null ? null : Integer.valueOf(m.group(2)), source);
    }
}
