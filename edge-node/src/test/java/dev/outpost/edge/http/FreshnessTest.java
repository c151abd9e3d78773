package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class FreshnessTest {

    private static final Instant T = Instant.parse("2025-03-01T12:00:00Z");
    private static final String DATE = HttpDate.format(T);
    private static final Freshness.Heuristic H = Freshness.Heuristic.DEFAULT;

    private static long lifetime(int status, String... fields) {
        HeaderFields h = HeaderFields.of(fields);
        return Freshness.lifetimeSeconds(status, h, ResponseControl.resolve(h, List.of("CDN-Cache-Control")), H, T);
    }

    private static String ago(Duration d) {
        return HttpDate.format(T.minus(d));
    }

    @Test
    void rfc9111_4_2_1_sMaxAgeWinsOverMaxAge() {
        assertEquals(30, lifetime(200, "Cache-Control", "max-age=60, s-maxage=30"));
    }

    @Test
    void rfc9111_4_2_1_maxAgeWinsOverExpires() {
        assertEquals(60, lifetime(200, "Cache-Control", "max-age=60", "Date", DATE, "Expires",
                HttpDate.format(T.plusSeconds(3600))));
    }

    @Test
    void rfc9111_4_2_1_expiresMinusDate() {
        assertEquals(3600, lifetime(200, "Date", DATE, "Expires", HttpDate.format(T.plusSeconds(3600))));
        // Date in the past relative to response time: Expires - Date, not Expires - now
        assertEquals(100, lifetime(200, "Date", ago(Duration.ofSeconds(50)), "Expires",
                HttpDate.format(T.plusSeconds(50))));
    }

    @Test
    void rfc9111_4_2_1_expiresWithoutDateUsesResponseTime() {
        assertEquals(120, lifetime(200, "Expires", HttpDate.format(T.plusSeconds(120))));
        assertEquals(120, lifetime(200, "Date", "garbage", "Expires", HttpDate.format(T.plusSeconds(120))));
    }

    @Test
    void rfc9111_5_3_invalidOrPastExpiresMeansStale() {
        assertEquals(0, lifetime(200, "Date", DATE, "Expires", "0"));
        assertEquals(0, lifetime(200, "Date", DATE, "Expires", "-1"));
        assertEquals(0, lifetime(200, "Date", DATE, "Expires", ago(Duration.ofHours(1))));
        // an invalid Expires also blocks the heuristic
        assertEquals(0, lifetime(200, "Date", DATE, "Expires", "0", "Last-Modified", ago(Duration.ofDays(5))));
    }

    @Test
    void rfc9111_4_2_1_farFutureExpiresIsClamped() {
        assertEquals(CacheControl.MAX_DELTA, lifetime(200, "Date", DATE, "Expires", "Fri, 31 Dec 9999 23:59:59 GMT"));
    }

    @Test
    void rfc9111_4_2_1_invalidDeltaMeansStale() {
        assertEquals(0, lifetime(200, "Cache-Control", "max-age=abc"));
        assertEquals(0, lifetime(200, "Cache-Control", "s-maxage=-1, max-age=60"));
        assertEquals(0, lifetime(200, "Cache-Control", "max-age=x", "Expires", HttpDate.format(T.plusSeconds(60))));
    }

    @Test
    void rfc9111_1_2_2_clampedMaxAge() {
        assertEquals(CacheControl.MAX_DELTA, lifetime(200, "Cache-Control", "max-age=99999999999"));
    }

    @Test
    void rfc9213_2_1_expiresIgnoredUnderTargetedField() {
        assertEquals(0, lifetime(200, "CDN-Cache-Control", "public", "Date", DATE, "Expires",
                HttpDate.format(T.plusSeconds(3600))));
        assertEquals(600, lifetime(200, "CDN-Cache-Control", "max-age=600", "Cache-Control", "max-age=5",
                "Expires", HttpDate.format(T.plusSeconds(3600))));
    }

    @Test
    void edgeArch_expiresIgnoredUnderSurrogateControl() {
        assertEquals(0, lifetime(200, "Surrogate-Control", "no-store", "Date", DATE, "Expires",
                HttpDate.format(T.plusSeconds(3600))));
        assertEquals(90, lifetime(200, "Surrogate-Control", "max-age=90", "Cache-Control", "max-age=5"));
    }

    @Test
    void rfc9111_4_2_2_heuristicIsFractionOfTimeSinceLastModified() {
        assertEquals(3600, lifetime(200, "Date", DATE, "Last-Modified", ago(Duration.ofHours(10))));
        // without Date the response time is used
        assertEquals(3600, lifetime(200, "Last-Modified", ago(Duration.ofHours(10))));
    }

    @Test
    void rfc9111_4_2_2_heuristicIsCapped() {
        assertEquals(86400, lifetime(200, "Date", DATE, "Last-Modified", ago(Duration.ofDays(365))));
        HeaderFields h = HeaderFields.of("Date", DATE, "Last-Modified", ago(Duration.ofDays(365)));
        Freshness.Heuristic small = new Freshness.Heuristic(0.5, Duration.ofMinutes(5));
        assertEquals(300, Freshness.lifetimeSeconds(200, h, ResponseControl.resolve(h, List.of()), small, T));
    }

    @Test
    void rfc9111_4_2_2_noHeuristicWithoutLastModifiedOrWhenInFuture() {
        assertEquals(0, lifetime(200, "Date", DATE));
        assertEquals(0, lifetime(200, "Date", DATE, "Last-Modified", HttpDate.format(T.plusSeconds(3600))));
        assertEquals(0, lifetime(200, "Date", DATE, "Last-Modified", "yesterday"));
    }

    @Test
    void rfc9111_4_2_2_noHeuristicForErrors() {
        assertEquals(0, lifetime(404, "Date", DATE, "Last-Modified", ago(Duration.ofHours(10))));
        assertEquals(0, lifetime(501, "Cache-Control", "public", "Date", DATE, "Last-Modified",
                ago(Duration.ofHours(10))));
    }

    @Test
    void rfc9111_4_2_2_noHeuristicForNonHeuristicStatusUnlessPublic() {
        assertEquals(0, lifetime(302, "Date", DATE, "Last-Modified", ago(Duration.ofHours(10))));
        assertEquals(3600, lifetime(302, "Cache-Control", "public", "Date", DATE, "Last-Modified",
                ago(Duration.ofHours(10))));
    }

    @Test
    void rfc9111_4_2_2_noHeuristicWithExplicitExpiration() {
        assertEquals(5, lifetime(200, "Cache-Control", "max-age=5", "Date", DATE, "Last-Modified",
                ago(Duration.ofHours(10))));
        assertEquals(0, lifetime(200, "Cache-Control", "max-age=0", "Last-Modified", ago(Duration.ofHours(10))));
    }

    @Test
    void rfc9111_4_2_2_heuristicNullDisables() {
        HeaderFields h = HeaderFields.of("Date", DATE, "Last-Modified", ago(Duration.ofHours(10)));
        assertEquals(0, Freshness.lifetimeSeconds(200, h, ResponseControl.resolve(h, List.of()), null, T));
    }

    @Test
    void rfc9111_3_hasExplicitExpiration() {
        HeaderFields cc = HeaderFields.of("Cache-Control", "max-age=1");
        assertTrue(Freshness.hasExplicitExpiration(cc, ResponseControl.resolve(cc, List.of())));
        HeaderFields s = HeaderFields.of("Cache-Control", "s-maxage=x");
        assertTrue(Freshness.hasExplicitExpiration(s, ResponseControl.resolve(s, List.of())));
        HeaderFields e = HeaderFields.of("Expires", "0");
        assertTrue(Freshness.hasExplicitExpiration(e, ResponseControl.resolve(e, List.of())));
        HeaderFields none = HeaderFields.of("Cache-Control", "public", "Last-Modified", DATE);
        assertFalse(Freshness.hasExplicitExpiration(none, ResponseControl.resolve(none, List.of())));
        HeaderFields targeted = HeaderFields.of("CDN-Cache-Control", "public", "Expires", DATE);
        assertFalse(Freshness.hasExplicitExpiration(targeted,
                ResponseControl.resolve(targeted, List.of("CDN-Cache-Control"))));
    }

    // ---- §4.2.3 age ----

    @Test
    void rfc9111_4_2_3_apparentAgeFromDate() {
        HeaderFields h = HeaderFields.of("Date", ago(Duration.ofSeconds(30)));
        assertEquals(30, Freshness.correctedInitialAge(h, T, T));
    }

    @Test
    void rfc9111_4_2_3_ageHeaderPlusResponseDelay() {
        HeaderFields h = HeaderFields.of("Date", DATE, "Age", "100");
        assertEquals(102, Freshness.correctedInitialAge(h, T.minusSeconds(2), T));
    }

    @Test
    void rfc9111_4_2_3_correctedInitialAgeIsMaxOfApparentAndCorrectedAgeValue() {
        HeaderFields h = HeaderFields.of("Date", ago(Duration.ofSeconds(500)), "Age", "100");
        assertEquals(500, Freshness.correctedInitialAge(h, T.minusSeconds(2), T));
    }

    @Test
    void rfc9111_4_2_3_dateInTheFutureGivesZeroApparentAge() {
        HeaderFields h = HeaderFields.of("Date", HttpDate.format(T.plusSeconds(3600)));
        assertEquals(0, Freshness.correctedInitialAge(h, T, T));
        assertEquals(0, Freshness.correctedInitialAge(HeaderFields.EMPTY, T, T));
    }

    @Test
    void rfc9111_5_1_invalidAgeIsIgnored() {
        for (String age : new String[] {"-5", "abc", "1.5", "", "10, 20"}) {
            HeaderFields h = HeaderFields.of("Date", DATE, "Age", age);
            assertEquals(1, Freshness.correctedInitialAge(h, T.minusSeconds(1), T), "Age: " + age);
        }
        HeaderFields huge = HeaderFields.of("Age", "99999999999999999999");
        assertEquals(CacheControl.MAX_DELTA, Freshness.correctedInitialAge(huge, T, T));
        HeaderFields spaced = HeaderFields.of("Age", " 7 ");
        assertEquals(7, Freshness.correctedInitialAge(spaced, T, T));
    }

    @Test
    void rfc9111_4_2_3_subSecondTimesRoundDown() {
        HeaderFields h = HeaderFields.of("Date", DATE);
        assertEquals(1, Freshness.correctedInitialAge(h, T, T.plusMillis(1999)));
    }

    @Test
    void rfc9111_4_2_3_currentAgeAddsResidentTime() {
        assertEquals(110, Freshness.currentAge(10, T, T.plusSeconds(100)));
        assertEquals(10, Freshness.currentAge(10, T, T.minusSeconds(100)), "never goes backwards");
        assertEquals(10, Freshness.currentAge(10, T, T.plusMillis(999)));
    }

    @Test
    void rfc9111_4_2_3_currentAgeAtEpochMillisIsTheSameAsAtThatInstant() {
        // response times with and without a sub-millisecond part, now on both sides of each second
        for (Instant responseTime : new Instant[] {T, T.plusNanos(400_000), T.plusMillis(999).plusNanos(999_999),
                T.minusNanos(1), Instant.EPOCH.minusMillis(1500)}) {
            for (long delta = -2_500; delta <= 3_500; delta++) {
                long nowMillis = responseTime.toEpochMilli() + delta;
                assertEquals(Freshness.currentAge(7, responseTime, Instant.ofEpochMilli(nowMillis)),
                        Freshness.currentAge(7, responseTime, nowMillis), responseTime + " at " + nowMillis);
            }
        }
    }
}
