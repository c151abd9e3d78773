package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private Path coldDir;

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        coldDir = dir.resolve("disk-" + System.nanoTime());
        return openTiers();
    }

    private TieredStorage openTiers() {
        hot = new MemoryStorage(8L << 20, 64 * 1024, clock, Duration.ofHours(1), Runnable::run);
        try {
            cold = DiskStorage.open(coldDir, 64L << 20, 4L << 20, clock, Duration.ofHours(1));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new TieredStorage(hot, cold);
    }

    /** A restart empties memory; the disk tier comes back with its objects and tags. */
    @Override
    protected CacheStorage restarted() {
        storage.close();
        return openTiers();
    }

    @Test
    void objectsOverTheMemoryLimitLiveInTheLowerTierOnly() {
        byte[] big = new byte[200_000];
        assertTrue(store(entry("/big", "", big.length), big));
        CacheKey key = new CacheKey("site.example", "/big");
        assertTrue(hot.lookupInMemory(key).isEmpty());
        List<StoredObject> found = storage.lookup(key).join();
        assertEquals(1, found.size());
        assertEquals(200_000, found.get(0).body().length());
    }

    /** An object both tiers take is read along the lower tier's copy (the memory tier's is only the fallback). */
    @Test
    void aFillBothTiersTakeIsReadAlongTheLowerTiersCopy() {
        byte[] small = new byte[50_000];
        new java.util.Random(3).nextBytes(small);
        ObjectWriter w = storage.writer(entry("/both", "", small.length));
        StoredBody growing = w.growingBody();
        assertTrue(growing != null, "the lower tier's growing body");
        StoredBody.Reader r = growing.open(0, small.length - 1);
        java.util.concurrent.CompletableFuture<java.nio.ByteBuffer> whole = r.next();
        assertFalse(whole.isDone(), "nothing written yet");
        w.write(java.nio.ByteBuffer.wrap(small));
        assertTrue(w.commit().join());
        java.nio.ByteBuffer read = whole.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
        byte[] got = new byte[read.remaining()];
        read.get(got);
        assertArrayEquals(small, got);
        r.close();
        assertFalse(hot.lookupInMemory(new CacheKey("site.example", "/both")).isEmpty(), "in memory too");
    }

    @Test
    void lookupInMemoryNeverAsksTheLowerTier() {
        java.util.concurrent.atomic.AtomicInteger lowerLookups = new java.util.concurrent.atomic.AtomicInteger();
        CacheStorage countingLower = new ForwardingCacheStorage(cold) {
            @Override
            public java.util.concurrent.CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
                lowerLookups.incrementAndGet();
                return super.lookup(key);
            }
        };
        TieredStorage tiers = new TieredStorage(hot, countingLower);
        CacheKey key = new CacheKey("site.example", "/below");
        ObjectWriter w = cold.writer(entry("/below", "", -1));
        w.write(java.nio.ByteBuffer.wrap(bytes("only on disk")));
        assertTrue(w.commit().join());
        assertTrue(tiers.lookupInMemory(key).isEmpty());
        assertEquals(0, lowerLookups.get(), "no lower-tier lookup, hence no promotion either");
        assertEquals(StoredObject.Tier.DISK, tiers.lookup(key).join().get(0).tier(), "lookup still finds it below");
        assertEquals(1, lowerLookups.get());
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
        while (hot.lookupInMemory(key).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        List<StoredObject> promoted = hot.lookupInMemory(key);
        assertEquals(1, promoted.size(), "promoted into memory");
        assertEquals(StoredObject.Tier.MEMORY, storage.lookup(key).join().get(0).tier());
        assertArrayEquals(bytes("from below"), read(promoted.get(0), 0, 9));
    }

    @Test
    void concurrentLowerTierHitsPromoteOnceThroughTheMemoryWriter() {
        CacheKey key = new CacheKey("site.example", "/popular");
        byte[] body = new byte[40_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        assertTrue(write(cold.writer(entry("/popular", "", body.length)), body));
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CompletableFuture<Void> gate = new java.util.concurrent.CompletableFuture<>();
        CacheStorage slowLower = new ForwardingCacheStorage(cold) { // the real disk tier, its reads held at a gate
            @Override
            public java.util.concurrent.CompletableFuture<List<StoredObject>> lookup(CacheKey k) {
                return super.lookup(k).thenApply(found -> found.stream()
                        .map(o -> new StoredObject(o.entry(), gated(o.body(), opens, gate), o.tier())).toList());
            }
        };
        TieredStorage tiers = new TieredStorage(hot, slowLower);
        for (int i = 0; i < 5; i++) {
            assertEquals(StoredObject.Tier.DISK, tiers.lookup(key).join().get(0).tier(), "memory has no copy yet");
        }
        assertEquals(1, opens.get(), "five lookups while the first promotion reads: one promotion");
        gate.complete(null);
        long deadline = System.currentTimeMillis() + 5000;
        while (hot.lookupInMemory(key).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        assertArrayEquals(body, read(hot.lookupInMemory(key).get(0), 0, body.length - 1), "the promoted copy");

        hot.removeVariant(key, "");
        assertEquals(StoredObject.Tier.DISK, tiers.lookup(key).join().get(0).tier());
        assertEquals(2, opens.get(), "once the first promotion is done, a later lower-tier hit promotes again");
    }

    @Test
    void aPromotionWhoseReadThrowsCostsOnlyThatPromotion() {
        CacheKey key = new CacheKey("site.example", "/flaky");
        assertTrue(write(cold.writer(entry("/flaky", "", 3)), bytes("abc")));
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        CacheStorage flakyLower = new ForwardingCacheStorage(cold) { // the real disk tier; its first open throws
            @Override
            public java.util.concurrent.CompletableFuture<List<StoredObject>> lookup(CacheKey k) {
                return super.lookup(k).thenApply(found -> found.stream().map(o -> new StoredObject(o.entry(),
                        new StoredBody() {
                            @Override
                            public long length() {
                                return o.body().length();
                            }

                            @Override
                            public Reader open(long first, long last) {
                                if (opens.incrementAndGet() == 1) {
                                    throw new IllegalStateException("first open fails");
                                }
                                return o.body().open(first, last);
                            }
                        }, o.tier())).toList());
            }
        };
        TieredStorage tiers = new TieredStorage(hot, flakyLower);
        assertEquals(StoredObject.Tier.DISK, tiers.lookup(key).join().get(0).tier(), "the lookup still answers");
        assertTrue(hot.lookupInMemory(key).isEmpty());
        tiers.lookup(key).join();
        assertEquals(2, opens.get(), "the failed promotion did not stay in flight");
        long deadline = System.currentTimeMillis() + 5000;
        while (hot.lookupInMemory(key).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        assertArrayEquals(bytes("abc"), read(hot.lookupInMemory(key).get(0), 0, 2), "promoted the second time");
    }

    private static boolean write(ObjectWriter w, byte[] body) {
        for (int off = 0; off < body.length; off += 16_384) {
            w.write(java.nio.ByteBuffer.wrap(body, off, Math.min(16_384, body.length - off)));
        }
        return w.commit().join();
    }

    /** {@code body}, counting opens, its reads waiting for {@code gate}. */
    private static StoredBody gated(StoredBody body, java.util.concurrent.atomic.AtomicInteger opens,
            java.util.concurrent.CompletableFuture<Void> gate) {
        return new StoredBody() {
            @Override
            public long length() {
                return body.length();
            }

            @Override
            public Reader open(long first, long last) {
                opens.incrementAndGet();
                Reader reader = body.open(first, last);
                return new Reader() {
                    @Override
                    public java.util.concurrent.CompletableFuture<java.nio.ByteBuffer> next() {
                        return gate.thenCompose(v -> reader.next());
                    }

                    @Override
                    public void close() {
                        reader.close();
                    }
                };
            }
        };
    }

    /** A lower tier whose writers report full while {@code full} is set (memory underneath). */
    private static final class GatedStorage extends ForwardingCacheStorage {
        volatile boolean full;
        final java.util.List<Runnable> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();

        GatedStorage(MutableClock clock) {
            super(new MemoryStorage(64L << 20, 64L << 20, clock, Duration.ofHours(1), Runnable::run));
        }

        void open() {
            full = false;
            waiting.forEach(Runnable::run);
            waiting.clear();
        }

        @Override
        public ObjectWriter writer(dev.outpost.edge.cache.CacheEntry entry) {
            return new ForwardingObjectWriter(delegate.writer(entry)) {
                @Override
                public boolean writeQueueFull() {
                    return full && !delegate.isAbandoned();
                }

                @Override
                public void drainHandler(Runnable onDrain) {
                    if (writeQueueFull()) {
                        waiting.add(onDrain);
                    } else {
                        onDrain.run();
                    }
                }
            };
        }
    }

    @Test
    void aLowerTierLookupThatStallsIsAMissAfterTheDeadline() {
        java.util.concurrent.CompletableFuture<List<StoredObject>> never = new java.util.concurrent.CompletableFuture<>();
        CacheStorage stalled = new ForwardingCacheStorage(cold) {
            @Override
            public java.util.concurrent.CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
                return never;
            }
        };
        TieredStorage tiered = new TieredStorage(hot, stalled, Duration.ofMillis(50));
        assertEquals(List.of(), tiered.lookup(new CacheKey("site.example", "/stuck")).join(),
                "a miss instead of waiting on the disk");
        assertEquals(1, tiered.lowerLookupTimeouts());
        never.complete(List.of());
        assertEquals(1, tiered.lowerLookupTimeouts(), "the late answer is dropped");
    }

    @Test
    void theWriterOfBothTiersIsFullWhileTheLowerIsAndDrainsOnceWhenBothHaveRoom() {
        GatedStorage gated = new GatedStorage(clock);
        TieredStorage tiered = new TieredStorage(hot, gated);
        ObjectWriter w = tiered.writer(entry("/gated", "", -1));
        w.write(java.nio.ByteBuffer.wrap(bytes("first ")));
        assertFalse(w.writeQueueFull(), "memory is never full, the lower tier has room");
        gated.full = true;
        assertTrue(w.writeQueueFull(), "full when the lower tier is");
        int[] drains = {0};
        w.drainHandler(() -> drains[0]++);
        assertEquals(0, drains[0]);
        gated.open();
        assertEquals(1, drains[0], "drained once both have room");
        assertFalse(w.writeQueueFull());
        w.write(java.nio.ByteBuffer.wrap(bytes("second")));
        assertTrue(w.commit().join());
        assertEquals(1, drains[0]);
        CacheKey key = new CacheKey("site.example", "/gated");
        assertArrayEquals(bytes("first second"), read(hot.lookupInMemory(key).get(0), 0, 11));
        assertArrayEquals(bytes("first second"), read(gated.lookup(key).join().get(0), 0, 11));

        ObjectWriter w2 = tiered.writer(entry("/gated2", "", -1));
        gated.full = true;
        w2.abort();
        assertFalse(w2.writeQueueFull(), "an abandoned writer is never full");
        gated.close();
    }

    @Test
    void aFastProducerHonouringTheSignalStoresALargeObjectOnDiskThroughTheTiers() throws Exception {
        // unknown length: both tiers start; memory gives up at its 64 KiB limit, disk keeps it all
        ObjectWriter w = storage.writer(entry("/large", "", -1));
        byte[] chunk = new byte[64 * 1024];
        int chunks = 60; // 3.75 MiB, under the disk tier's 4 MiB object limit
        for (int i = 0; i < chunks; i++) {
            java.util.Arrays.fill(chunk, (byte) i);
            w.write(java.nio.ByteBuffer.wrap(chunk));
            if (w.writeQueueFull()) {
                java.util.concurrent.CountDownLatch drained = new java.util.concurrent.CountDownLatch(1);
                w.drainHandler(drained::countDown);
                assertTrue(drained.await(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertFalse(w.isAbandoned(), "abandoned at chunk " + i);
        }
        assertTrue(w.commit().join());
        assertEquals(0, cold.writeQueueOverflows());
        CacheKey key = new CacheKey("site.example", "/large");
        assertTrue(hot.lookupInMemory(key).isEmpty());
        StoredObject o = storage.lookup(key).join().get(0);
        assertEquals((long) chunks * chunk.length, o.body().length());
        byte[] all = read(o, 0, o.body().length() - 1);
        for (int i = 0; i < chunks; i++) {
            assertEquals((byte) i, all[i * chunk.length]);
            assertEquals((byte) i, all[i * chunk.length + chunk.length - 1]);
        }
    }
}
