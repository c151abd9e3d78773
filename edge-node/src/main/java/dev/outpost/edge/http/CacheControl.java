package dev.outpost.edge.http;

import java.util.List;
import java.util.Set;

/**
 * Parsed Cache-Control directives (RFC 9111 §5.2), request or response side. Parsing only:
 * what a directive means for storing or reuse is decided elsewhere (Cacheability, Freshness).
 *
 * <p>Delta-seconds values: {@link #ABSENT} when the directive is missing, {@link #INVALID} when it is
 * present with a value that is not a valid delta-seconds (§1.2.2; caches treat such a response as
 * stale, §4.2.1), otherwise the value clamped to {@link #MAX_DELTA} (2^31, §1.2.2). A directive that
 * occurs more than once keeps its first occurrence (§4.2.1). Names are case-insensitive; unknown
 * directives are ignored; a quoted-string value is unquoted. {@code max-stale} without a value is
 * {@link #ANY_STALENESS}.
 */
public record CacheControl(
        long maxAge,
        long sMaxAge,
        long maxStale,
        long minFresh,
        long staleWhileRevalidate,
        long staleIfError,
        boolean noStore,
        boolean noCache,
        Set<String> noCacheFields,
        boolean isPrivate,
        Set<String> privateFields,
        boolean isPublic,
        boolean mustRevalidate,
        boolean proxyRevalidate,
        boolean mustUnderstand,
        boolean noTransform,
        boolean immutable,
        boolean onlyIfCached) {

    public static final long ABSENT = -1;
    public static final long INVALID = -2;
    public static final long MAX_DELTA = 2147483648L;
    public static final long ANY_STALENESS = Long.MAX_VALUE;

    public static final CacheControl EMPTY = new CacheControl(ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT,
            false, false, Set.of(), false, Set.of(), false, false, false, false, false, false, false);

    /**
     * Parses the field lines of one Cache-Control-syntax field (Cache-Control, Surrogate-Control).
     * {@code no-cache="a, b"} and {@code private="a"} yield lower-case field names with the flag set.
     * Never throws: malformed members are skipped.
     */
    public static CacheControl parse(List<String> fieldLines) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * The request directives of §5.2.1, including {@code Pragma: no-cache} treated as
     * {@code Cache-Control: no-cache} when the request has no Cache-Control field (§5.4).
     */
    public static CacheControl ofRequest(Fields request) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public boolean has(long delta) {
        return delta != ABSENT;
    }
}
