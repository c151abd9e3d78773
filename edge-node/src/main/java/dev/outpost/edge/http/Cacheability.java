package dev.outpost.edge.http;

/**
 * Whether a request may use the cache and whether a response may be stored: RFC 9111 §3 and §3.5,
 * with the shared-cache rules of §5.2.2, as small named rules in the order Varnish's builtin.vcl
 * would apply them. Each rule returns a {@link NoCacheReason} or {@code null} for "no objection".
 */
public final class Cacheability {

    private Cacheability() {
    }

    /**
     * Request side: GET and HEAD only ({@link NoCacheReason#METHOD}); {@code no-store} in the request
     * (§5.2.1.5); {@code X-HTTP-Method-Override}, {@code X-HTTP-Method} or {@code X-Method-Override}
     * present ({@link NoCacheReason#METHOD_OVERRIDE}: the origin may act on a different method, so the
     * exchange neither reads nor writes the cache). {@code Authorization} does NOT bypass lookup here:
     * it only restricts storing (§3.5), see {@link #checkResponse}. Returns null when the cache may be used.
     */
    public static NoCacheReason checkRequest(String method, Fields request, CacheControl requestDirectives) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Response side, RFC 9111 §3, for a shared cache:
     * <ul>
     * <li>request method GET (HEAD responses are never stored), final status;</li>
     * <li>{@code no-store} (unless {@code must-understand} and the status is understood, §5.2.2.3);
     *     {@code must-understand} with a status we do not understand → not stored;</li>
     * <li>{@code private} without field names → not stored (§5.2.2.7);</li>
     * <li>request had {@code Authorization}: only with {@code public}, {@code s-maxage} or
     *     {@code must-revalidate} in the response (§3.5);</li>
     * <li>206 is never stored (we store complete responses only); 304 is handled by validation;</li>
     * <li>status: heuristically cacheable (RFC 9110 §15.1: 200, 203, 204, 300, 301, 308, 404, 405,
     *     410, 414, 501) or explicit freshness ({@code s-maxage}, {@code max-age}, {@code Expires}) or
     *     {@code public}; error statuses (4xx, 5xx) only with explicit freshness, never via heuristics
     *     or {@code public} alone;</li>
     * <li>{@code Set-Cookie} present → not stored, unless {@code private="set-cookie"} or
     *     {@code no-cache="set-cookie"} names it (then it is stored without that field; see
     *     {@link #fieldsToStrip});</li>
     * <li>{@code Vary: *} → not stored (it could never be reused, §4.1).</li>
     * </ul>
     */
    public static NoCacheReason checkResponse(String requestMethod, Fields request, int status, Fields response,
            ResponseControl control) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Lower-case names of fields that must be removed from the stored copy: those named by
     * {@code private="..."} (§5.2.2.7) and {@code no-cache="..."} (§5.2.2.4; removing them is the
     * conservative way to never reuse them without revalidation).
     */
    public static java.util.Set<String> fieldsToStrip(ResponseControl control) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** True for statuses whose caching rules we understand (§5.2.2.3 must-understand). */
    public static boolean understoodStatus(int status) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
