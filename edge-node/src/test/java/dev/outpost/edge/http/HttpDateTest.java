package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpDateTest {

    private static final Instant EXAMPLE = Instant.parse("1994-11-06T08:49:37Z");

    @Test
    void rfc9110_5_6_7_imfFixdate() {
        assertEquals(EXAMPLE, HttpDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"));
        assertEquals(EXAMPLE, HttpDate.parse("  Sun, 06 Nov 1994 08:49:37 GMT "));
        assertEquals(EXAMPLE, HttpDate.parse("sun, 06 nov 1994 08:49:37 gmt"));
    }

    @Test
    void rfc9110_5_6_7_obsoleteRfc850Date() {
        assertEquals(EXAMPLE, HttpDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"));
    }

    @Test
    void rfc9110_5_6_7_asctimeDate() {
        assertEquals(EXAMPLE, HttpDate.parse("Sun Nov  6 08:49:37 1994"));
        assertEquals(Instant.parse("1994-11-16T08:49:37Z"), HttpDate.parse("Wed Nov 16 08:49:37 1994"));
    }

    @Test
    void rfc9110_5_6_7_rfc850TwoDigitYearMoreThan50YearsAheadIsPastCentury() {
        Instant now = Instant.parse("2026-06-01T00:00:00Z");
        assertEquals(Instant.parse("2030-01-01T00:00:00Z"), HttpDate.parse("Tuesday, 01-Jan-30 00:00:00 GMT", now));
        assertEquals(Instant.parse("2076-01-01T00:00:00Z"), HttpDate.parse("Wednesday, 01-Jan-76 00:00:00 GMT", now));
        assertEquals(Instant.parse("1977-01-01T00:00:00Z"), HttpDate.parse("Saturday, 01-Jan-77 00:00:00 GMT", now));
        assertEquals(Instant.parse("1999-12-31T23:59:59Z"), HttpDate.parse("Friday, 31-Dec-99 23:59:59 GMT", now));
        // near the end of a century, a small two-digit year is in the next one
        Instant late = Instant.parse("2090-01-01T00:00:00Z");
        assertEquals(Instant.parse("2105-01-01T00:00:00Z"), HttpDate.parse("Thursday, 01-Jan-05 00:00:00 GMT", late));
    }

    @Test
    void rfc9110_5_6_7_leapSecondIsAccepted() {
        assertEquals(Instant.parse("2016-12-31T23:59:59Z"), HttpDate.parse("Sat, 31 Dec 2016 23:59:60 GMT"));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "0", "-1", "now", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 +0000", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:61:37 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z", "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "Sun, 06 Nov 1994 08.49.37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX", "Funday, 06-Nov-94 08:49:37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT"})
    void rfc9110_5_6_7_invalidDatesAreNull(String value) {
        assertNull(HttpDate.parse(value));
    }

    @Test
    void rfc9110_5_6_7_formatProducesImfFixdate() {
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.format(EXAMPLE));
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.format(EXAMPLE.plusMillis(999)));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", HttpDate.format(Instant.EPOCH));
        assertEquals("Fri, 31 Dec 9999 23:59:59 GMT", HttpDate.format(Instant.MAX));
    }

    @Test
    void rfc9110_5_6_7_formatAndParseRoundTrip() {
        Instant t = Instant.parse("2024-02-29T12:00:01Z");
        assertEquals(t, HttpDate.parse(HttpDate.format(t)));
    }
}
