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
