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
 * All results are whole seconds (rounded down), never negative.
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
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** True when the response carries explicit expiration ({@code s-maxage}, {@code max-age} or {@code Expires}). */
    public static boolean hasExplicitExpiration(Fields response, ResponseControl control) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** §4.2.3 corrected_initial_age in seconds. */
    public static long correctedInitialAge(Fields response, Instant requestTime, Instant responseTime) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** §4.2.3 current_age in seconds. */
    public static long currentAge(long correctedInitialAge, Instant responseTime, Instant now) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
