package dev.outpost.edge.http;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * HTTP-date, RFC 9110 §5.6.7: IMF-fixdate is produced; IMF-fixdate, the obsolete RFC 850 form
 * (two-digit years interpreted per §5.6.7: more than 50 years in the future means the past century)
 * and asctime are accepted. Anything else is invalid ({@code null}). Names of days and months are
 * matched case-insensitively and the day name is not checked against the date (robustness, §5.6.7);
 * a leap second (:60) is read as :59.
 *
 * <p>Pure: {@link #parse(String)} never reads the clock, so the RFC 850 "50 years" rule is applied
 * against a fixed reference date ({@link #RFC850_REFERENCE}); {@link #parse(String, Instant)} applies it
 * against a given instant.
 */
public final class HttpDate {

    private HttpDate() {
    }

    /** Parses an HTTP-date, or returns {@code null} when the value is not a valid date. */
    public static Instant parse(String value) {
        return parse(value, RFC850_REFERENCE);
    }

    /** The reference "now" for two-digit RFC 850 years when none is given (no clock reads here). */
    public static final Instant RFC850_REFERENCE = Instant.parse("2026-01-01T00:00:00Z");

    private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");
    private static final List<String> LONG_DAYS = List.of("monday", "tuesday", "wednesday", "thursday", "friday",
            "saturday", "sunday");
    private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
            "sep", "oct", "nov", "dec");
    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final Instant MIN_FORMATTABLE = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant MAX_FORMATTABLE = Instant.parse("9999-12-31T23:59:59Z");

    /**
     * Parses an HTTP-date, interpreting an RFC 850 two-digit year that would be more than 50 years after
     * {@code now} as the most recent past year with those digits (§5.6.7). Null when invalid.
     */
    public static Instant parse(String value, Instant now) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        try {
            if (v.length() == 29 && v.charAt(3) == ',') {
                return imfFixdate(v);
            }
            int comma = v.indexOf(',');
            if (comma > 3) {
                return rfc850(v, comma, now);
            }
            if (v.length() == 24) {
                return asctime(v);
            }
        } catch (DateTimeException | IndexOutOfBoundsException e) {
            return null;
        }
        return null;
    }

    /** {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    private static Instant imfFixdate(String v) {
        if (!DAYS.contains(lower(v, 0, 3)) || v.charAt(4) != ' ' || v.charAt(7) != ' ' || v.charAt(11) != ' '
                || v.charAt(16) != ' ' || v.charAt(25) != ' ' || !v.substring(26).equalsIgnoreCase("GMT")) {
            return null;
        }
        int day = digits(v, 5, 2);
        int month = month(v, 8);
        int year = digits(v, 12, 4);
        return at(year, month, day, v, 17);
    }

    /** {@code Sunday, 06-Nov-94 08:49:37 GMT}. */
    private static Instant rfc850(String v, int comma, Instant now) {
        if (!LONG_DAYS.contains(lower(v, 0, comma)) || v.length() != comma + 24) {
            return null;
        }
        int p = comma + 1;
        if (v.charAt(p) != ' ' || v.charAt(p + 3) != '-' || v.charAt(p + 7) != '-' || v.charAt(p + 10) != ' '
                || v.charAt(p + 19) != ' ' || !v.substring(p + 20).equalsIgnoreCase("GMT")) {
            return null;
        }
        int day = digits(v, p + 1, 2);
        int month = month(v, p + 4);
        int yy = digits(v, p + 8, 2);
        if (day < 0 || month < 0 || yy < 0) {
            return null;
        }
        // the latest year ending in yy that is not more than 50 years after now
        ZonedDateTime nowUtc = ZonedDateTime.ofInstant(now, ZoneOffset.UTC);
        Instant limit = nowUtc.plusYears(50).toInstant();
        int century = nowUtc.getYear() - Math.floorMod(nowUtc.getYear(), 100);
        for (int year = century + 100 + yy; year >= century - 100 + yy; year -= 100) {
            if (year < 0 || year > 9999) {
                continue;
            }
            Instant candidate = at(year, month, day, v, p + 11);
            if (candidate == null) {
                if (month == 2 && day == 29) {
                    continue; // not a leap year in this century; try the previous one
                }
                return null;
            }
            if (!candidate.isAfter(limit)) {
                return candidate;
            }
        }
        return null;
    }

    /** {@code Sun Nov  6 08:49:37 1994}. */
    private static Instant asctime(String v) {
        if (!DAYS.contains(lower(v, 0, 3)) || v.charAt(3) != ' ' || v.charAt(7) != ' ' || v.charAt(10) != ' '
                || v.charAt(19) != ' ') {
            return null;
        }
        int month = month(v, 4);
        int day = v.charAt(8) == ' ' ? digits(v, 9, 1) : digits(v, 8, 2);
        int year = digits(v, 20, 4);
        return at(year, month, day, v, 11);
    }

    /** Date plus {@code HH:mm:ss} at {@code timeAt}; null when any part is invalid. */
    private static Instant at(int year, int month, int day, String v, int timeAt) {
        if (year < 0 || month < 0 || day < 0 || v.charAt(timeAt + 2) != ':' || v.charAt(timeAt + 5) != ':') {
            return null;
        }
        int hour = digits(v, timeAt, 2);
        int minute = digits(v, timeAt + 3, 2);
        int second = digits(v, timeAt + 6, 2);
        if (hour < 0 || minute < 0 || second < 0 || second > 60) {
            return null;
        }
        try {
            LocalDate date = LocalDate.of(year, month, day);
            return LocalDateTime.of(date, java.time.LocalTime.of(hour, minute, Math.min(second, 59)))
                    .toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static int month(String v, int at) {
        int m = MONTHS.indexOf(lower(v, at, at + 3));
        return m < 0 ? -1 : m + 1;
    }

    private static String lower(String v, int from, int to) {
        return v.substring(from, to).toLowerCase(Locale.ROOT);
    }

    /** The decimal number of exactly {@code count} ASCII digits at {@code at}, or -1. */
    private static int digits(String v, int at, int count) {
        int n = 0;
        for (int i = at; i < at + count; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /**
     * Formats as IMF-fixdate, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. Sub-second precision is
     * dropped; instants outside years 1-9999 (not representable) are clamped.
     */
    public static String format(Instant instant) {
        Instant t = instant;
        if (t.isBefore(MIN_FORMATTABLE)) {
            t = MIN_FORMATTABLE;
        } else if (t.isAfter(MAX_FORMATTABLE)) {
            t = MAX_FORMATTABLE;
        }
        return IMF_FIXDATE.format(t);
    }
}
