package dev.outpost.edge.http;

/**
 * Validators and conditional requests: RFC 9110 §8.8 (entity tags, strong and weak comparison),
 * §13.1 (If-None-Match, If-Modified-Since, If-Range), and RFC 9111 §4.3 (validation by a cache:
 * §4.3.1 sending a validation request, §4.3.2 answering a client's conditional request from cache,
 * §4.3.4 freshening stored responses with a 304, §4.3.5 freshening with a HEAD response).
 */
public final class Conditional {

    private Conditional() {
    }

    /** §8.8.3.2 strong comparison: both strong and identical opaque-tags. */
    public static boolean strongMatch(String etagA, String etagB) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** §8.8.3.2 weak comparison: opaque-tags identical, W/ ignored. */
    public static boolean weakMatch(String etagA, String etagB) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * RFC 9111 §4.3.2 / RFC 9110 §13.1.1-3, §13.2.2: should a GET/HEAD carrying the client's own
     * preconditions get 304 from the stored response? If-None-Match (weak comparison, "*" matches
     * any stored response) takes precedence; If-Modified-Since is evaluated only without
     * If-None-Match and only when the stored response has Last-Modified (or Date), invalid dates ignored.
     */
    public static boolean notModified(Fields request, Fields stored) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** §4.3.1: the validator fields for a revalidation request: If-None-Match from ETag, If-Modified-Since from Last-Modified. */
    public static HeaderFields validatorsFor(Fields stored) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** True when the stored response has a validator (ETag or Last-Modified). */
    public static boolean hasValidator(Fields stored) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * §4.3.4 (via §3.2): the stored header fields updated with those of a 304 (or, §4.3.5, a HEAD
     * 200): every field in the new response replaces the stored field of that name, except
     * Content-Length (and, for 304, Content-Range, Content-Encoding, Transfer-Encoding... any field
     * describing the content of the 304 itself) which are kept from the stored response.
     */
    public static HeaderFields freshen(Fields stored, Fields update) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * §4.3.4: does a 304 apply to this stored response? With a strong ETag in the 304, the stored
     * ETag must match strongly; else with Last-Modified, it must equal the stored one; else (no
     * validators) it applies when the stored response has no strong validator either.
     */
    public static boolean notModifiedApplies(Fields stored, Fields notModified) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * §4.3.5: does a HEAD 200 freshen the stored response? Not when Content-Length, ETag or
     * Last-Modified present in both differ (then the stored response should be invalidated).
     */
    public static boolean headResponseMatches(Fields stored, Fields head) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * RFC 9110 §13.1.5: may a Range be honoured given If-Range? True without If-Range. With an
     * entity-tag: strong match against the stored ETag. With a date: equal to a strong Last-Modified
     * (i.e. Last-Modified at least one second before Date), else false.
     */
    public static boolean ifRangeAllowsRange(Fields request, Fields stored) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
