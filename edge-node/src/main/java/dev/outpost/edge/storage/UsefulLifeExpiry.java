package dev.outpost.edge.storage;

import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.util.function.ToLongFunction;

/**
 * Caffeine expiry for stored objects: a value expires at the instant it can serve nothing any more
 * (not fresh, outside every stale window, past the revalidation grace; see
 * {@code CacheEntry.usefulUntil}). Writes recompute it; reads never extend it. Time comes from the
 * injected clock, so tests move it by hand.
 *
 * <p>Used by the disk tier's index. The memory tier uses an {@link ExpiryQueue} instead: Caffeine moves an
 * entry in its timer wheel on every read, which at memory-hit rates made young collections slow (see
 * there). A disk hit is a RocksDB read, a few thousand per second, where that move is not measurable,
 * while the queue would add ~50 bytes of heap per key to an index of millions (a deadline and its
 * skip-list node, less the timer wheel's links).
 */
public final class UsefulLifeExpiry<K, V> implements Expiry<K, V> {

    private final Clock clock;
    private final ToLongFunction<V> usefulUntilMillis;

    public UsefulLifeExpiry(Clock clock, ToLongFunction<V> usefulUntilMillis) {
        this.clock = clock;
        this.usefulUntilMillis = usefulUntilMillis;
    }

    private long nanosLeft(V value) {
        long ms = usefulUntilMillis.applyAsLong(value) - clock.millis();
        return Math.max(0, Math.min(ms, Long.MAX_VALUE / 2_000_000L)) * 1_000_000L;
    }

    @Override
    public long expireAfterCreate(K key, V value, long currentTime) {
        return nanosLeft(value);
    }

    @Override
    public long expireAfterUpdate(K key, V value, long currentTime, long currentDuration) {
        return nanosLeft(value);
    }

    @Override
    public long expireAfterRead(K key, V value, long currentTime, long currentDuration) {
        return currentDuration;
    }
}
