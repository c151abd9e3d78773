package dev.outpost.edge.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Request collapsing (Pingora's CacheKeyLock, Varnish's waiting list). The first miss on a key
 * becomes the leader and fetches; later misses on the same key follow and wait for the leader's
 * {@link Outcome}. Every follower is always woken: the leader must call {@link Fill#release} exactly
 * once whatever happens (stored, not storable, origin failure), and a follower's own wait is bounded
 * ({@link #waitTimeout()}), after which it goes to the origin alone.
 *
 * <p>A key whose answer turned out not storable is remembered as uncacheable for a while (Varnish's
 * hit-for-miss): requests for it skip the queue and fetch in parallel, since queueing them behind
 * each other would serialise an uncacheable URL.
 */
public final class CacheLock {

    public enum Outcome {
        /** The response was stored: look up again. */
        STORED,
        /** The response could not be stored: fetch yourself. */
        NOT_STORED,
        /** The origin failed or the fetch was cut off: fetch yourself. */
        FAILED
    }

    /** What {@link #acquire} hands out. */
    public sealed interface Ticket permits Fill, Wait {
    }

    /** The leader's handle. */
    public final class Fill implements Ticket {
        private final String key;
        private final CompletableFuture<Outcome> done = new CompletableFuture<>();

        private Fill(String key) {
            this.key = key;
        }

        /** Wakes every follower; idempotent. */
        public void release(Outcome outcome) {
            if (done.complete(outcome)) {
                inflight.remove(key, this);
                if (outcome == Outcome.NOT_STORED) {
                    uncacheable.put(key, Boolean.TRUE);
                }
            }
        }
    }

    /** A follower's handle: completes with the leader's outcome, or exceptionally on timeout. */
    public record Wait(CompletableFuture<Outcome> outcome) implements Ticket {
    }

    private final ConcurrentHashMap<String, Fill> inflight = new ConcurrentHashMap<>();
    private final Cache<String, Boolean> uncacheable;
    private final Duration waitTimeout;

    public CacheLock(Duration waitTimeout, Duration uncacheableTtl, Clock clock) {
        this.waitTimeout = waitTimeout;
        this.uncacheable = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterWrite(uncacheableTtl)
                .ticker(() -> clock.millis() * 1_000_000L)
                .executor(Runnable::run)
                .build();
    }

    /** Leader or follower for {@code key}. */
    public Ticket acquire(String key) {
        Fill mine = new Fill(key);
        Fill existing = inflight.putIfAbsent(key, mine);
        if (existing == null) {
            return mine;
        }
        return new Wait(existing.done.copy().orTimeout(waitTimeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    public boolean isMarkedUncacheable(String key) {
        return uncacheable.getIfPresent(key) != null;
    }

    /** Forgets the uncacheable mark (a later response for the key was storable). */
    public void clearUncacheable(String key) {
        uncacheable.invalidate(key);
    }

    public Duration waitTimeout() {
        return waitTimeout;
    }

    /** Fetches in flight right now. */
    public int inflight() {
        return inflight.size();
    }
}
