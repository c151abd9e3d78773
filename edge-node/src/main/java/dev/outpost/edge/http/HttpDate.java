package dev.outpost.edge.http;

import java.time.Instant;

/**
 * HTTP-date, RFC 9110 §5.6.7: IMF-fixdate is produced; IMF-fixdate, the obsolete RFC 850 form
 * (two-digit years interpreted per §5.6.7: more than 50 years in the future means the past century)
 * and asctime are accepted. Anything else is invalid ({@code null}).
 */
public final class HttpDate {

    private HttpDate() {
    }

    /** Parses an HTTP-date, or returns {@code null} when the value is not a valid date. */
    public static Instant parse(String value) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Formats as IMF-fixdate, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    public static String format(Instant instant) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
