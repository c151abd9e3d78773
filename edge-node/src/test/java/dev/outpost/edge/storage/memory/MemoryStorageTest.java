package dev.outpost.edge.storage.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.CacheStorageContract;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.testing.MutableClock;
import java.nio.ByteBuffer;
import dev.outpost.edge.storage.StoredObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryStorageTest extends CacheStorageContract {

    /** A chunked body may turn out larger than the memory tier takes: its readers would be cut. */
    @Override
    protected boolean offersGrowingBodiesOfUnknownLength() {
        return false;
    }

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        return new MemoryStorage(8L << 20, 1L << 20, clock, Duration.ofHours(1), Runnable::run);
    }

    @Test
    void objectOverTheObjectLimitIsAbandonedWhileStreaming() {
        ObjectWriter w = storage.writer(entry("/huge", "", -1));
        w.write(ByteBuffer.wrap(new byte[600_000]));
        w.write(ByteBuffer.wrap(new byte[600_000]));
        assertTrue(w.isAbandoned());
        assertFalse(w.commit().join());
        assertTrue(storage.lookup(new CacheKey("site.example", "/huge")).join().isEmpty());
    }

    @Test
    void declaredLengthOverTheObjectLimitIsRefusedUpFront() {
        assertTrue(storage.writer(entry("/huge", "", 2L << 20)).isAbandoned());
    }

    /**
     * Fills in flight count against max-size: the tier evicts stored objects to make room for them (up to half of
     * its bound), so stored and filling bytes together stay within it; the room comes back when a fill ends.
     */
    @Test
    void fillsInFlightCountAgainstTheBound() {
        long max = 4L << 20;
        MemoryStorage m = new MemoryStorage(max, 2L << 20, clock, Duration.ofHours(1), Runnable::run);
        for (int i = 0; i < 12; i++) {
            assertTrue(m.put(entry("/stored" + i, "", 300_000), new byte[300_000]));
        }
        long before = m.byteSize();
        ObjectWriter fill = m.writer(entry("/fill", "", 1_500_000));
        for (int at = 0; at < 1_500_000; at += 16 * 1024) {
            fill.write(ByteBuffer.wrap(new byte[Math.min(16 * 1024, 1_500_000 - at)]));
        }
        m.cleanUp();
        assertEquals(1_500_000, m.fillingBytes());
        assertTrue(m.byteSize() + m.fillingBytes() <= max + 64 * 1024,
                "stored " + m.byteSize() + " + filling " + m.fillingBytes() + " (stored before: " + before + ")");
        assertTrue(fill.commit().join());
        m.cleanUp();
        assertEquals(0, m.fillingBytes());
        assertTrue(m.byteSize() <= max);
        assertEquals(1, m.lookupInMemory(new CacheKey("site.example", "/fill")).size());
        ObjectWriter dropped = m.writer(entry("/dropped", "", 1_500_000));
        dropped.write(ByteBuffer.wrap(new byte[700_000]));
        dropped.abort();
        assertEquals(0, m.fillingBytes(), "an aborted fill gives its room back");
    }

    /**
     * Two fills ending on two threads at once: the one that read the older total applies it last (held between
     * reading and applying while the other ends), and the bound still comes back to max-size once none is in
     * flight (each applies the newest total before it lets go).
     */
    @Test
    void theBoundComesBackWhenFillsEndOnTwoThreadsAtOnce() throws Exception {
        long max = 8L << 20;
        MemoryStorage m = new MemoryStorage(max, 2L << 20, clock, Duration.ofHours(1), Runnable::run);
        ObjectWriter a = m.writer(entry("/a", "", 600_000));
        ObjectWriter b = m.writer(entry("/b", "", 600_000));
        a.write(ByteBuffer.wrap(new byte[600_000]));
        b.write(ByteBuffer.wrap(new byte[600_000]));
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        m.onFillRoom(() -> {
            if (first.getAndSet(false)) { // the first to apply has read the total with b still in flight
                holding.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Thread endsA = new Thread(() -> a.commit().join());
        endsA.start();
        holding.await();
        Thread endsB = new Thread(() -> b.commit().join());
        endsB.start();
        while (endsB.isAlive() && endsB.getState() != Thread.State.BLOCKED) {
            Thread.onSpinWait(); // b's end applies at once, or waits for a's to finish applying
        }
        release.countDown();
        endsA.join(10_000);
        endsB.join(10_000);
        assertEquals(0, m.fillingBytes());
        assertEquals(max, m.boundBytes(), "no fill in flight: the whole bound, not the one a read before b ended");
    }

    @Test
    void byteBoundIsKeptWhileObjectsKeepFlowing() {
        MemoryStorage small = new MemoryStorage(1L << 20, 256 * 1024, clock, Duration.ofHours(1), Runnable::run);
        for (int i = 0; i < 200; i++) {
            CacheEntry e = new CacheEntry(new CacheKey("site.example", "/o" + i), "", List.of(), 200,
                    HeaderFields.EMPTY, clock.instant(), clock.instant(), 0,
                    new Reuse.Policy(3600, 0, 0, false, false, false), -1, false);
            small.put(e, new byte[16 * 1024]);
        }
        small.cleanUp();
        assertTrue(small.byteSize() <= 1L << 20, "bytes " + small.byteSize());
        assertTrue(small.stats().evictionCount() > 0);
        assertEquals(small.entryCount(), small.scheduledDeadlines(), "evicted keys took their deadlines along");
    }

    @Test
    void entryExpiresOnceItCanServeNothing() {
        MemoryStorage m = (MemoryStorage) storage;
        CacheEntry noValidator = new CacheEntry(new CacheKey("site.example", "/short"), "", List.of(), 200,
                HeaderFields.EMPTY, clock.instant(), clock.instant(), 0,
                new Reuse.Policy(10, 20, 0, false, false, false), -1, false);
        m.put(noValidator, new byte[10]);
        clock.advance(Duration.ofSeconds(29));
        assertEquals(1, m.lookupInMemory(noValidator.key()).size(), "still inside stale-while-revalidate");
        clock.advance(Duration.ofSeconds(2));
        m.cleanUp();
        assertTrue(m.lookupInMemory(noValidator.key()).isEmpty(), "fresh 10s + swr 20s are over and no validator");
    }

    @Test
    void staleEntryWithValidatorIsKeptForRevalidation() {
        MemoryStorage m = (MemoryStorage) storage;
        CacheEntry withEtag = new CacheEntry(new CacheKey("site.example", "/etag"), "", List.of(), 200,
                HeaderFields.of("ETag", "\"x\""), clock.instant(), clock.instant(), 0,
                new Reuse.Policy(10, 0, 0, false, false, false), -1, false);
        m.put(withEtag, new byte[10]);
        clock.advance(Duration.ofMinutes(30));
        assertEquals(1, m.lookupInMemory(withEtag.key()).size());
        clock.advance(Duration.ofMinutes(31));
        m.cleanUp();
        assertTrue(m.lookupInMemory(withEtag.key()).isEmpty());
    }

    private CacheEntry living(String path, long seconds) {
        return new CacheEntry(new CacheKey("site.example", path), "", List.of(), 200, HeaderFields.EMPTY,
                clock.instant(), clock.instant(), 0, new Reuse.Policy(seconds, 0, 0, false, false, false), -1, false);
    }

    /**
     * Past its deadline a key is hidden by the next lookup at once, before any sweep (as Caffeine's expiry
     * did); that lookup starts the sweep which removes it, and the removal counts as an eviction.
     */
    @Test
    void aLookupHidesAnExpiredKeyAtOnceAndStartsTheSweepThatRemovesIt() {
        List<Runnable> maintenance = new ArrayList<>();
        MemoryStorage m = new MemoryStorage(8L << 20, 1L << 20, clock, Duration.ofHours(1), maintenance::add);
        CacheEntry e = living("/ten-seconds", 10);
        m.put(e, new byte[10]);
        runAll(maintenance);
        clock.advance(Duration.ofSeconds(10));

        assertTrue(m.lookupInMemory(e.key()).isEmpty(), "fresh for 10 s, no stale window, no validator");
        assertEquals(1, m.entryCount(), "not removed by the lookup itself");
        runAll(maintenance);
        assertEquals(0, m.entryCount(), "removed by the sweep the lookup started");
        assertEquals(1, m.evictions());
        assertEquals(0, m.byteSize());
    }

    private static void runAll(List<Runnable> tasks) {
        while (!tasks.isEmpty()) {
            List<Runnable> now = new ArrayList<>(tasks);
            tasks.clear();
            now.forEach(Runnable::run);
        }
    }

    /**
     * A write to a key past its deadline but not swept yet starts afresh: the expired variants do not come
     * back with the new one (Caffeine's expiry gave a write no expired value either).
     */
    @Test
    void aWriteToAnExpiredUnsweptKeyDoesNotReviveItsVariants() {
        List<Runnable> maintenance = new ArrayList<>(); // never run: nothing is swept
        MemoryStorage m = new MemoryStorage(8L << 20, 1L << 20, clock, Duration.ofHours(1), maintenance::add);
        m.put(entry("/k", "lang=de", -1), new byte[10]); // fresh 60 s, then kept 1 h for its ETag
        clock.advance(Duration.ofHours(3));
        m.put(entry("/k", "lang=fr", -1), new byte[20]);
        List<StoredObject> found = m.lookupInMemory(new CacheKey("site.example", "/k"));
        assertEquals(1, found.size());
        assertEquals("lang=fr", found.get(0).entry().variantKey());
        assertEquals(1, m.entryCount());
        assertEquals(1, m.evictions(), "the expired set, counted once");
    }

    /** A key stored again keeps the new object's lifetime: the replaced object's deadline removes nothing. */
    @Test
    void aReplacedObjectsDeadlineDoesNotExpireItsSuccessor() {
        MemoryStorage m = (MemoryStorage) storage;
        m.put(living("/k", 10), new byte[10]);
        m.put(living("/k", 3600), new byte[20]);
        clock.advance(Duration.ofSeconds(11));
        m.cleanUp();
        List<StoredObject> found = m.lookupInMemory(new CacheKey("site.example", "/k"));
        assertEquals(1, found.size());
        assertEquals(20, found.get(0).body().length(), "the second object");
        assertEquals(0, m.evictions());
    }

    /** Each stored key has one deadline however often it is stored again or given variants; none once removed. */
    @Test
    void oneDeadlinePerKeyHeld() {
        MemoryStorage m = (MemoryStorage) storage;
        for (int i = 0; i < 50; i++) {
            m.put(living("/k", 60 + i), new byte[10]);
            m.put(entry("/v", "lang" + i, -1), new byte[1]);
        }
        m.put(living("/gone", 60), new byte[1]);
        m.remove(new CacheKey("site.example", "/gone")).join();
        assertEquals(2, m.scheduledDeadlines());
        m.close();
        assertEquals(0, m.scheduledDeadlines());
    }

    /**
     * Many keys due at once are removed a batch per hit, not all on one request's thread; a miss does
     * not sweep (it reads no clock), the write that follows it does.
     */
    @Test
    void aMassExpiryIsSpreadOverHitsAndWrites() {
        MemoryStorage m = (MemoryStorage) storage;
        int keys = MemoryStorage.EXPIRY_BATCH * 3 + 10;
        for (int i = 0; i < keys; i++) {
            m.put(living("/o" + i, 10), new byte[1]);
        }
        CacheEntry longLived = living("/long-lived", 3600);
        m.put(longLived, new byte[1]);
        clock.advance(Duration.ofSeconds(10));

        assertTrue(m.lookupInMemory(new CacheKey("site.example", "/never-stored")).isEmpty());
        assertEquals(keys + 1, m.entryCount(), "a miss sweeps nothing");
        assertEquals(1, m.lookupInMemory(longLived.key()).size());
        assertEquals(keys + 1 - MemoryStorage.EXPIRY_BATCH, m.entryCount(), "one batch per hit");
        m.lookupInMemory(longLived.key());
        assertEquals(keys + 1 - 2 * MemoryStorage.EXPIRY_BATCH, m.entryCount());
        m.put(living("/written", 3600), new byte[1]);
        assertEquals(12, m.entryCount(), "and one per write: 10 due left, the long-lived key and the new one");
        m.lookupInMemory(longLived.key());
        assertEquals(2, m.entryCount());
        assertEquals(keys, m.evictions());
    }

    private CacheEntry taggedEntry(String path, String tags, long lifetime) {
        return new CacheEntry(new CacheKey("site.example", path), "", List.of(), 200,
                HeaderFields.of("Surrogate-Key", tags), clock.instant(), clock.instant(), 0,
                new Reuse.Policy(lifetime, 0, 0, false, false, false), -1, false);
    }

    /** The tag index never keeps keys the tier no longer holds: evicted, expired, removed or retagged. */
    @Test
    void tagIndexFollowsEvictionExpiryAndRemoval() {
        MemoryStorage small = new MemoryStorage(1L << 20, 256 * 1024, clock, Duration.ofHours(1), Runnable::run);
        for (int i = 0; i < 200; i++) {
            small.put(taggedEntry("/o" + i, "all o" + i, 3600), new byte[16 * 1024]);
        }
        small.cleanUp();
        assertTrue(small.stats().evictionCount() > 0);
        assertEquals(small.entryCount() * 2, small.taggedKeyCount(), "two tags per object still held");
        assertEquals(small.entryCount(), (long) small.purge(new dev.outpost.edge.cache.Purge.Tag("all", null, true))
                .join());
        clock.advance(Duration.ofHours(2));
        small.cleanUp();
        assertEquals(0, small.entryCount());
        assertEquals(0, small.taggedKeyCount(), "expired objects left the index");

        small.put(taggedEntry("/x", "a b", 60), new byte[1]);
        small.put(taggedEntry("/x", "b c", 60), new byte[1]);
        assertEquals(2, small.taggedKeyCount(), "replaced: tags b and c");
        small.remove(new CacheKey("site.example", "/x")).join();
        assertEquals(0, small.taggedKeyCount());
    }

    @Test
    void variantsPerKeyAreCapped() {
        MemoryStorage m = (MemoryStorage) storage;
        for (int i = 0; i < MemoryStorage.MAX_VARIANTS + 5; i++) {
            m.put(entry("/v", "lang" + i, -1), new byte[1]);
        }
        assertEquals(MemoryStorage.MAX_VARIANTS, m.lookupInMemory(new CacheKey("site.example", "/v")).size());
    }

    /**
     * Issue 4: all (per host or global, hard or soft) is O(1): over 100k stored variants a purge of
     * everything looks at none of them (counted by the purge code itself), and still takes effect.
     */
    @Test
    void purgesOfEverythingVisitNoStoredObject() {
        MemoryStorage big = new MemoryStorage(1L << 30, 1L << 20, clock, Duration.ofHours(1), Runnable::run);
        try {
            for (int i = 0; i < 100_000; i++) {
                String host = i % 2 == 0 ? "site.example" : "other.example";
                CacheEntry e = new CacheEntry(new CacheKey(host, "/o" + i), "", List.of(), 200, HeaderFields.EMPTY,
                        clock.instant(), clock.instant(), 0, new Reuse.Policy(3600, 0, 0, false, false, false), 1,
                        false);
                assertTrue(big.put(e, new byte[] {1}));
            }
            assertEquals(100_000, big.entryCount());
            big.purge(new dev.outpost.edge.cache.Purge.All("site.example", true)).join();
            big.purge(new dev.outpost.edge.cache.Purge.All("other.example", false)).join();
            big.purge(new dev.outpost.edge.cache.Purge.All(null, true)).join();
            big.purge(new dev.outpost.edge.cache.Purge.All(null, false)).join();
            assertEquals(0, big.purgeVisits(), "no stored variant was looked at");
            assertTrue(big.lookupInMemory(new CacheKey("site.example", "/o0")).isEmpty());
            assertTrue(big.lookupInMemory(new CacheKey("other.example", "/o1")).isEmpty());
            big.purge(new dev.outpost.edge.cache.Purge.Url(new CacheKey("site.example", "/o2"), false)).join();
            assertEquals(1, big.purgeVisits(), "the counter does count: a url purge looks at its variant");
        } finally {
            big.close();
        }
    }

    @Test
    void exhaustedDirectMemoryDropsTheObjectCountsItLogsOnceAndRecovers() {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                MemoryStorage.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            MemoryStorage memory = (MemoryStorage) storage;
            memory.allocateDirectWith(n -> {
                throw new OutOfMemoryError("Cannot reserve " + n + " bytes of direct buffer memory");
            });
            assertFalse(store(entry("/a", "", -1), new byte[100_000], new byte[50_000]), "streamed");
            assertFalse(memory.put(entry("/b", "", -1), new byte[10]), "put (promotion)");
            assertEquals(2, memory.writeFailures());
            assertTrue(storage.lookup(new CacheKey("site.example", "/a")).join().isEmpty());
            assertEquals(0, storage.entryCount());
            assertEquals(0, storage.byteSize());
            assertEquals(1, lines.list.stream().filter(e -> e.getFormattedMessage().contains(
                    "direct memory is exhausted")).count(), "logged once");

            memory.allocateDirectWith(ByteBuffer::allocateDirect);
            assertTrue(store(entry("/a", "", -1), new byte[100_000]));
            assertTrue(store(entry("/c", "", -1), new byte[10]));
            assertEquals(2, storage.entryCount());
            assertEquals(1, lines.list.stream().filter(e -> e.getFormattedMessage().contains(
                    "direct memory available again")).count(), "the recovery is logged once");
            assertEquals(2, memory.writeFailures());
        } finally {
            log.detachAppender(lines);
        }
    }
}
