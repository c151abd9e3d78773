package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.storage.memory.MemoryStorage;
import dev.outpost.edge.testing.MutableClock;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A fill in flight when a purge is issued must not bring the purged object back. */
class PurgeFencedStorageTest extends CacheStorageContract {

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        return new PurgeFencedStorage(new MemoryStorage(64L << 20, 8L << 20, clock));
    }

    private CacheEntry tagged(String path, String tag) {
        Instant now = clock.instant();
        return new CacheEntry(new CacheKey("site.example", path), "", List.of(), 200,
                HeaderFields.of("ETag", "\"1\"", "Surrogate-Key", tag), now, now, 0,
                new Reuse.Policy(60, 0, 0, false, false, false), -1, false);
    }

    private ObjectWriter started(CacheEntry e) {
        ObjectWriter w = storage.writer(e);
        w.write(ByteBuffer.wrap(bytes("old content")));
        return w;
    }

    private List<StoredObject> at(String path) {
        return storage.lookup(new CacheKey("site.example", path)).join();
    }

    @Test
    void hardPurgeIssuedDuringAFillRemovesWhatTheFillCommits() {
        ObjectWriter w = started(tagged("/a", "t"));
        storage.purge(new Purge.Tag("t", null, false)).join();
        assertFalse(w.commit().join());
        assertTrue(at("/a").isEmpty());
    }

    @Test
    void softPurgeIssuedDuringAFillInvalidatesWhatTheFillCommits() {
        ObjectWriter w = started(tagged("/a", "t"));
        storage.purge(new Purge.Prefix("site.example", "/", true)).join();
        assertTrue(w.commit().join());
        assertTrue(at("/a").get(0).entry().invalidated());
    }

    @Test
    void unrelatedPurgeLeavesTheFillAlone() {
        ObjectWriter w = started(tagged("/a", "t"));
        storage.purge(new Purge.Tag("other", null, false)).join();
        storage.purge(new Purge.Url(new CacheKey("site.example", "/b"), false)).join();
        assertTrue(w.commit().join());
        assertFalse(at("/a").get(0).entry().invalidated());
    }

    @Test
    void purgeBeforeTheFillStartedDoesNotAffectIt() {
        storage.purge(new Purge.All(null, false)).join();
        ObjectWriter w = started(tagged("/a", "t"));
        assertTrue(w.commit().join());
        assertEquals(1, at("/a").size());
    }

    @Test
    void aFillOlderThanEveryRetainedPurgeIsDroppedToBeSafe() {
        ObjectWriter w = started(tagged("/a", "t"));
        for (int i = 0; i <= PurgeFencedStorage.RETAINED; i++) {
            storage.purge(new Purge.Tag("other-" + i, null, false)).join();
        }
        assertFalse(w.commit().join());
        assertTrue(at("/a").isEmpty());
    }

    @Test
    void everyWriterMethodButCommitReachesTheRealWriter() {
        ObjectWriter w = storage.writer(entry("/big", "", 20L << 20));
        assertTrue(w.isAbandoned(), "over the object limit: the memory tier discards it");
        ObjectWriter ok = started(tagged("/a", "t"));
        assertFalse(ok.isAbandoned());
        ok.abort();
        assertTrue(ok.isAbandoned(), "abort and isAbandoned are delegated");
        assertFalse(ok.commit().join());
        assertTrue(at("/a").isEmpty());
    }
}
