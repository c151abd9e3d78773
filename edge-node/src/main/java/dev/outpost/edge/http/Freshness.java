package dev.outpost.edge.http;

import java.time.Duration;
import java.time.Instant;

/**
 * Freshness lifetime and age, RFC 9111 §4.2. Pure arithmetic: every instant is passed in.
 *
 * <ul>
 * <li>§4.2.1 lifetime, shared cache: {@code s-maxage}, else {@code max-age}, else
 *     {@code Expires - Date} (Expires only when {@link ResponseControl#expiresApplies()}; an invalid
 *     Expires, e.g. "0", means already expired; a missing Date uses the response time); an
 *     {@link CacheControl#INVALID} delta means lifetime 0 (stale).</li>
 * <li>§4.2.2 heuristic: only without explicit expiration, only for heuristically cacheable statuses
 *     (or {@code public}) that are not errors, and only when {@code Last-Modified} is present:
 *     {@code fraction * (Date - Last-Modified)}, capped.</li>
 * <li>§4.2.3 age: {@code apparent_age = max(0, response_time - date_value)},
 *     {@code response_delay = response_time - request_time},
 *     {@code corrected_age_value = age_value + response_delay},
 *     {@code corrected_initial_age = max(apparent_age, corrected_age_value)},
 *     {@code current_age = corrected_initial_age + (now - response_time)}. An invalid Age is ignored.</li>
 * </ul>
 * All results are whole seconds (rounded down), never negative. A lifetime from Expires is clamped to
 * {@link CacheControl#MAX_DELTA} like a delta-seconds value. Only the first Expires, Date, Age and
 * Last-Modified line is read (§4.2.1: the first occurrence).
 */
public final class Freshness {

    private Freshness() {
    }

    /** Heuristic freshness settings (§4.2.2): e.g. 0.1 of the time since Last-Modified, at most a day. */
    public record Heuristic(double lastModifiedFraction, Duration cap) {
        public static final Heuristic DEFAULT = new Heuristic(0.1, Duration.ofDays(1));
    }

    /** The freshness lifetime in seconds, 0 when the response is stale on arrival. */
    public static long lifetimeSeconds(int status, Fields response, ResponseControl control, Heuristic heuristic,
            Instant responseTime) {
        CacheControl cc = control.directives();
        if (cc.has(cc.sMaxAge())) {
            return Math.max(0, cc.sMaxAge()); // INVALID (negative) → 0, stale
        }
        if (cc.has(cc.maxAge())) {
            return Math.max(0, cc.maxAge());
        }
        if (control.expiresApplies() && response.has("Expires")) {
            Instant expires = HttpDate.parse(response.first("Expires"));
            if (expires == null) {
                return 0; // §5.3: an invalid Expires (e.g. "0") represents a time in the past
            }
            Instant date = dateOrResponseTime(response, responseTime);
            return Math.min(CacheControl.MAX_DELTA, Math.max(0, Duration.between(date, expires).getSeconds()));
        }
        return heuristicSeconds(status, response, cc, heuristic, responseTime);
    }

    /** §4.2.2: the heuristic lifetime, or 0 when no heuristic applies. */
    static long heuristicSeconds(int status, Fields response, CacheControl cc, Heuristic heuristic,
            Instant responseTime) {
        if (heuristic == null || status >= 400 || !(Cacheability.heuristicallyCacheable(status) || cc.isPublic())) {
            return 0;
        }
        Instant lastModified = HttpDate.parse(response.first("Last-Modified"));
        if (lastModified == null) {
            return 0;
        }
        Instant date = dateOrResponseTime(response, responseTime);
        long sinceModified = Duration.between(lastModified, date).getSeconds();
        if (sinceModified <= 0) {
            return 0;
        }
        long lifetime = (long) Math.floor(heuristic.lastModifiedFraction() * sinceModified);
        long cap = heuristic.cap() == null ? Long.MAX_VALUE : Math.max(0, heuristic.cap().getSeconds());
        return Math.max(0, Math.min(lifetime, cap));
    }

    private static Instant dateOrResponseTime(Fields response, Instant responseTime) {
        Instant date = HttpDate.parse(response.first("Date"));
        return date != null ? date : responseTime;
    }

    /** True when the response carries explicit expiration ({@code s-maxage}, {@code max-age} or {@code Expires}). */
    public static boolean hasExplicitExpiration(Fields response, ResponseControl control) {
        CacheControl cc = control.directives();
        return cc.has(cc.sMaxAge()) || cc.has(cc.maxAge()) || control.expiresApplies() && response.has("Expires");
    }

    /** §4.2.3 corrected_initial_age in seconds. */
    public static long correctedInitialAge(Fields response, Instant requestTime, Instant responseTime) {
        Instant date = HttpDate.parse(response.first("Date"));
        long apparentAge = date == null ? 0 : Math.max(0, Duration.between(date, responseTime).getSeconds());
        long responseDelay = Math.max(0, Duration.between(requestTime, responseTime).getSeconds());
        long correctedAgeValue = ageValue(response) + responseDelay;
        return Math.max(apparentAge, correctedAgeValue);
    }

    /** The Age field value (§5.1, delta-seconds, clamped), 0 when absent or invalid. */
    static long ageValue(Fields response) {
        String age = response.first("Age");
        if (age == null) {
            return 0;
        }
        long v = CacheControl.parseDeltaSeconds(age.strip());
        return v < 0 ? 0 : v;
    }

    /** §4.2.3 current_age in seconds. */
    public static long currentAge(long correctedInitialAge, Instant responseTime, Instant now) {
        long residentTime = Math.max(0, Duration.between(responseTime, now).getSeconds());
        return Math.max(0, correctedInitialAge) + residentTime;
    }

    /**
     * §4.2.3 current_age in seconds at {@code nowMillis} (epoch milliseconds): the same as at
     * {@code Instant.ofEpochMilli(nowMillis)}, with no object made (a memory hit's clock read).
     */
    public static long currentAge(long correctedInitialAge, Instant responseTime, long nowMillis) {
        long seconds = Math.floorDiv(nowMillis, 1000) - responseTime.getEpochSecond();
        long nanos = Math.floorMod(nowMillis, 1000) * 1_000_000L - responseTime.getNano();
        long residentTime = Math.max(0, nanos < 0 ? seconds - 1 : seconds); // Duration.between, whole seconds
        return Math.max(0, correctedInitialAge) + residentTime;
    }
}
