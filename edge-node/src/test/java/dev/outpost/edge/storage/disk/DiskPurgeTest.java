package dev.outpost.edge.storage.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.testing.MutableClock;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Disk-specific purge behaviour: what survives a restart, what is deleted, accounting, large purges. */
class DiskPurgeTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.startingNow();
    private DiskStorage disk;

    @BeforeEach
    void open() throws Exception {
        disk = DiskStorage.open(tmp.resolve("store"), 64L << 20, 4L << 20, clock, Duration.ofHours(1));
    }

    @AfterEach
    void close() {
        disk.close();
    }

    private void reopen() throws Exception {
        disk.close();
        open();
    }

    private void store(String path, String variantKey, String surrogateKey, int size) {
        Instant now = clock.instant();
        HeaderFields h = surrogateKey == null ? HeaderFields.of("ETag", "\"1\"")
                : HeaderFields.of("ETag", "\"1\"", "Surrogate-Key", surrogateKey);
        CacheEntry e = new CacheEntry(new CacheKey("site.example", path), variantKey,
                variantKey.isEmpty() ? List.of() : List.of("accept-language"), 200, h, now, now, 0,
                new Reuse.Policy(600, 0, 0, false, false, false), size, false);
        ObjectWriter w = disk.writer(e);
        w.write(ByteBuffer.wrap(new byte[size]));
        assertTrue(w.commit().join());
    }

    private List<dev.outpost.edge.storage.StoredObject> lookup(String path) {
        return disk.lookup(new CacheKey("site.example", path)).join();
    }

    @Test
    void hardTagPurgeDeletesChunksAndAccountingAndSurvivesRestart() throws Exception {
        store("/a", "en", "t1", 200_000);
        store("/a", "de", "t1", 200_000);
        store("/b", "", "t2", 1000);
        disk.cleanUp();
        long bytesBefore = disk.byteSize();
        assertEquals(2, disk.purge(new Purge.Tag("t1", null, false)).join());
        disk.cleanUp();
        assertEquals(1, disk.entryCount());
        assertTrue(disk.byteSize() < bytesBefore - 400_000, "purged bytes are no longer accounted");
        assertEquals(1, disk.chunkKeyCount(), "the chunks of purged objects are deleted");
        assertEquals(1, disk.metaRecordCount());
        reopen();
        assertTrue(lookup("/a").isEmpty());
        assertEquals(1, lookup("/b").size());
    }

    @Test
    void softPurgeSurvivesRestart() throws Exception {
        store("/a", "en", "t1", 10);
        store("/a", "de", "t1", 10);
        store("/b", "", null, 10);
        assertEquals(2, disk.purge(new Purge.Tag("t1", null, true)).join());
        reopen();
        List<dev.outpost.edge.storage.StoredObject> a = lookup("/a");
        assertEquals(2, a.size());
        assertTrue(a.stream().allMatch(o -> o.entry().invalidated()));
        assertFalse(lookup("/b").get(0).entry().invalidated());
    }

    @Test
    void hardPurgeOfEverythingIsAGenerationBumpThatSurvivesRestart() throws Exception {
        store("/a", "", null, 10);
        store("/b", "", null, 10);
        long gen = disk.generation();
        assertEquals(2, disk.purge(new Purge.All(null, false)).join());
        assertEquals(gen + 1, disk.generation());
        reopen();
        assertTrue(lookup("/a").isEmpty());
        assertTrue(lookup("/b").isEmpty());
        assertEquals(0, disk.entryCount());
    }

    /** The tags family follows the objects: written with them, gone with them, whatever removes them. */
    @Test
    void tagIndexEntriesLiveAndDieWithTheirObjects() throws Exception {
        store("/a", "en", "t1 t2", 10);
        store("/a", "de", "t1", 10);
        store("/b", "", "t3", 10);
        assertEquals(4, disk.tagKeyCount(), "one entry per tag per variant");
        store("/b", "", "t4 t5", 10);
        assertEquals(5, disk.tagKeyCount(), "a newer version replaces the old one's tags");
        CacheEntry b = lookup("/b").get(0).entry();
        assertTrue(disk.updateEntry(b.withHeadersAndPolicy(HeaderFields.of("ETag", "\"1\"", "Surrogate-Key", "t6"),
                b.requestTime(), b.responseTime(), 0, b.policy())).join());
        assertEquals(4, disk.tagKeyCount(), "a 304 that changes the tags moves the entries");
        assertEquals(0, disk.purge(new Purge.Tag("t4", null, false)).join());
        assertEquals(1, disk.purge(new Purge.Tag("t6", null, true)).join());
        assertTrue(disk.removeVariant(new CacheKey("site.example", "/a"), "en").join());
        assertEquals(2, disk.tagKeyCount());
        assertEquals(1, disk.remove(new CacheKey("site.example", "/a")).join());
        assertEquals(1, disk.tagKeyCount());
        assertEquals(1, disk.purge(new Purge.Prefix("site.example", "/b", false)).join());
        assertEquals(0, disk.tagKeyCount());
    }

    @Test
    void expiredAndEvictedObjectsTakeTheirTagsAlong() throws Exception {
        disk.close();
        disk = DiskStorage.open(tmp.resolve("small"), 1L << 20, 512 * 1024, clock, Duration.ofHours(1));
        for (int i = 0; i < 8; i++) {
            store("/big/" + i, "", "big t" + i, 300_000); // over 1 MiB in all: some are evicted
        }
        disk.cleanUp();
        long kept = disk.entryCount();
        assertTrue(kept < 8, "eviction happened");
        assertEquals(kept * 2, disk.tagKeyCount());
        clock.advance(Duration.ofDays(1)); // everything expires (no stale window, grace 1h)
        disk.cleanUp();
        assertEquals(0, disk.entryCount());
        assertEquals(0, disk.tagKeyCount());
    }

    @Test
    void aGenerationBumpDropsEveryTagEntryAndSurvivesACrash() throws Exception {
        store("/a", "", "t1", 10);
        store("/b", "", "t1 t2", 10);
        assertEquals(2, disk.purge(new Purge.All(null, false)).join());
        disk.awaitWrites();
        assertEquals(0, disk.tagKeyCount());
        store("/c", "", "t1", 10);
        disk.closeAsIfCrashed();
        open();
        assertTrue(lookup("/a").isEmpty(), "the dropped generation is never served after a crash");
        assertTrue(lookup("/b").isEmpty());
        assertEquals(1, lookup("/c").size());
        assertEquals(1, disk.tagKeyCount());
        assertEquals(1, disk.purge(new Purge.Tag("t1", null, false)).join());
    }

    @Test
    void aStoreWithoutTagIndexIsIndexedAtOpen() throws Exception {
        store("/a", "en", "t1", 10);
        store("/a", "de", "t1 t2", 10);
        store("/b", "", null, 10);
        disk.forgetTagIndex();
        assertEquals(0, disk.tagKeyCount());
        reopen();
        assertEquals(3, disk.tagKeyCount());
        assertEquals(2, disk.purge(new Purge.Tag("t1", null, false)).join());
        assertTrue(lookup("/a").isEmpty());
        assertEquals(1, lookup("/b").size());
    }

    @Test
    void thePurgeSequenceIsKeptWithTheStore() throws Exception {
        assertEquals(-1, disk.purgeSequence(), "a new store has none");
        assertTrue(disk.recordPurgeSequence(41).join());
        assertTrue(disk.recordPurgeSequence(42).join());
        reopen();
        assertEquals(42, disk.purgeSequence());
        assertTrue(disk.recordPurgeSequence(43).join());
        disk.closeAsIfCrashed();
        open();
        assertEquals(43, disk.purgeSequence(), "kill -9 keeps what the OS has");
    }

    @Test
    void purgesLargerThanOneBatchApplyToEveryMatch() throws Exception {
        for (int i = 0; i < 2500; i++) {
            store("/many/" + i, "", null, 1);
        }
        store("/other", "", null, 1);
        assertEquals(2500, disk.purge(new Purge.Prefix("site.example", "/many/", true)).join());
        assertTrue(lookup("/many/2499").get(0).entry().invalidated());
        assertEquals(2500, disk.purge(new Purge.Prefix("site.example", "/many/", false)).join());
        assertTrue(lookup("/many/0").isEmpty());
        assertTrue(lookup("/many/1700").isEmpty());
        assertEquals(1, disk.entryCount());
        assertEquals(1, disk.metaRecordCount());
    }
}
