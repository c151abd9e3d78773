package dev.outpost.edge.http;

/**
 * The Cache-Status response field, RFC 9211. One entry per cache, appended after the entries of
 * upstream caches (§2: the cache closest to the origin first). Serialised as an RFC 8941 List member:
 * the cache name as a Token when it is a valid token, otherwise a String; parameters in the order
 * hit, fwd, fwd-status, ttl, stored, collapsed, key, detail.
 *
 * <p>Examples: {@code edge-eu-1; hit; ttl=42; detail=memory}, {@code edge-eu-1; fwd=uri-miss; stored},
 * {@code edge-eu-1; fwd=stale; fwd-status=304}, {@code edge-eu-1; hit; fwd=stale} (stale served while
 * revalidating).
 */
public record CacheStatus(
        String cacheName,
        boolean hit,
        Fwd fwd,
        int fwdStatus,
        boolean stored,
        boolean collapsed,
        long ttl,
        String detail) {

    /** No fwd-status. */
    public static final int NO_STATUS = -1;
    /** No ttl. */
    public static final long NO_TTL = Long.MIN_VALUE;

    /** RFC 9211 §2.2 fwd values. */
    public enum Fwd {
        BYPASS("bypass"), METHOD("method"), URI_MISS("uri-miss"), VARY_MISS("vary-miss"), MISS("miss"),
        REQUEST("request"), STALE("stale"), PARTIAL("partial");

        private final String token;

        Fwd(String token) {
            this.token = token;
        }

        public String token() {
            return token;
        }
    }

    /** This entry as an SF List member (no leading or trailing comma). */
    public String toEntry() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * The field value to send: the upstream Cache-Status value (may be null or empty) with this
     * entry appended.
     */
    public static String append(String upstreamValue, String entry) {
        if (upstreamValue == null || upstreamValue.isBlank()) {
            return entry;
        }
        return upstreamValue + ", " + entry;
    }
}
