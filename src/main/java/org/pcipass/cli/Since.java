package org.pcipass.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;

/**
 * A point in time as an admin types it for {@code audit --since} and {@code /api/audit?since=}: an
 * age ({@code 90s}, {@code 15m}, {@code 2h}, {@code 7d}, {@code 2w}), an instant with its offset
 * ({@code 2026-11-30T12:00:00Z}), or a local date and time or date in the host's time zone
 * ({@code 2026-11-30T12:00}, {@code 2026-11-30 12:00}, {@code 2026-11-30}).
 */
public final class Since {
    private static final Pattern AGE = Pattern.compile("(\\d{1,9})([smhdw])");

    private Since() {}

    /** @throws PcipassException.BadInput naming {@code what} and the forms it takes */
    public static Instant parse(String text, Clock clock, String what) {
        String t = text.strip();
        Matcher m = AGE.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration unit = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(1);
                case "m" -> Duration.ofMinutes(1);
                case "h" -> Duration.ofHours(1);
                case "d" -> Duration.ofDays(1);
                default -> Duration.ofDays(7);
            };
            return clock.instant().minus(unit.multipliedBy(n));
        }
        ZoneId zone = clock.getZone().equals(java.time.ZoneOffset.UTC) ? ZoneId.systemDefault() : clock.getZone();
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            // not an instant with an offset: try the local forms
        }
        try {
            return LocalDateTime.parse(t.replace(' ', 'T')).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            // nor a local date and time
        }
        try {
            return LocalDate.parse(t).atStartOfDay(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw new PcipassException.BadInput(what + " '" + text + "' is not a time; give an age such as 15m, 2h or"
                    + " 7d, a date such as 2026-11-30, or a time such as 2026-11-30T12:00 or 2026-11-30T12:00:00Z");
        }
    }
}
