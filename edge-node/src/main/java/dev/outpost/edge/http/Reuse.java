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
            throw new UnsupportedOperationException("not yet implemented");
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
     * current age is {@code currentAge}.
     * <ul>
     * <li>request {@code no-cache} or response bare {@code no-cache} → MUST_VALIDATE;</li>
     * <li>fresh = currentAge &lt; lifetime, and currentAge ≤ request {@code max-age} if given, and
     *     lifetime − currentAge ≥ request {@code min-fresh} if given → FRESH;</li>
     * <li>fresh but not fresh enough for the request's max-age / min-fresh → MUST_VALIDATE;</li>
     * <li>stale and mustRevalidate → MUST_VALIDATE;</li>
     * <li>stale by at most the request's {@code max-stale} → STALE_ACCEPTED;</li>
     * <li>stale by at most stale-while-revalidate → STALE_WHILE_REVALIDATE;</li>
     * <li>otherwise MUST_VALIDATE.</li>
     * </ul>
     * An {@code immutable} fresh response is FRESH even for request {@code no-cache}? No: RFC 8246 §2
     * only lets clients skip their own revalidation; a shared cache honours explicit request no-cache,
     * so immutable does not change this decision.
     */
    public static Verdict decide(Policy policy, CacheControl request, long currentAge) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * RFC 5861 §4: may a stale response be served because the origin failed? Yes when not
     * mustRevalidate and staleness (currentAge − lifetime, 0 if fresh) is within the response's
     * stale-if-error or the request's stale-if-error, whichever is larger.
     */
    public static boolean staleIfErrorAllows(Policy policy, CacheControl request, long currentAge) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Seconds of freshness left, never negative: the {@code ttl} parameter of Cache-Status. */
    public static long ttl(Policy policy, long currentAge) {
        return Math.max(0, policy.lifetimeSeconds() - currentAge);
    }
}
