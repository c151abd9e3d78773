package dev.outpost.edge.http;

import java.util.List;

/**
 * Which caching policy applies to a response for this cache (a CDN, i.e. a shared cache).
 *
 * <p>RFC 9213 §2.1-2.2: the configured targeted fields are tried in order ({@code CDN-Cache-Control}
 * by default); each is parsed as an RFC 8941 Structured Field Dictionary; the first one that is valid
 * and non-empty is used and then {@code Cache-Control} and {@code Expires} are ignored for this cache.
 * Invalid ones are ignored. Dictionary members map onto {@link CacheControl}: integer values are
 * delta-seconds, {@code no-cache} / {@code private} may carry an inner list or string of field names,
 * boolean {@code ?0} members count as absent.
 *
 * <p>Then {@code Surrogate-Control} (Edge Architecture Specification 1.0; only {@code max-age} and
 * {@code no-store} understood, other members ignored, targeted forms like {@code max-age=60;edge} not
 * supported) overrides {@code Cache-Control}/{@code Expires} in the same way when no targeted field
 * applies. Otherwise {@code Cache-Control} applies with {@code Expires}.
 */
public record ResponseControl(CacheControl directives, Source source) {

    public enum Source {
        /** A targeted field from the configured list (RFC 9213). */
        TARGETED,
        /** Surrogate-Control. */
        SURROGATE,
        /** Cache-Control (and Expires). */
        CACHE_CONTROL
    }

    /** True when Expires may be used for freshness (only for {@link Source#CACHE_CONTROL}). */
    public boolean expiresApplies() {
        return source == Source.CACHE_CONTROL;
    }

    public static ResponseControl resolve(Fields response, List<String> targetedFieldNames) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
