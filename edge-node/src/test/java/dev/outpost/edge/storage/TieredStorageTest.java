package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.storage.memory.MemoryStorage;
import dev.outpost.edge.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract, against memory in front of a second, larger memory tier standing in for the lower
 * tier (the disk tier's own test runs the same contract against RocksDB), plus promotion.
 */
class TieredStorageTest extends CacheStorageContract {

    private MemoryStorage hot;
    private MemoryStorage cold;

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        hot = new MemoryStorage(8L << 20, 64 * 1024, clock, Duration.ofHours(1), Runnable::run);
        cold = new MemoryStorage(64L << 20, 4L << 20, clock, Duration.ofHours(1), Runnable::run);
        return new TieredStorage(hot, cold);
    }

    @Test
    void objectsOverTheMemoryLimitLiveInTheLowerTierOnly() {
        byte[] big = new byte[200_000];
        assertTrue(store(entry("/big", "", big.length), big));
        CacheKey key = new CacheKey("site.example", "/big");
        assertTrue(hot.lookupNow(key).isEmpty());
        List<StoredObject> found = storage.lookup(key).join();
        assertEquals(1, found.size());
        assertEquals(200_000, found.get(0).body().length());
    }

    @Test
    void aLowerTierHitIsPromotedToMemory() {
        CacheKey key = new CacheKey("site.example", "/warm");
        cold.put(entry("/warm", "", -1), bytes("from below"));
        List<StoredObject> first = storage.lookup(key).join();
        assertEquals(1, first.size());
        List<StoredObject> promoted = hot.lookupNow(key);
        assertEquals(1, promoted.size(), "promoted into memory");
        assertEquals(StoredObject.Tier.MEMORY, storage.lookup(key).join().get(0).tier());
        assertArrayEquals(bytes("from below"), read(promoted.get(0), 0, 9));
    }
}
