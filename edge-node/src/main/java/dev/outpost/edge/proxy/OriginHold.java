package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CacheKey;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which origins just failed, so that a stale response stale-if-error allows (RFC 5861 §4) is served
 * without asking them again on every request while they are down, as Traffic Server's
 * {@code down_server.cache_time} and nginx's {@code max_fails}/{@code fail_timeout} spare a failing
 * server. What is held is a {@link Target}: the server a key is routed to first (rendezvous order, so one
 * sick server of several holds only its own keys) and the request's host (so a shield that answers 502
 * for one site's origin holds only that site).
 *
 * <p>A target <em>fails</em> when a request the edge sends on its own account (a miss, a validation, a
 * background revalidation; never a client's pass-through request) gets no answer (no server could be
 * connected to, timed out, broken connection) or a 502, 503 or 504 (RFC 9110 §15.6.3-5: a gateway's or
 * the service's unavailability, not one resource's error, which 500 is). It is then <em>held</em> for
 * {@code hold}. After the hold exactly one request is let through to ask again (the others stay held while
 * it is out, for one more hold at most); its failure holds the target anew, any other answer releases it.
 * Misses, and anything stale-if-error does not cover, still go to the origin while it is held: they have
 * nothing else to be answered with.
 *
 * <p>Pure bookkeeping against a clock; no I/O. Thread-safe: event loops share it. The clock is the edge's wall
 * clock (tests drive it); a hold it finds set in its future (the clock was stepped back since) counts as over, so
 * a backward step never lengthens a hold: the next request asks.
 */
public final class OriginHold {

    /** {@link #outcome}'s status when the request got no answer at all. */
    public static final int NO_ANSWER = 0;

    /** Held targets kept at most; past it, expired ones are dropped, then new failures are not held. */
    static final int MAX_TARGETS = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(OriginHold.class);

    /** What is held: a server, for one request host. */
    public record Target(Origin.Server server, String host) {

        /** The target of a request for {@code key} to {@code origin}: the key's first server, for its host. */
        static Target of(Origin origin, CacheKey key) {
            return new Target(origin.serversFor(key).get(0), key.host());
        }
    }

    private final Clock clock;
    private final long holdMillis;
    /** Targets that failed, and until when they are held (epoch millis; past it, expired until asked). */
    private final ConcurrentHashMap<Target, Long> heldUntil = new ConcurrentHashMap<>();

    /** {@code hold} zero: never held. */
    public OriginHold(Clock clock, Duration hold) {
        if (hold.isNegative()) {
            throw new IllegalArgumentException("hold must not be negative: " + hold);
        }
        this.clock = clock;
        this.holdMillis = hold.toMillis();
    }

    /** Does a status (or {@link #NO_ANSWER}) say the origin itself is failing? */
    static boolean isFailure(int status) {
        return status == NO_ANSWER || status == 502 || status == 503 || status == 504;
    }

    /**
     * Should a request to {@code target} be answered without asking it? True while it is held. Once the
     * hold is over, false for exactly one caller, which is to ask (the target stays held for the others
     * while that request is out), and true for the rest.
     */
    public boolean isHeld(Target target) {
        if (heldUntil.isEmpty()) {
            return false; // the common case: no lookup
        }
        Long until = heldUntil.get(target);
        if (until == null) {
            return false;
        }
        long now = clock.millis();
        if (heldAt(now, until)) {
            return true;
        }
        return !heldUntil.replace(target, until, now + holdMillis); // the winner asks
    }

    /** {@link #isHeld(Target)} for a request for {@code key} to {@code origin}; builds nothing while none is held. */
    public boolean isHeld(Origin origin, CacheKey key) {
        return !heldUntil.isEmpty() && isHeld(Target.of(origin, key));
    }

    /** {@link #outcome(Target, int)} for a request for {@code key} to {@code origin}; builds nothing for an answer
     *  while none is held (every miss reports here). */
    public void outcome(Origin origin, CacheKey key, int status) {
        if (isFailure(status) || !heldUntil.isEmpty()) {
            outcome(Target.of(origin, key), status);
        }
    }

    /** What a request to {@code target} got: its response's status, or {@link #NO_ANSWER}. */
    public void outcome(Target target, int status) {
        if (isFailure(status)) {
            failed(target, status);
        } else if (!heldUntil.isEmpty() && heldUntil.remove(target) != null) {
            LOG.info("origin {} for host {} answers again ({})", target.server(), target.host(), status);
        }
    }

    private void failed(Target target, int status) {
        if (holdMillis == 0) {
            return;
        }
        long now = clock.millis();
        if (heldUntil.size() >= MAX_TARGETS && !heldUntil.containsKey(target)) {
            heldUntil.values().removeIf(until -> !heldAt(now, until));
            if (heldUntil.size() >= MAX_TARGETS) {
                return; // a flood of failing hosts: those are asked every time, as without a hold
            }
        }
        Long before = heldUntil.put(target, now + holdMillis);
        if (before == null || before <= now) {
            LOG.warn("origin {} for host {} failed ({}): stale responses that stale-if-error allows are served "
                    + "without asking it, {} ms at a time, until it answers again", target.server(), target.host(),
                    status == NO_ANSWER ? "no answer" : status, holdMillis);
        }
    }

    /** Targets held now. */
    public int held() {
        long now = clock.millis();
        int n = 0;
        for (Long until : heldUntil.values()) {
            if (heldAt(now, until)) {
                n++;
            }
        }
        return n;
    }

    /** Whether a hold ending at {@code until} holds at {@code now}: not over, and not set in the future. */
    private boolean heldAt(long now, long until) {
        return now < until && now >= until - holdMillis;
    }
}
