package dev.outpost.edge.http;


import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.StringItem;
import org.greenbytes.http.sfv.TokenItem;

/**
 * The Cache-Status response field, RFC 9211. One entry per cache, appended after the entries of
 * upstream caches (§2: the cache closest to the origin first). Serialised as an RFC 8941 List member:
 * the cache name as a Token when it is a valid token, otherwise a String; parameters in the order
 * hit, fwd, fwd-status, ttl, stored, collapsed, key, detail ({@code key} is not produced).
 *
 * <p>Output is canonical RFC 8941 serialisation (no space after ';'), e.g.
 * {@code edge-eu-1;hit;ttl=42;detail=memory}, {@code edge-eu-1;fwd=uri-miss;stored},
 * {@code edge-eu-1;fwd=stale;fwd-status=304}, {@code edge-eu-1;hit;fwd=stale} (stale served while
 * revalidating). Boolean parameters appear bare when true and are omitted when false. The detail is a
 * Token when it is a valid token, otherwise a String. Characters a String cannot carry (outside
 * printable ASCII) are replaced by '?'.
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
        // Hand-serialised (this runs on every response); names and details go through the library once
        // and are memoised, so the output is exactly the RFC 8941 serialisation.
        StringBuilder out = new StringBuilder(64).append(bareItem(cacheName == null ? "" : cacheName));
        if (hit) {
            out.append(";hit");
        }
        if (fwd != null) {
            out.append(";fwd=").append(fwd.token());
        }
        if (fwdStatus != NO_STATUS) {
            out.append(";fwd-status=").append(fwdStatus);
        }
        if (ttl != NO_TTL) {
            out.append(";ttl=").append(Math.max(-SF_INTEGER_MAX, Math.min(SF_INTEGER_MAX, ttl)));
        }
        if (stored) {
            out.append(";stored");
        }
        if (collapsed) {
            out.append(";collapsed");
        }
        if (detail != null) {
            out.append(";detail=").append(bareItem(detail));
        }
        return out.toString();
    }

    private static final java.util.concurrent.ConcurrentHashMap<String, String> SERIALISED =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The serialised Token or String for {@code s}, memoised for the few names and details in use. */
    private static String bareItem(String s) {
        String known = SERIALISED.get(s);
        if (known != null) {
            return known;
        }
        String serialised = tokenOrString(s).serialize();
        if (SERIALISED.size() < 1024) {
            SERIALISED.put(s, serialised);
        }
        return serialised;
    }

    /** The largest RFC 8941 Integer (15 digits). */
    private static final long SF_INTEGER_MAX = 999_999_999_999_999L;

    /** An SF Token when {@code s} is a valid token (RFC 8941 §3.3.4), otherwise an SF String. */
    static Item<String> tokenOrString(String s) {
        if (!s.isEmpty()) {
            try {
                return TokenItem.valueOf(s);
            } catch (IllegalArgumentException notAToken) {
                // fall through
            }
        }
        StringBuilder printable = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            printable.append(c >= 0x20 && c <= 0x7E ? c : '?');
        }
        return StringItem.valueOf(printable.toString());
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
