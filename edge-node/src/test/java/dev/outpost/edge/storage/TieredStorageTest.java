package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.storage.disk.DiskStorage;
import dev.outpost.edge.storage.memory.MemoryStorage;
import dev.outpost.edge.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against memory in front of a real RocksDB disk tier, plus tier placement and promotion. */
class TieredStorageTest extends CacheStorageContract {

    @TempDir
    Path dir;

    private MemoryStorage hot;
    private DiskStorage cold;

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        hot = new MemoryStorage(8L << 20, 64 * 1024, clock, Duration.ofHours(1), Runnable::run);
        try {
            cold = DiskStorage.open(dir.resolve("disk-" + System.nanoTime()), 64L << 20, 4L << 20, clock,
                    Duration.ofHours(1));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
        ObjectWriter w = cold.writer(entry("/warm", "", -1));
        w.write(java.nio.ByteBuffer.wrap(bytes("from below")));
        assertTrue(w.commit().join());
        List<StoredObject> first = storage.lookup(key).join();
        assertEquals(1, first.size());
        assertEquals(StoredObject.Tier.DISK, first.get(0).tier());
        long deadline = System.currentTimeMillis() + 5000;
        while (hot.lookupNow(key).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        List<StoredObject> promoted = hot.lookupNow(key);
        assertEquals(1, promoted.size(), "promoted into memory");
        assertEquals(StoredObject.Tier.MEMORY, storage.lookup(key).join().get(0).tier());
        assertArrayEquals(bytes("from below"), read(promoted.get(0), 0, 9));
    }
}
