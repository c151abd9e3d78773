package dev.outpost.edge.cache;

import dev.outpost.edge.http.Freshness;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import java.time.Instant;
import java.util.List;

/**
 * The metadata of one stored response (one variant of one primary key): what RFC 9111 needs to decide
 * reuse without re-parsing headers on every hit. The body lives in storage, next to it.
 *
 * @param key              primary key
 * @param variantKey       the secondary key (RFC 9111 §4.1) of the request that produced this response,
 *                         computed over {@code varyNames}; "" when the response has no Vary
 * @param varyNames        lower-case field names of the response's Vary
 * @param status           status code
 * @param headers          stored header fields (hop-by-hop and never-stored fields already removed)
 * @param requestTime      when the request that produced it was sent (§4.2.3 request_time)
 * @param responseTime     when its response was received (§4.2.3 response_time)
 * @param initialAge       §4.2.3 corrected_initial_age, seconds
 * @param policy           freshness lifetime and the directives that govern reuse
 * @param bodyLength       bytes of content
 * @param invalidated      true after a soft purge or a failed §4.3.5 check: must be validated before reuse
 */
public record CacheEntry(
        CacheKey key,
        String variantKey,
        List<String> varyNames,
        int status,
        HeaderFields headers,
        Instant requestTime,
        Instant responseTime,
        long initialAge,
        Reuse.Policy policy,
        long bodyLength,
        boolean invalidated) {

    public CacheEntry {
        varyNames = List.copyOf(varyNames);
    }

    /** §4.2.3 current_age at {@code now}, seconds. */
    public long currentAge(Instant now) {
        return Freshness.currentAge(initialAge, responseTime, now);
    }

    /** §4.2.3 current_age at {@code nowMillis} (epoch milliseconds, as {@link java.time.Clock#millis}), seconds. */
    public long currentAge(long nowMillis) {
        return Freshness.currentAge(initialAge, responseTime, nowMillis);
    }

    /**
     * The instant after which this entry can serve nothing any more: not fresh, outside every stale
     * window, and (when it has no validator) not worth keeping for revalidation.
     */
    public Instant usefulUntil(long revalidationGraceSeconds) {
        return usefulUntil(responseTime, policy.lifetimeSeconds(), initialAge, policy.staleWhileRevalidateSeconds(),
                policy.staleIfErrorSeconds(), headers.has("ETag") || headers.has("Last-Modified"),
                revalidationGraceSeconds);
    }

    /** {@link #usefulUntil(long)} from the stored values alone (the disk tier's rebuild has no entry). */
    public static Instant usefulUntil(Instant responseTime, long lifetimeSeconds, long initialAge,
            long staleWhileRevalidateSeconds, long staleIfErrorSeconds, boolean hasValidator,
            long revalidationGraceSeconds) {
        long freshLeft = lifetimeSeconds - initialAge;
        long staleWindow = Math.max(staleWhileRevalidateSeconds, staleIfErrorSeconds);
        long keep = Math.max(0, freshLeft) + staleWindow + (hasValidator ? revalidationGraceSeconds : 0);
        return responseTime.plusSeconds(Math.min(keep, 10L * 365 * 24 * 3600));
    }

    public CacheEntry withHeadersAndPolicy(HeaderFields newHeaders, Instant newRequestTime, Instant newResponseTime,
            long newInitialAge, Reuse.Policy newPolicy) {
        return new CacheEntry(key, variantKey, varyNames, status, newHeaders, newRequestTime, newResponseTime,
                newInitialAge, newPolicy, bodyLength, false);
    }

    public CacheEntry asInvalidated() {
        return new CacheEntry(key, variantKey, varyNames, status, headers, requestTime, responseTime, initialAge,
                policy, bodyLength, true);
    }

    /**
     * True when {@code other} describes the same stored representation (same ETag and Last-Modified):
     * storage only applies a metadata update to the body it was computed for, never to a newer body
     * stored in the meantime.
     */
    public boolean sameRepresentationAs(CacheEntry other) {
        return java.util.Objects.equals(headers.first("ETag"), other.headers.first("ETag"))
                && java.util.Objects.equals(headers.first("Last-Modified"), other.headers.first("Last-Modified"))
                && bodyLength == other.bodyLength;
    }

    /** Approximate bytes this metadata takes, for size accounting. */
    public long metadataBytes() {
        return 200 + headers.byteSize() + key.asString().length() + variantKey.length();
    }
}
