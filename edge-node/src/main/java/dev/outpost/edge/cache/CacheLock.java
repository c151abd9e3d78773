package dev.outpost.edge.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Request collapsing (Pingora's CacheKeyLock, Varnish's waiting list). The first miss on a key
 * becomes the leader and fetches; later misses on the same key follow and wait for the leader's
 * {@link Outcome}. Every follower is always woken: the leader must call {@link Fill#release} exactly
 * once whatever happens (stored, not storable, origin failure), and a follower's own wait is bounded,
 * after which it goes to the origin alone. The bound has two parts. Until the leader has the origin's
 * response head ({@link Fill#headReceived}) a follower waits as long as the leader may (its own
 * connect and first-byte timeouts end it, and wake the followers) plus {@link #waitTimeout()} as a
 * margin: a slow origin gets one request, not one per client once a shorter wait ran out (Varnish's
 * waiting list does not time out either). From the head on (or from the follower's arrival, if later)
 * it waits {@link #waitTimeout()} for the fill to end: a body that takes longer is not waited for,
 * since a fill that is not read along goes at its leader's client's pace. At the head the leader may also offer its fill
 * to be read along as it streams in (the storage's growing body, or the proxy's {@code FillInProgress});
 * followers learn of the head through {@link Wait#head()}, at once when they arrive after it.
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
        FAILED,
        /**
         * The origin did not answer within the leader's timeouts. A follower that waited for it about as long as
         * a request of its own would have ({@link #sharesTimeout}) answers as the leader did (stale-if-error,
         * or a 504) instead of asking again: asking would double its wait, and all of them asking would load an
         * origin that is not answering with one request each. One that came late looks up again, and collapses
         * behind one new leader.
         */
        TIMED_OUT
    }

    /** What {@link #acquire} hands out. */
    public sealed interface Ticket permits Fill, Wait {
    }

    /** The leader's handle. */
    public final class Fill implements Ticket {
        private final String key;
        private final CompletableFuture<Outcome> done = new CompletableFuture<>();
        private final CompletableFuture<Void> head = new CompletableFuture<>();
        private final AtomicInteger followers = new AtomicInteger();

        private Fill(String key) {
            this.key = key;
        }

        /**
         * The origin's response head arrived: followers now wait at most {@link #waitTimeout()} more for the
         * fill to end. Idempotent.
         */
        public void headReceived() {
            head.complete(null);
        }

        /** How many requests have followed this fill so far (including any that stopped waiting). */
        public int followers() {
            return followers.get();
        }

        /** Wakes every follower; idempotent. */
        public void release(Outcome outcome) {
            head.complete(null);
            if (done.complete(outcome)) {
                inflight.remove(key, this);
                if (outcome == Outcome.NOT_STORED) {
                    uncacheable.put(key, Boolean.TRUE);
                }
            }
        }
    }

    /**
     * A follower's handle: {@code outcome} completes with the leader's outcome, or exceptionally on timeout;
     * {@code head} when the leader has the origin's response head (or was released), which is when a
     * follower may read its fill along, if the leader offers that.
     */
    public record Wait(CompletableFuture<Outcome> outcome, CompletableFuture<Void> head) implements Ticket {
    }

    private final ConcurrentHashMap<String, Fill> inflight = new ConcurrentHashMap<>();
    private final Cache<String, Boolean> uncacheable;
    private final Duration waitTimeout;
    /** The longest a follower waits before the leader's head: the leader's own bound plus waitTimeout. */
    private final long headWaitMillis;
    /** The longest a leader waits for its origin's head. */
    private final long leaderHeadMillis;

    /**
     * @param waitTimeout       how long a follower waits for the fill to end once the leader has its head
     * @param leaderHeadTimeout the longest a leader can wait for its origin's response head (connect plus
     *                          first-byte timeouts); zero makes waitTimeout the whole bound
     */
    public CacheLock(Duration waitTimeout, Duration leaderHeadTimeout, Duration uncacheableTtl, Clock clock) {
        this.waitTimeout = waitTimeout;
        this.headWaitMillis = leaderHeadTimeout.plus(waitTimeout).toMillis();
        this.leaderHeadMillis = leaderHeadTimeout.toMillis();
        this.uncacheable = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterWrite(uncacheableTtl)
                .ticker(() -> clock.millis() * 1_000_000L)
                .executor(Runnable::run)
                .build();
    }

    /**
     * Whether a follower that waited {@code waitedMillis} for a leader whose origin timed out shares that
     * timeout ({@link Outcome#TIMED_OUT}): it waited at least half as long as the leader may wait for a head.
     */
    public boolean sharesTimeout(long waitedMillis) {
        return waitedMillis * 2 >= leaderHeadMillis;
    }

    /** Leader or follower for {@code key}. */
    public Ticket acquire(String key) {
        Fill mine = new Fill(key);
        Fill existing = inflight.putIfAbsent(key, mine);
        if (existing == null) {
            return mine;
        }
        CompletableFuture<Outcome> outcome = existing.done.copy().orTimeout(headWaitMillis, TimeUnit.MILLISECONDS);
        existing.head.thenRun(() -> outcome.orTimeout(waitTimeout.toMillis(), TimeUnit.MILLISECONDS));
        existing.followers.incrementAndGet();
        return new Wait(outcome, existing.head.copy());
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
