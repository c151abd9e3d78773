package dev.outpost.edge.proxy;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which origins just failed, so that a stale response stale-if-error allows (RFC 5861 §4) is served
 * without asking them again on every request while they are down, as Traffic Server's
 * {@code down_server.cache_time} and nginx's {@code max_fails}/{@code fail_timeout} spare a failing
 * server. An origin route <em>fails</em> when a request to it gets no answer (it could not connect to
 * any of the route's servers, timed out, or the connection broke) or answers 502, 503 or 504 (RFC 9110
 * §15.6.3-5: a gateway's or the service's own unavailability, not one resource's error, which 500 is);
 * it is then <em>held</em> for {@code hold}. The first request after the hold asks again; its failure
 * holds the route anew, any other answer releases it at once. Misses, and anything stale-if-error does
 * not cover, still go to the origin while it is held: they have nothing else to be answered with.
 *
 * <p>Pure bookkeeping against a clock; no I/O.
 */
public final class OriginHold {

    /** {@link #outcome}'s status when the request got no answer at all. */
    public static final int NO_ANSWER = 0;

    private static final Logger LOG = LoggerFactory.getLogger(OriginHold.class);

    private final Clock clock;
    private final long holdMillis;
    /** Held routes and until when (epoch millis). */
    private final ConcurrentHashMap<Origin, Long> heldUntil = new ConcurrentHashMap<>();

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

    /** Is {@code origin} held now: did a request to it fail less than the hold ago, with no answer since? */
    public boolean isHeld(Origin origin) {
        if (heldUntil.isEmpty()) {
            return false; // the common case: no map lookup
        }
        Long until = heldUntil.get(origin);
        return until != null && clock.millis() < until;
    }

    /** What a request to {@code origin} got: its response's status, or {@link #NO_ANSWER}. */
    public void outcome(Origin origin, int status) {
        if (isFailure(status)) {
            failed(origin, status);
        } else if (!heldUntil.isEmpty() && heldUntil.remove(origin) != null) {
            LOG.info("origin {} answers again ({})", origin, status);
        }
    }

    private void failed(Origin origin, int status) {
        if (holdMillis == 0) {
            return;
        }
        Long before = heldUntil.put(origin, clock.millis() + holdMillis);
        if (before == null) {
            LOG.warn("origin {} failed ({}): stale responses that stale-if-error allows are served without asking "
                    + "it, {} ms at a time, until it answers again", origin,
                    status == NO_ANSWER ? "no answer" : status, holdMillis);
        }
    }

    /** Routes held now. */
    public int held() {
        long now = clock.millis();
        int n = 0;
        for (Long until : heldUntil.values()) {
            if (now < until) {
                n++;
            }
        }
        return n;
    }
}
