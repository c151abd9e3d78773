package dev.outpost.edge.storage;

import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each stored key stops being useful ({@code CacheEntry.usefulUntil}: RFC 9111 §4.2 freshness, the
 * RFC 5861 stale windows, the revalidation grace), kept off the hit path. A tier schedules a
 * {@link Deadline} when it stores a value and cancels it when that value is replaced or removed; a read
 * touches nothing here but one volatile long ({@link #anyDue}). Due deadlines are handed out earliest
 * first, a bounded batch per {@link #sweep}, by one sweeper at a time.
 *
 * <p>The model is Varnish's expiry heap, which an object enters when it is inserted or its TTL changes
 * and which serving it never touches. Caffeine's variable expiry was used before and was the cost: its
 * timer wheel moves an entry on every read, writing references into long-lived objects, and with 10,000
 * hot keys the cards this dirtied made the edge's young collections take 5.3 ms on average instead of
 * 0.86 ms (load-tests/bench/README.md, on expiry off the memory tier's hit path).
 */
public final class ExpiryQueue<K> {

    private static final Logger LOG = LoggerFactory.getLogger(ExpiryQueue.class);

    /** One stored value's deadline; identity matters (a tier keeps the one it scheduled). */
    public static final class Deadline<K> {
        private final K key;
        private final long atMillis;
        private final long seq;

        private Deadline(K key, long atMillis, long seq) {
            this.key = key;
            this.atMillis = atMillis;
            this.seq = seq;
        }

        public K key() {
            return key;
        }

        /** Whether the value is past its useful life at {@code nowMillis} (it can serve nothing from then on). */
        public boolean isDue(long nowMillis) {
            return nowMillis >= atMillis;
        }

        @Override
        public String toString() {
            return key + " until " + atMillis;
        }
    }

    private static final Comparator<Deadline<?>> EARLIEST_FIRST =
            Comparator.<Deadline<?>>comparingLong(d -> d.atMillis).thenComparingLong(d -> d.seq);

    /** Sorts before every deadline; only compared, never stored. */
    private static final Deadline<?> BEFORE_ALL = new Deadline<>(null, Long.MIN_VALUE, Long.MIN_VALUE);

    private final ConcurrentSkipListSet<Deadline<K>> deadlines = new ConcurrentSkipListSet<>(EARLIEST_FIRST);
    private final AtomicLong seq = new AtomicLong();
    /**
     * Outside a sweep, no deadline is earlier than this (it may be earlier than the first one: that only costs
     * a sweep); a sweep sets it to the first deadline left when it ends.
     */
    private final AtomicLong nextDueMillis = new AtomicLong(Long.MAX_VALUE);
    private final AtomicBoolean sweeping = new AtomicBoolean();

    public Deadline<K> schedule(K key, long atMillis) {
        Deadline<K> d = new Deadline<>(Objects.requireNonNull(key, "key"), atMillis, seq.incrementAndGet());
        deadlines.add(d);
        // after the add: a sweep running now sees one of them; written only when lowered (hits read it)
        if (atMillis < nextDueMillis.get()) {
            nextDueMillis.accumulateAndGet(atMillis, Math::min);
        }
        return d;
    }

    /** Forgets {@code deadline} (its value was replaced or removed); nothing when it was already handed out. */
    public void cancel(Deadline<K> deadline) {
        deadlines.remove(deadline);
    }

    /** Whether some deadline may be due at {@code nowMillis}: one volatile read, for the hit path. */
    public boolean anyDue(long nowMillis) {
        return nowMillis >= nextDueMillis.get();
    }

    /**
     * Hands up to {@code max} deadlines due at {@code nowMillis} to {@code expire}, earliest first, and
     * forgets them; returns how many. Does nothing while another sweep runs. {@code expire} should check
     * that the deadline is still its value's (a value replaced meanwhile has a new one).
     */
    public int sweep(long nowMillis, int max, Consumer<Deadline<K>> expire) {
        if (!anyDue(nowMillis) || !sweeping.compareAndSet(false, true)) {
            return 0;
        }
        int n = 0;
        try {
            // reset first: a deadline scheduled from here on lowers it again, one scheduled before is
            // still in the set and is seen below
            nextDueMillis.set(Long.MAX_VALUE);
            Deadline<K> first;
            while (n < max && (first = firstOrNull()) != null && first.isDue(nowMillis)) {
                if (deadlines.remove(first)) {
                    n++;
                    try {
                        expire.accept(first);
                    } catch (RuntimeException e) { // not the hit's problem that triggered the sweep
                        LOG.warn("expiry of {} failed; it stays until evicted by size", first, e);
                    }
                }
            }
        } finally {
            Deadline<K> first = firstOrNull();
            if (first != null) {
                nextDueMillis.accumulateAndGet(first.atMillis, Math::min);
            }
            sweeping.set(false);
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    private Deadline<K> firstOrNull() {
        return deadlines.ceiling((Deadline<K>) BEFORE_ALL); // null when empty (first() would throw)
    }

    /** Deadlines scheduled and neither cancelled nor handed out. */
    public int size() {
        return deadlines.size();
    }
}
