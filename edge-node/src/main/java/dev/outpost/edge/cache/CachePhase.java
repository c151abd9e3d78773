package dev.outpost.edge.cache;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of one request through the edge (after Varnish's cache_req_fsm and Pingora's
 * CachePhase). Every exchange moves forward through these phases; a transition that the table does
 * not allow fails loudly, so a bug shows up as an error instead of a wrong response.
 */
public enum CachePhase {
    /** Parsed and routed; nothing decided yet. */
    RECEIVED,
    /** The request may not use the cache (method, no-store, override headers); forwarded as is. */
    BYPASS,
    /** Looking up stored variants. */
    LOOKUP,
    /** A stored response can be served as it is (fresh, or stale and acceptable). */
    HIT,
    /** A stored response exists but must be validated with the origin first. */
    VALIDATE,
    /** Nothing usable stored: waiting for or performing the one origin fetch for this key. */
    MISS,
    /** Talking to the origin. */
    FETCH,
    /** Sending the response to the client. */
    RESPOND,
    /** Finished (the response was completed or the client went away). */
    DONE;

    private Set<CachePhase> next;

    static {
        RECEIVED.next = EnumSet.of(BYPASS, LOOKUP, RESPOND, DONE);
        BYPASS.next = EnumSet.of(FETCH, RESPOND, DONE);
        LOOKUP.next = EnumSet.of(HIT, VALIDATE, MISS, RESPOND, DONE);
        HIT.next = EnumSet.of(RESPOND, DONE);
        VALIDATE.next = EnumSet.of(LOOKUP, FETCH, RESPOND, DONE);
        MISS.next = EnumSet.of(LOOKUP, FETCH, RESPOND, DONE);
        FETCH.next = EnumSet.of(FETCH, RESPOND, DONE);
        // RESPOND -> FETCH: a stored body could not be read before anything was sent; the origin answers.
        RESPOND.next = EnumSet.of(FETCH, DONE);
        DONE.next = EnumSet.noneOf(CachePhase.class);
    }

    public boolean canMoveTo(CachePhase target) {
        return next.contains(target);
    }

    /** Checks a transition; throws {@link IllegalStateException} naming both phases when not allowed. */
    public CachePhase moveTo(CachePhase target) {
        if (!canMoveTo(target)) {
            throw new IllegalStateException("illegal cache phase transition " + this + " -> " + target);
        }
        return target;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
