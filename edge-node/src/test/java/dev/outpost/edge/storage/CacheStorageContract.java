package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link CacheStorage} keeps (ARCHITECTURE §3). Each tier's test extends this
 * and supplies a fresh, empty storage.
 */
public abstract class CacheStorageContract {

    protected final MutableClock clock = MutableClock.startingNow();
    protected CacheStorage storage;

    /** A fresh storage with room for at least 8 MiB and objects of at least 1 MiB. */
    protected abstract CacheStorage newStorage(MutableClock clock);

    @BeforeEach
    void open() {
        storage = newStorage(clock);
    }

    @AfterEach
    void closeStorage() {
        storage.close();
    }

    protected CacheEntry entry(String path, String variantKey, long length) {
        Instant now = clock.instant();
        return new CacheEntry(new CacheKey("site.example", path), variantKey, variantKey.isEmpty() ? List.of()
                : List.of("accept-language"), 200, HeaderFields.of("Content-Type", "text/plain", "ETag", "\"v1\""),
                now, now, 0, new Reuse.Policy(60, 0, 0, false, false, false), length, false);
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected boolean store(CacheEntry e, byte[]... chunks) {
        ObjectWriter w = storage.writer(e);
        for (byte[] c : chunks) {
            w.write(ByteBuffer.wrap(c));
        }
        return w.commit().join();
    }

    protected static byte[] read(StoredObject o, long first, long last) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (StoredBody.Reader r = o.body().open(first, last)) {
            for (ByteBuffer b = r.next().join(); b != null; b = r.next().join()) {
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                out.writeBytes(copy);
            }
        }
        return out.toByteArray();
    }

    private List<StoredObject> lookup(String path) {
        return storage.lookup(new CacheKey("site.example", path)).join();
    }

    @Test
    void lookupOfUnknownKeyIsEmpty() {
        assertTrue(lookup("/nothing").isEmpty());
    }

    @Test
    void committedObjectIsVisibleWithItsBody() {
        assertTrue(store(entry("/a", "", -1), bytes("hello "), bytes("world")));
        List<StoredObject> found = lookup("/a");
        assertEquals(1, found.size());
        assertEquals(11, found.get(0).body().length());
        assertEquals(11, found.get(0).entry().bodyLength());
        assertArrayEquals(bytes("hello world"), read(found.get(0), 0, 10));
        assertEquals(1, storage.entryCount());
        assertTrue(storage.byteSize() >= 11);
    }

    @Test
    void nothingIsVisibleBeforeCommit() {
        ObjectWriter w = storage.writer(entry("/a", "", -1));
        w.write(ByteBuffer.wrap(bytes("partial")));
        assertTrue(lookup("/a").isEmpty());
        w.commit().join();
        assertEquals(1, lookup("/a").size());
    }

    @Test
    void abortedWriteLeavesNothing() {
        ObjectWriter w = storage.writer(entry("/a", "", -1));
        w.write(ByteBuffer.wrap(bytes("partial")));
        w.abort();
        assertFalse(w.commit().join());
        assertTrue(lookup("/a").isEmpty());
    }

    @Test
    void bodyShorterThanDeclaredLengthIsNotStored() {
        assertFalse(store(entry("/a", "", 100), bytes("only a few bytes")));
        assertTrue(lookup("/a").isEmpty());
    }

    @Test
    void sameVariantIsReplaced() {
        store(entry("/a", "", -1), bytes("one"));
        store(entry("/a", "", -1), bytes("two"));
        List<StoredObject> found = lookup("/a");
        assertEquals(1, found.size());
        assertArrayEquals(bytes("two"), read(found.get(0), 0, 2));
    }

    @Test
    void variantsOfOneKeyAreKeptSideBySideNewestFirst() {
        store(entry("/a", "en", -1), bytes("hello"));
        store(entry("/a", "fr", -1), bytes("bonjour"));
        List<StoredObject> found = lookup("/a");
        assertEquals(2, found.size());
        assertEquals("fr", found.get(0).entry().variantKey());
        assertEquals("en", found.get(1).entry().variantKey());
    }

    @Test
    void updateEntryReplacesMetadataButKeepsBody() {
        store(entry("/a", "", -1), bytes("body"));
        CacheEntry old = lookup("/a").get(0).entry();
        CacheEntry updated = old.withHeadersAndPolicy(HeaderFields.of("ETag", "\"v1\"", "X-New", "1"), old.requestTime(),
                old.responseTime(), 5, new Reuse.Policy(600, 0, 0, false, false, false));
        assertTrue(storage.updateEntry(updated).join());
        StoredObject now = lookup("/a").get(0);
        assertEquals("1", now.entry().headers().first("X-New"));
        assertEquals(600, now.entry().policy().lifetimeSeconds());
        assertArrayEquals(bytes("body"), read(now, 0, 3));
    }

    @Test
    void updateComputedForAnOlderRepresentationIsNotApplied() {
        store(entry("/a", "", -1), bytes("one"));
        CacheEntry old = lookup("/a").get(0).entry();
        store(new CacheEntry(old.key(), "", List.of(), 200, HeaderFields.of("ETag", "\"v9\""), old.requestTime(),
                old.responseTime(), 0, old.policy(), -1, false), bytes("newer"));
        CacheEntry lateUpdate = old.withHeadersAndPolicy(HeaderFields.of("ETag", "\"v1\"", "X-Late", "1"),
                old.requestTime(), old.responseTime(), 0, old.policy());
        assertFalse(storage.updateEntry(lateUpdate).join());
        StoredObject now = lookup("/a").get(0);
        assertEquals("\"v9\"", now.entry().headers().first("ETag"));
        assertArrayEquals(bytes("newer"), read(now, 0, 4));
    }

    @Test
    void updateOfUnknownEntryReportsFalse() {
        assertFalse(storage.updateEntry(entry("/missing", "", 0)).join());
    }

    @Test
    void removeDropsEveryVariant() {
        store(entry("/a", "en", -1), bytes("hello"));
        store(entry("/a", "fr", -1), bytes("bonjour"));
        assertEquals(2, storage.remove(new CacheKey("site.example", "/a")).join());
        assertTrue(lookup("/a").isEmpty());
        assertEquals(0, storage.entryCount());
    }

    @Test
    void removeVariantDropsOnlyThatOne() {
        store(entry("/a", "en", -1), bytes("hello"));
        store(entry("/a", "fr", -1), bytes("bonjour"));
        assertTrue(storage.removeVariant(new CacheKey("site.example", "/a"), "en").join());
        List<StoredObject> found = lookup("/a");
        assertEquals(1, found.size());
        assertEquals("fr", found.get(0).entry().variantKey());
    }

    @Test
    void rangesReadOnlyTheRequestedBytesAcrossChunks() {
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 251);
        }
        store(entry("/big", "", big.length), java.util.Arrays.copyOfRange(big, 0, 100_000),
                java.util.Arrays.copyOfRange(big, 100_000, big.length));
        StoredObject o = lookup("/big").get(0);
        assertArrayEquals(java.util.Arrays.copyOfRange(big, 65_530, 200_011), read(o, 65_530, 200_010));
        assertArrayEquals(java.util.Arrays.copyOfRange(big, 299_999, 300_000), read(o, 299_999, 299_999));
    }

    @Test
    void emptyBodyIsStored() {
        assertTrue(store(entry("/empty", "", 0)));
        assertEquals(0, lookup("/empty").get(0).body().length());
    }

    @Test
    void keysDifferingOnlyInHostAreSeparate() {
        store(entry("/a", "", -1), bytes("one"));
        assertTrue(storage.lookup(new CacheKey("other.example", "/a")).join().isEmpty());
    }
}
