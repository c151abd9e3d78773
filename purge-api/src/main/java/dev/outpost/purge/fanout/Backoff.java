package dev.outpost.purge.fanout;

import java.time.Duration;

/**
 * Exponential backoff with full jitter (the "Full Jitter" of the AWS Architecture Blog's "Exponential Backoff
 * And Jitter", 2015): the wait before retry {@code n} (1 for the first retry) is drawn uniformly from
 * {@code [0, min(max, initial × 2^(n-1))]}. Full jitter spreads the retries of many senders (here: one per
 * edge, and many purge-api restarts) instead of synchronising them. Pure: the random draw is a parameter.
 */
public final class Backoff {

    private final long initialNanos;
    private final long maxNanos;

    public Backoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + " and " + max);
        }
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** The upper bound of the wait before retry {@code retry} (1, 2, ...): initial doubled each retry, capped. */
    public Duration ceiling(int retry) {
        if (retry < 1) {
            throw new IllegalArgumentException("retries count from 1, got " + retry);
        }
        int doublings = Math.min(retry - 1, 62);
        long ceiling = initialNanos > (maxNanos >> doublings) ? maxNanos : initialNanos << doublings;
        return Duration.ofNanos(Math.min(ceiling, maxNanos));
    }

    /** The wait before retry {@code retry}, for a uniform draw {@code random} in [0, 1). */
    public Duration delay(int retry, double random) {
        if (!(random >= 0 && random < 1)) {
            throw new IllegalArgumentException("random must be in [0, 1), got " + random);
        }
        return Duration.ofNanos((long) (ceiling(retry).toNanos() * random));
    }
}
