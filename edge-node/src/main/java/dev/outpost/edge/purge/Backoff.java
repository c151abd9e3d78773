package dev.outpost.edge.purge;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter for retrying the catch-up feed: the n-th consecutive failure waits a
 * random time between half and all of {@code min(initial × 2^(n-1), max)} ("equal jitter"), so edges that
 * lost purge-api together do not come back in step, and never wait longer than {@code max}. Not
 * thread-safe: used by the sequencer's thread only.
 */
final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final DoubleSupplier random;
    private int failures;

    Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
        this.random = random;
    }

    /** The wait before the next attempt after one more failure. */
    Duration next() {
        failures = Math.min(failures + 1, 62);
        long ceiling = initialMillis;
        for (int i = 1; i < failures && ceiling < maxMillis; i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, maxMillis);
        long half = ceiling / 2;
        return Duration.ofMillis(half + (long) (random.getAsDouble() * (ceiling - half)));
    }

    /** After a success: the next failure waits the initial time again. */
    void reset() {
        failures = 0;
    }

    int failures() {
        return failures;
    }
}
