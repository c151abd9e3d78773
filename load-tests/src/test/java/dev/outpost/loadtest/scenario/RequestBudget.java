package dev.outpost.loadtest.scenario;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Bounds a load phase in requests and in time, shared by all its users (Gatling's
 * {@code asLongAs(session -> budget.take())}): {@link #take()} grants at most {@code requests}
 * requests in total, and none once {@code maxDuration} has passed since the first one was granted.
 * The phase then ends on its own and the phases after it (checks) still run.
 */
final class RequestBudget {

    private final long requests;
    private final long maxNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong granted = new AtomicLong();
    private final AtomicLong startedAt = new AtomicLong(Long.MIN_VALUE);
    private volatile boolean timedOut;

    RequestBudget(long requests, Duration maxDuration) {
        this(requests, maxDuration, System::nanoTime);
    }

    RequestBudget(long requests, Duration maxDuration, LongSupplier nanoTime) {
        if (requests < 0 || maxDuration.isNegative()) {
            throw new IllegalArgumentException("a request budget needs requests >= 0 and a duration >= 0");
        }
        this.requests = requests;
        this.maxNanos = maxDuration.toNanos();
        this.nanoTime = nanoTime;
    }

    /** True when one more request may be sent. */
    boolean take() {
        long now = nanoTime.getAsLong();
        startedAt.compareAndSet(Long.MIN_VALUE, now);
        if (now - startedAt.get() > maxNanos) {
            timedOut = true;
            return false;
        }
        return granted.getAndIncrement() < requests;
    }

    /** How the phase ended (or is going), for the summary. */
    String describe() {
        long sent = Math.min(granted.get(), requests);
        return timedOut ? "stopped by its time limit after " + sent + " of " + requests + " requests"
                : sent + " of " + requests + " requests sent";
    }
}
