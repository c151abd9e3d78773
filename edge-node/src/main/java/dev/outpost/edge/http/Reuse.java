package dev.outpost.edge.http;

/**
 * May a stored response be reused for this request, RFC 9111 §4 (§4.2 freshness, §4.2.4 serving
 * stale, §5.2.1 request directives, §5.2.2 response directives) and RFC 5861
 * (stale-while-revalidate §3, stale-if-error §4). Pure: ages are passed in.
 */
public final class Reuse {

    private Reuse() {
    }

    /** Facts about a stored response that reuse depends on; computed once when it is stored or updated. */
    public record Policy(
            long lifetimeSeconds,
            long staleWhileRevalidateSeconds,
            long staleIfErrorSeconds,
            /** must-revalidate, proxy-revalidate, or s-maxage (§5.2.2.10 implies proxy-revalidate): never serve stale. */
            boolean mustRevalidate,
            /** Bare no-cache in the response (§5.2.2.4): validate before every reuse. */
            boolean noCache,
            boolean immutable) {

        /** Policy from a response's effective directives and its computed lifetime. */
        public static Policy of(ResponseControl control, long lifetimeSeconds) {
            CacheControl cc = control.directives();
            return new Policy(
                    Math.max(0, lifetimeSeconds),
                    Math.max(0, cc.staleWhileRevalidate()), // ABSENT and INVALID → 0
                    Math.max(0, cc.staleIfError()),
                    cc.mustRevalidate() || cc.proxyRevalidate() || cc.has(cc.sMaxAge()),
                    cc.noCache() && cc.noCacheFields().isEmpty(),
                    cc.immutable());
        }
    }

    public enum Verdict {
        /** Fresh enough for this request: serve it. */
        FRESH,
        /** Stale, but the client accepts it ({@code max-stale}): serve it without validation. */
        STALE_ACCEPTED,
        /** Stale within stale-while-revalidate: serve it now and revalidate in the background. */
        STALE_WHILE_REVALIDATE,
        /** Must be validated with the origin before reuse (or replaced). */
        MUST_VALIDATE
    }

    /**
     * The decision for a request with directives {@code request} against a stored response whose
     * current age is {@code currentAge} (whole seconds, rounded down; staleness = currentAge − lifetime).
     * <ul>
     * <li>request {@code no-cache} or response bare {@code no-cache} → MUST_VALIDATE;</li>
     * <li>fresh = currentAge &lt; lifetime, and currentAge ≤ request {@code max-age} if given, and
     *     lifetime − currentAge ≥ request {@code min-fresh} if given → FRESH;</li>
     * <li>fresh but not fresh enough for the request's max-age / min-fresh → MUST_VALIDATE;</li>
     * <li>stale and mustRevalidate → MUST_VALIDATE (§4.2.4);</li>
     * <li>stale, older than the request's {@code max-age} if given → MUST_VALIDATE (§5.2.1.1);</li>
     * <li>stale by less than the request's {@code max-stale} (any staleness without a value)
     *     → STALE_ACCEPTED;</li>
     * <li>stale and the request has {@code max-age} or {@code min-fresh} (without an accepting
     *     {@code max-stale}) → MUST_VALIDATE: per §5.2.1.1 and §5.2.1.3 that client does not wish to
     *     receive a stale response, so stale-while-revalidate does not apply;</li>
     * <li>stale by less than stale-while-revalidate → STALE_WHILE_REVALIDATE;</li>
     * <li>otherwise MUST_VALIDATE.</li>
     * </ul>
     * Staleness windows are exclusive because ages are rounded down: an age of {@code lifetime + n}
     * seconds may really be up to one second more. Request delta values that are
     * {@link CacheControl#INVALID} are ignored.
     *
     * <p>An {@code immutable} fresh response is not FRESH for a request {@code no-cache}: RFC 8246 §2
     * only lets clients skip their own revalidation; a shared cache honours explicit request no-cache,
     * so immutable does not change this decision.
     */
    public static Verdict decide(Policy policy, CacheControl request, long currentAge) {
        CacheControl req = request != null ? request : CacheControl.EMPTY;
        if (req.noCache() || policy.noCache()) {
            return Verdict.MUST_VALIDATE;
        }
        long lifetime = policy.lifetimeSeconds();
        boolean hasMaxAge = req.maxAge() >= 0;
        boolean hasMinFresh = req.minFresh() >= 0;
        if (currentAge < lifetime) {
            if (hasMaxAge && currentAge > req.maxAge()) {
                return Verdict.MUST_VALIDATE;
            }
            if (hasMinFresh && lifetime - currentAge < req.minFresh()) {
                return Verdict.MUST_VALIDATE;
            }
            return Verdict.FRESH;
        }
        long staleness = currentAge - lifetime;
        if (policy.mustRevalidate()) {
            return Verdict.MUST_VALIDATE;
        }
        if (hasMaxAge && currentAge > req.maxAge()) {
            return Verdict.MUST_VALIDATE;
        }
        long maxStale = req.maxStale();
        if (maxStale == CacheControl.ANY_STALENESS || maxStale >= 0 && staleness < maxStale) {
            return Verdict.STALE_ACCEPTED;
        }
        if (hasMaxAge || hasMinFresh) {
            return Verdict.MUST_VALIDATE;
        }
        if (staleness < policy.staleWhileRevalidateSeconds()) {
            return Verdict.STALE_WHILE_REVALIDATE;
        }
        return Verdict.MUST_VALIDATE;
    }

    /**
     * RFC 5861 §4: may a stale response be served because the origin failed? Yes when not
     * mustRevalidate and staleness (currentAge − lifetime) is less than the response's stale-if-error or
     * the request's stale-if-error, whichever is larger. A response that is still fresh may always be
     * served (it is not stale), except that a bare {@code no-cache} response never is without successful
     * validation (RFC 9111 §4.2.4).
     */
    public static boolean staleIfErrorAllows(Policy policy, CacheControl request, long currentAge) {
        if (policy.noCache()) {
            return false;
        }
        long staleness = currentAge - policy.lifetimeSeconds();
        if (staleness < 0) {
            return true;
        }
        if (policy.mustRevalidate()) {
            return false;
        }
        long requestWindow = request == null ? 0 : Math.max(0, request.staleIfError());
        long window = Math.max(policy.staleIfErrorSeconds(), requestWindow);
        return staleness < window;
    }

    /**
     * RFC 5861 §4 with no attempt: may a stored response be served without asking an origin that failed
     * moments ago ({@code OriginHold})? Only a stale one (a fresh response the request refused goes ahead:
     * it asked for the origin), that stale-if-error allows, to a request that did not ask for a validated or
     * fresher response ({@code no-cache}, {@code max-age}, {@code min-fresh}, RFC 9111 §5.2.1.1, §5.2.1.3,
     * §5.2.1.4): only an attempt can honour those, so they get one and fall back on stale-if-error after it.
     *
     * @param decisionAge the entry's age, or {@link #invalidatedAge} for a soft-purged entry
     */
    public static boolean staleIfErrorAllowsWithoutAsking(Policy policy, CacheControl request, long decisionAge) {
        if (decisionAge < policy.lifetimeSeconds()) {
            return false;
        }
        if (request != null && (request.noCache() || request.maxAge() != CacheControl.ABSENT
                || request.minFresh() != CacheControl.ABSENT)) {
            return false;
        }
        return staleIfErrorAllows(policy, request, decisionAge);
    }

    /**
     * The age reuse is decided with for an entry marked invalidated (a soft purge, ARCHITECTURE §4): such
     * an entry is already stale (RFC 9111 §4.2: not fresh) however young it is, so its age counts as at
     * least its lifetime. Staleness starts at 0, so RFC 5861 §3 stale-while-revalidate and §4
     * stale-if-error windows, and RFC 9111 §5.2.1.2 max-stale, apply to it as to any stale response,
     * while must-revalidate (§4.2.4) and no-cache still force a validation.
     */
    public static long invalidatedAge(Policy policy, long currentAge) {
        return Math.max(currentAge, policy.lifetimeSeconds());
    }

    /** Seconds of freshness left, never negative: the {@code ttl} parameter of Cache-Status. */
    public static long ttl(Policy policy, long currentAge) {
        return Math.max(0, policy.lifetimeSeconds() - currentAge);
    }
}
