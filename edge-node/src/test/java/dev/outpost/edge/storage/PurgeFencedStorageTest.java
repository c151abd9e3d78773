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

    /** A chunked body may turn out larger than the memory tier takes: its readers would be cut. */
    @Override
    protected boolean offersGrowingBodiesOfUnknownLength() {
        return false;
    }

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
        assertFalse(w.overtakenByPurge());
        storage.purge(new Purge.Tag("t", null, false)).join();
        assertTrue(w.overtakenByPurge(), "what it writes is not to be served (read along) as it is");
        assertFalse(w.commit().join());
        assertTrue(at("/a").isEmpty());
    }

    @Test
    void softPurgeIssuedDuringAFillInvalidatesWhatTheFillCommits() {
        ObjectWriter w = started(tagged("/a", "t"));
        storage.purge(new Purge.Prefix("site.example", "/", true)).join();
        assertTrue(w.overtakenByPurge(), "a soft purge too: it must be revalidated before it is served");
        assertTrue(w.commit().join());
        assertTrue(at("/a").get(0).entry().invalidated());
    }

    @Test
    void unrelatedPurgeLeavesTheFillAlone() {
        ObjectWriter w = started(tagged("/a", "t"));
        storage.purge(new Purge.Tag("other", null, false)).join();
        storage.purge(new Purge.Url(new CacheKey("site.example", "/b"), false)).join();
        assertFalse(w.overtakenByPurge());
        assertTrue(w.commit().join());
        assertFalse(at("/a").get(0).entry().invalidated());
    }

    @Test
    void purgeBeforeTheFillStartedDoesNotAffectIt() {
        storage.purge(new Purge.All(null, false)).join();
        ObjectWriter w = started(tagged("/a", "t"));
        assertFalse(w.overtakenByPurge());
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

    // ---------------------------------------------------------------- metadata updates (a 304 in flight)

    /** Stores /a, soft-purges it (as a revalidation would find it) and returns the entry as a 304 freshens it. */
    private CacheEntry storedThenFreshened() {
        assertTrue(started(tagged("/a", "t")).commit().join());
        CacheEntry e = at("/a").get(0).entry();
        return e.withHeadersAndPolicy(e.headers(), clock.instant(), clock.instant(), 0, e.policy());
    }

    @Test
    void softPurgeLandingWhileA304IsInFlightKeepsTheEntryInvalidated() {
        CacheEntry freshened = storedThenFreshened();
        CacheStorage.EntryUpdate update = storage.startEntryUpdate();
        storage.purge(new Purge.Tag("t", null, true)).join();
        assertTrue(update.apply(freshened).join());
        assertTrue(at("/a").get(0).entry().invalidated(), "the 304 predates the purge: still must revalidate");
    }

    @Test
    void hardPurgeLandingWhileA304IsInFlightKeepsTheEntryGoneEvenIfRefilled() {
        CacheEntry freshened = storedThenFreshened();
        CacheStorage.EntryUpdate update = storage.startEntryUpdate();
        storage.purge(new Purge.Url(new CacheKey("site.example", "/a"), false)).join();
        assertTrue(started(tagged("/a", "t")).commit().join(), "a new fill of the same representation");
        assertFalse(update.apply(freshened).join());
        assertTrue(at("/a").isEmpty(), "the late 304 removes rather than freshens");
    }

    @Test
    void a304WithoutPurgeInBetweenClearsAnEarlierInvalidation() {
        CacheEntry freshened = storedThenFreshened();
        storage.purge(new Purge.Tag("t", null, true)).join();
        CacheStorage.EntryUpdate update = storage.startEntryUpdate();
        storage.purge(new Purge.Tag("unrelated", null, true)).join();
        assertTrue(update.apply(freshened).join());
        assertFalse(at("/a").get(0).entry().invalidated(), "validated after the purge: fresh again");
    }
}
