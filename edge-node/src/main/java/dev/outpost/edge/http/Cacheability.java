package dev.outpost.edge.http;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return NoCacheReason.METHOD; // methods are case-sensitive (RFC 9110 §9.1)
        }
        CacheControl cc = requestDirectives != null ? requestDirectives : CacheControl.ofRequest(request);
        if (cc.noStore()) {
            return NoCacheReason.REQUEST_NO_STORE;
        }
        for (int i = 0; i < METHOD_OVERRIDE_FIELDS.size(); i++) { // indexed: no iterator per request
            String name = METHOD_OVERRIDE_FIELDS.get(i);
            if (request.has(name)) {
                return NoCacheReason.METHOD_OVERRIDE;
            }
        }
        return null;
    }

    /** Fields by which clients ask an origin to act on another method. */
    static final List<String> METHOD_OVERRIDE_FIELDS = List.of("X-HTTP-Method-Override", "X-HTTP-Method",
            "X-Method-Override");

    /**
     * Response side, RFC 9111 §3, for a shared cache. The first applicable reason is returned, in this
     * order:
     * <ol>
     * <li>{@link NoCacheReason#METHOD}: the request method is not GET (HEAD responses are never stored);</li>
     * <li>{@link NoCacheReason#PARTIAL_CONTENT}: 206 is never stored (we store complete responses only);</li>
     * <li>{@link NoCacheReason#STATUS}: not a final status (1xx), 304 (handled by validation), or not a
     *     status code at all (outside 100-599);</li>
     * <li>{@link NoCacheReason#MUST_UNDERSTAND_UNKNOWN_STATUS}: {@code must-understand} with a status we do
     *     not understand (§5.2.2.3);</li>
     * <li>{@link NoCacheReason#RESPONSE_NO_STORE}: {@code no-store}, unless {@code must-understand} and the
     *     status is understood (§5.2.2.3, §5.2.2.5);</li>
     * <li>{@link NoCacheReason#PRIVATE}: {@code private} without field names (§5.2.2.7);</li>
     * <li>{@link NoCacheReason#AUTHORIZATION}: the request had {@code Authorization} and the response has
     *     none of {@code public}, {@code s-maxage}, {@code must-revalidate} (§3.5);</li>
     * <li>{@link NoCacheReason#NO_EXPLICIT_FRESHNESS}: an error status (4xx, 5xx) without explicit
     *     freshness ({@code s-maxage}, {@code max-age}, {@code Expires}) — never via heuristics or
     *     {@code public} alone; or a status that is not heuristically cacheable (RFC 9110 §15.1: 200, 203,
     *     204, 300, 301, 308, 404, 405, 410, 414, 501) without explicit freshness or {@code public};
     *     a status we do not understand (without must-understand) is stored only this way (§3);</li>
     * <li>{@link NoCacheReason#SET_COOKIE}: {@code Set-Cookie} present, unless {@code private="set-cookie"}
     *     or {@code no-cache="set-cookie"} names it (then it is stored without that field; see
     *     {@link #fieldsToStrip});</li>
     * <li>{@link NoCacheReason#VARY_STAR}: {@code Vary: *} (it could never be reused, §4.1).</li>
     * </ol>
     * Returns null when the response may be stored.
     */
    public static NoCacheReason checkResponse(String requestMethod, Fields request, int status, Fields response,
            ResponseControl control) {
        CacheControl cc = control.directives();
        if (!"GET".equals(requestMethod)) {
            return NoCacheReason.METHOD;
        }
        if (status == 206) {
            return NoCacheReason.PARTIAL_CONTENT;
        }
        if (status < 200 || status > 599 || status == 304) {
            return NoCacheReason.STATUS;
        }
        boolean understood = understoodStatus(status);
        if (cc.mustUnderstand() && !understood) {
            return NoCacheReason.MUST_UNDERSTAND_UNKNOWN_STATUS;
        }
        if (cc.noStore() && !(cc.mustUnderstand() && understood)) {
            return NoCacheReason.RESPONSE_NO_STORE;
        }
        if (cc.isPrivate() && cc.privateFields().isEmpty()) {
            return NoCacheReason.PRIVATE;
        }
        if (request.has("Authorization") && !(cc.isPublic() || cc.has(cc.sMaxAge()) || cc.mustRevalidate())) {
            return NoCacheReason.AUTHORIZATION;
        }
        boolean explicit = Freshness.hasExplicitExpiration(response, control);
        if (!explicit && (status >= 400 || !(heuristicallyCacheable(status) || cc.isPublic()))) {
            return NoCacheReason.NO_EXPLICIT_FRESHNESS;
        }
        if (response.has("Set-Cookie") && !cc.privateFields().contains("set-cookie")
                && !cc.noCacheFields().contains("set-cookie")) {
            return NoCacheReason.SET_COOKIE;
        }
        if (Vary.isStar(Vary.fieldNames(response))) {
            return NoCacheReason.VARY_STAR;
        }
        return null;
    }

    /**
     * Lower-case names of fields that must be removed from the stored copy: those named by
     * {@code private="..."} (§5.2.2.7) and {@code no-cache="..."} (§5.2.2.4; removing them is the
     * conservative way to never reuse them without revalidation).
     */
    public static Set<String> fieldsToStrip(ResponseControl control) {
        CacheControl cc = control.directives();
        if (cc.privateFields().isEmpty() && cc.noCacheFields().isEmpty()) {
            return Set.of();
        }
        Set<String> names = new LinkedHashSet<>(cc.privateFields());
        names.addAll(cc.noCacheFields());
        return Collections.unmodifiableSet(names);
    }

    /**
     * True for statuses whose caching rules we understand (§5.2.2.3 must-understand): the final status
     * codes defined by RFC 9110 §15.
     */
    public static boolean understoodStatus(int status) {
        return switch (status) {
            case 200, 201, 202, 203, 204, 205, 206,
                    300, 301, 302, 303, 304, 305, 307, 308,
                    400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
                    421, 422, 426,
                    500, 501, 502, 503, 504, 505 -> true;
            default -> false;
        };
    }

    /** RFC 9110 §15.1: status codes that are heuristically cacheable by default. */
    public static boolean heuristicallyCacheable(int status) {
        return switch (status) {
            case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501 -> true;
            default -> false;
        };
    }
}
