package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
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

    /**
     * Closes {@link #storage} and opens the same store again, for storages that keep their objects
     * across a restart; null (the default) for those that do not.
     */
    protected CacheStorage restarted() {
        return null;
    }

    /**
     * Whether this storage's writers offer {@link ObjectWriter#growingBody() growing bodies} for objects of
     * known length (every tier does).
     */
    protected boolean offersGrowingBodies() {
        return true;
    }

    /**
     * Whether they offer them for objects of unknown length too (chunked responses: the disk tier and what stores
     * in it do; the memory tier does not, as such a body may turn out larger than it takes).
     */
    protected boolean offersGrowingBodiesOfUnknownLength() {
        return offersGrowingBodies();
    }

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

    /** What is at hand in memory is what a lookup returns, or nothing (a tier that always reads). */
    @Test
    void lookupInMemoryFindsWhatLookupFindsOrNothing() {
        assertTrue(store(entry("/m", "", -1), bytes("in memory?")));
        assertTrue(store(entry("/v", "de", -1), bytes("de")));
        assertTrue(store(entry("/v", "fr", -1), bytes("fr")));
        for (String path : List.of("/m", "/v")) {
            CacheKey key = new CacheKey("site.example", path);
            List<StoredObject> atHand = storage.lookupInMemory(key);
            if (!atHand.isEmpty()) {
                List<StoredObject> looked = storage.lookup(key).join();
                assertEquals(looked.stream().map(o -> o.entry().variantKey()).toList(),
                        atHand.stream().map(o -> o.entry().variantKey()).toList(), path);
                assertArrayEquals(read(looked.get(0), 0, looked.get(0).body().length() - 1),
                        read(atHand.get(0), 0, atHand.get(0).body().length() - 1), path);
            }
        }
        assertTrue(storage.lookupInMemory(new CacheKey("site.example", "/nothing")).isEmpty());
        storage.purge(new Purge.Url(new CacheKey("site.example", "/m"), false)).join();
        assertTrue(storage.lookupInMemory(new CacheKey("site.example", "/m")).isEmpty(), "purged");
    }

    @Test
    void aBodyHeldInMemoryIsViewedAsExactlyItsBytesOnceOrNotAtAll() {
        byte[] big = new byte[150_000]; // written in three parts: more than one chunk in any tier
        new java.util.Random(7).nextBytes(big);
        assertTrue(store(entry("/held", "", big.length), Arrays.copyOfRange(big, 0, 50_000),
                Arrays.copyOfRange(big, 50_000, 100_000), Arrays.copyOfRange(big, 100_000, 150_000)));
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Function<List<java.nio.ByteBuffer>, byte[]> concatenated = chunks -> {
            made.incrementAndGet();
            assertTrue(chunks.size() > 1, "the body was stored as several chunks: " + chunks.size());
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (java.nio.ByteBuffer chunk : chunks) {
                assertTrue(chunk.isReadOnly(), "the stored bytes cannot be changed through the view");
                byte[] b = new byte[chunk.remaining()];
                chunk.duplicate().get(b);
                out.writeBytes(b);
            }
            return out.toByteArray();
        };
        StoredObject found = lookup("/held").get(0);
        byte[] view = found.body().heldInMemoryAs(concatenated);
        if (view == null) {
            assertEquals(0, made.get(), "a body that must be read makes no view");
            return;
        }
        assertArrayEquals(big, view);
        assertSame(view, lookup("/held").get(0).body().heldInMemoryAs(concatenated), "made once, kept");
        assertEquals(1, made.get());
        assertArrayEquals(big, found.body().heldInMemoryAs(chunks -> concatenated.apply(chunks)),
                "another function gets its own view");
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
        store(entry("/big", "", big.length), Arrays.copyOfRange(big, 0, 100_000),
                Arrays.copyOfRange(big, 100_000, big.length));
        StoredObject o = lookup("/big").get(0);
        assertArrayEquals(Arrays.copyOfRange(big, 65_530, 200_011), read(o, 65_530, 200_010));
        assertArrayEquals(Arrays.copyOfRange(big, 299_999, 300_000), read(o, 299_999, 299_999));
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

    // ---------------------------------------------------------------- purge (ARCHITECTURE §4)

    /** An entry on {@code host} with tags in Surrogate-Key / Cache-Tag / Cache-Groups. */
    protected CacheEntry tagged(String host, String path, String variantKey, String surrogateKey, String cacheTag,
            String cacheGroups) {
        Instant now = clock.instant();
        HeaderFields.Builder h = HeaderFields.builder();
        h.add("Content-Type", "text/plain").add("ETag", "\"v1\"");
        if (surrogateKey != null) {
            h.add("Surrogate-Key", surrogateKey);
        }
        if (cacheTag != null) {
            h.add("Cache-Tag", cacheTag);
        }
        if (cacheGroups != null) {
            h.add("Cache-Groups", cacheGroups);
        }
        return new CacheEntry(new CacheKey(host, path), variantKey, variantKey.isEmpty() ? List.of()
                : List.of("accept-language"), 200, h.build(), now, now, 0,
                new Reuse.Policy(60, 0, 0, false, false, false), -1, false);
    }

    private List<StoredObject> lookupAt(String host, String path) {
        return storage.lookup(new CacheKey(host, path)).join();
    }

    private int purge(Purge p) {
        return storage.purge(p).join();
    }

    private void storeVariants() {
        store(entry("/a", "en", -1), bytes("en"));
        store(entry("/a", "de", -1), bytes("de"));
        store(entry("/b", "", -1), bytes("b"));
    }

    private static boolean allInvalidated(List<StoredObject> found) {
        return !found.isEmpty() && found.stream().allMatch(o -> o.entry().invalidated());
    }

    @Test
    void hardUrlPurgeRemovesEveryVariantOfThatUrlOnly() {
        storeVariants();
        assertEquals(2, purge(new Purge.Url(new CacheKey("site.example", "/a"), false)));
        assertTrue(lookup("/a").isEmpty());
        assertEquals(1, lookup("/b").size());
        assertFalse(lookup("/b").get(0).entry().invalidated());
        assertEquals(0, purge(new Purge.Url(new CacheKey("site.example", "/a"), false)), "idempotent");
    }

    @Test
    void softUrlPurgeInvalidatesEveryVariantAndKeepsBodies() {
        storeVariants();
        assertEquals(2, purge(new Purge.Url(new CacheKey("site.example", "/a"), true)));
        List<StoredObject> found = lookup("/a");
        assertEquals(2, found.size());
        assertTrue(allInvalidated(found));
        for (StoredObject o : found) {
            assertArrayEquals(bytes(o.entry().variantKey()), read(o, 0, 1));
        }
        assertFalse(lookup("/b").get(0).entry().invalidated());
        assertEquals(2, purge(new Purge.Url(new CacheKey("site.example", "/a"), true)), "idempotent");
        assertTrue(allInvalidated(lookup("/a")));
    }

    @Test
    void hardPrefixPurgeRemovesOnlyThatHostAndPrefix() {
        store(entry("/images/1.png", "en", -1), bytes("1"));
        store(entry("/images/1.png", "de", -1), bytes("1"));
        store(entry("/images/2.png", "", -1), bytes("2"));
        store(entry("/imagesque", "", -1), bytes("x"));
        store(tagged("other.example", "/images/1.png", "", null, null, null), bytes("o"));
        assertEquals(3, purge(new Purge.Prefix("site.example", "/images/", false)));
        assertTrue(lookup("/images/1.png").isEmpty());
        assertTrue(lookup("/images/2.png").isEmpty());
        assertEquals(1, lookup("/imagesque").size());
        assertEquals(1, lookupAt("other.example", "/images/1.png").size());
    }

    @Test
    void softPrefixPurgeInvalidatesOnlyThatHostAndPrefix() {
        store(entry("/images/1.png", "en", -1), bytes("1"));
        store(entry("/images/1.png", "de", -1), bytes("1"));
        store(entry("/imagesque", "", -1), bytes("x"));
        store(tagged("other.example", "/images/1.png", "", null, null, null), bytes("o"));
        assertEquals(2, purge(new Purge.Prefix("site.example", "/images/", true)));
        assertTrue(allInvalidated(lookup("/images/1.png")));
        assertFalse(lookup("/imagesque").get(0).entry().invalidated());
        assertFalse(lookupAt("other.example", "/images/1.png").get(0).entry().invalidated());
    }

    private void storeTagged() {
        store(tagged("site.example", "/sk", "en", "product-1 shelf", null, null), bytes("1"));
        store(tagged("site.example", "/sk", "de", "product-1 shelf", null, null), bytes("2"));
        store(tagged("site.example", "/ct", "", null, "shelf, product-2", null), bytes("3"));
        store(tagged("site.example", "/cg", "", null, null, "\"shelf\", \"product-3\""), bytes("4"));
        store(tagged("other.example", "/sk", "", "shelf", null, null), bytes("5"));
        store(tagged("site.example", "/untagged", "", null, null, null), bytes("6"));
    }

    @Test
    void hardTagPurgeRemovesEveryTaggedVariantFromEveryHeader() {
        storeTagged();
        assertEquals(2, purge(new Purge.Tag("product-1", null, false)));
        assertTrue(lookup("/sk").isEmpty());
        assertEquals(1, lookup("/ct").size());
        assertEquals(1, purge(new Purge.Tag("product-2", null, false)));
        assertTrue(lookup("/ct").isEmpty());
        assertEquals(1, purge(new Purge.Tag("product-3", null, false)));
        assertTrue(lookup("/cg").isEmpty());
        assertEquals(1, purge(new Purge.Tag("shelf", null, false)));
        assertTrue(lookupAt("other.example", "/sk").isEmpty());
        assertEquals(1, lookup("/untagged").size());
    }

    @Test
    void tagPurgeNarrowedByHostLeavesOtherHosts() {
        storeTagged();
        assertEquals(4, purge(new Purge.Tag("shelf", "site.example", false)));
        assertTrue(lookup("/sk").isEmpty());
        assertTrue(lookup("/ct").isEmpty());
        assertTrue(lookup("/cg").isEmpty());
        assertEquals(1, lookupAt("other.example", "/sk").size());
        assertEquals(1, lookup("/untagged").size());
    }

    @Test
    void softTagPurgeInvalidatesTaggedVariantsOnly() {
        storeTagged();
        assertEquals(5, purge(new Purge.Tag("shelf", null, true)));
        assertTrue(allInvalidated(lookup("/sk")));
        assertTrue(allInvalidated(lookup("/ct")));
        assertTrue(allInvalidated(lookup("/cg")));
        assertTrue(allInvalidated(lookupAt("other.example", "/sk")));
        assertFalse(lookup("/untagged").get(0).entry().invalidated());
    }

    @Test
    void hardPurgeOfEverythingRemovesEverything() {
        storeVariants();
        store(tagged("other.example", "/x", "", null, null, null), bytes("o"));
        assertEquals(4, purge(new Purge.All(null, false)));
        assertTrue(lookup("/a").isEmpty());
        assertTrue(lookup("/b").isEmpty());
        assertTrue(lookupAt("other.example", "/x").isEmpty());
        assertTrue(store(entry("/a", "", -1), bytes("new")), "storing works after a purge of everything");
        assertArrayEquals(bytes("new"), read(lookup("/a").get(0), 0, 2));
    }

    @Test
    void hardPurgeOfOneHostLeavesOtherHosts() {
        storeVariants();
        store(tagged("other.example", "/x", "", null, null, null), bytes("o"));
        store(tagged("site.example:8080", "/x", "", null, null, null), bytes("p"));
        assertTrue(purge(new Purge.All("site.example", false)) >= 3, "an upper bound: all is not counted per host");
        assertTrue(lookup("/a").isEmpty());
        assertTrue(lookup("/b").isEmpty());
        assertEquals(1, lookupAt("other.example", "/x").size());
        assertEquals(1, lookupAt("site.example:8080", "/x").size());
    }

    @Test
    void softPurgeOfEverythingInvalidatesEverything() {
        storeVariants();
        store(tagged("other.example", "/x", "", null, null, null), bytes("o"));
        assertEquals(4, purge(new Purge.All(null, true)));
        assertTrue(allInvalidated(lookup("/a")));
        assertTrue(allInvalidated(lookup("/b")));
        assertTrue(allInvalidated(lookupAt("other.example", "/x")));
    }

    @Test
    void softPurgeOfOneHostLeavesOtherHosts() {
        storeVariants();
        store(tagged("other.example", "/x", "", null, null, null), bytes("o"));
        assertTrue(purge(new Purge.All("site.example", true)) >= 3, "an upper bound: all is not counted per host");
        assertTrue(allInvalidated(lookup("/a")));
        assertTrue(allInvalidated(lookup("/b")));
        assertFalse(lookupAt("other.example", "/x").get(0).entry().invalidated());
    }

    @Test
    void tagPurgeFollowsTagsChangedByAnUpdate() {
        store(tagged("site.example", "/u", "", "old-tag", null, null), bytes("u"));
        CacheEntry stored = lookup("/u").get(0).entry();
        HeaderFields retagged = HeaderFields.of("Content-Type", "text/plain", "ETag", "\"v1\"", "Cache-Tag", "new-tag");
        assertTrue(storage.updateEntry(stored.withHeadersAndPolicy(retagged, stored.requestTime(),
                stored.responseTime(), 0, stored.policy())).join());
        assertEquals(0, purge(new Purge.Tag("old-tag", null, false)));
        assertEquals(1, lookup("/u").size());
        assertEquals(1, purge(new Purge.Tag("new-tag", null, false)));
        assertTrue(lookup("/u").isEmpty());
    }

    @Test
    void tagPurgeAfterRemovalAndReplacementFindsOnlyWhatIsStored() {
        store(tagged("site.example", "/r", "", "t", null, null), bytes("1"));
        storage.remove(new CacheKey("site.example", "/r")).join();
        store(tagged("site.example", "/r", "", "other", null, null), bytes("2"));
        assertEquals(0, purge(new Purge.Tag("t", null, false)));
        assertEquals(1, lookup("/r").size());
    }

    /** ARCHITECTURE §4: the tag index lives with the objects, so tag purges work after a restart. */
    @Test
    void tagsSurviveARestart() {
        storeTagged();
        CacheStorage again = restarted();
        assumeTrue(again != null, "this storage does not persist");
        storage = again;
        assertEquals(2, purge(new Purge.Tag("product-1", null, false)));
        assertTrue(lookup("/sk").isEmpty());
        assertEquals(2, purge(new Purge.Tag("shelf", "site.example", true)), "/ct and /cg are left on site.example");
        assertTrue(allInvalidated(lookup("/ct")));
        assertTrue(allInvalidated(lookup("/cg")));
        assertFalse(lookupAt("other.example", "/sk").get(0).entry().invalidated());
        assertEquals(1, purge(new Purge.Tag("product-3", null, false)));
        assertTrue(lookup("/cg").isEmpty());
    }

    @Test
    void softPurgedEntryCanBeRevalidatedBack() {
        store(entry("/a", "", -1), bytes("a"));
        purge(new Purge.Url(new CacheKey("site.example", "/a"), true));
        CacheEntry stored = lookup("/a").get(0).entry();
        CacheEntry refreshed = stored.withHeadersAndPolicy(stored.headers(), clock.instant(), clock.instant(), 0,
                stored.policy());
        assertTrue(storage.updateEntry(refreshed).join());
        assertFalse(lookup("/a").get(0).entry().invalidated());
    }

    // ---------------------------------------------------------------- purges of everything: markers

    /** Issue 4: all (per host or global) is O(1) through a marker; later writes are not affected. */
    @Test
    void objectsStoredAfterAPurgeOfEverythingAreNotAffected() {
        storeVariants();
        purge(new Purge.All("site.example", false));
        purge(new Purge.All(null, true));
        assertTrue(lookup("/a").isEmpty());
        assertTrue(store(entry("/a", "en", -1), bytes("new")));
        assertTrue(store(entry("/c", "", -1), bytes("c")));
        assertEquals(1, lookup("/a").size());
        assertFalse(lookup("/a").get(0).entry().invalidated());
        assertFalse(lookup("/c").get(0).entry().invalidated());
    }

    /** A fill whose writer was created before a purge of everything and committed after it is fenced. */
    @Test
    void aFillInFlightDuringAPurgeOfEverythingIsFenced() {
        ObjectWriter hard = storage.writer(entry("/in-flight-hard", "", -1));
        ObjectWriter soft = storage.writer(tagged("other.example", "/in-flight-soft", "", null, null, null));
        purge(new Purge.All("site.example", false));
        purge(new Purge.All("other.example", true));
        hard.write(ByteBuffer.wrap(bytes("old")));
        soft.write(ByteBuffer.wrap(bytes("old")));
        hard.commit().join();
        soft.commit().join();
        assertTrue(lookup("/in-flight-hard").isEmpty(), "hard: the fill predates the purge");
        assertTrue(allInvalidated(lookupAt("other.example", "/in-flight-soft")), "soft: stored invalidated");
    }

    @Test
    void softPurgeOfEverythingIsUndonePerObjectByARevalidation() {
        store(entry("/a", "", -1), bytes("a"));
        store(entry("/b", "", -1), bytes("b"));
        purge(new Purge.All(null, true));
        CacheEntry stored = lookup("/a").get(0).entry();
        assertTrue(stored.invalidated());
        assertTrue(storage.updateEntry(stored.withHeadersAndPolicy(stored.headers(), clock.instant(),
                clock.instant(), 0, stored.policy())).join());
        assertFalse(lookup("/a").get(0).entry().invalidated(), "revalidated after the purge");
        assertTrue(allInvalidated(lookup("/b")));
    }

    @Test
    void anUpdateDoesNotBringBackAnObjectRemovedByAPurgeOfEverything() {
        store(entry("/a", "", -1), bytes("a"));
        CacheEntry stored = lookup("/a").get(0).entry();
        purge(new Purge.All("site.example", false));
        assertFalse(storage.updateEntry(stored.withHeadersAndPolicy(stored.headers(), clock.instant(),
                clock.instant(), 0, stored.policy())).join());
        assertTrue(lookup("/a").isEmpty());
    }

    @Test
    void otherPurgesStillWorkOnObjectsCoveredByAMarker() {
        storeVariants();
        purge(new Purge.All("site.example", true));
        assertEquals(2, purge(new Purge.Url(new CacheKey("site.example", "/a"), true)), "found, invalidated already");
        assertEquals(2, purge(new Purge.Prefix("site.example", "/a", false)));
        assertTrue(lookup("/a").isEmpty());
        assertTrue(allInvalidated(lookup("/b")));
        purge(new Purge.All("site.example", false));
        assertEquals(0, purge(new Purge.Prefix("site.example", "/", false)), "gone already: not counted");
    }

    /** ARCHITECTURE §4: markers are kept with the objects, so they hold after a restart. */
    @Test
    void purgesOfEverythingHoldAfterARestart() {
        storeVariants();
        store(tagged("other.example", "/x", "", null, null, null), bytes("o"));
        store(tagged("third.example", "/y", "", null, null, null), bytes("t"));
        store(tagged("fourth.example", "/z", "", null, null, null), bytes("f"));
        purge(new Purge.All("site.example", false));
        purge(new Purge.All("other.example", true));
        purge(new Purge.All(null, true));
        CacheStorage again = restarted();
        assumeTrue(again != null, "this storage does not persist");
        storage = again;
        assertTrue(lookup("/a").isEmpty());
        assertTrue(lookup("/b").isEmpty());
        assertTrue(allInvalidated(lookupAt("other.example", "/x")));
        assertTrue(allInvalidated(lookupAt("third.example", "/y")));
        CacheEntry y = lookupAt("third.example", "/y").get(0).entry();
        assertTrue(storage.updateEntry(y.withHeadersAndPolicy(y.headers(), clock.instant(), clock.instant(), 0,
                y.policy())).join());
        assertTrue(store(entry("/a", "", -1), bytes("new")), "stored after the restart: newer than every marker");
        purge(new Purge.All("fourth.example", false));
        CacheStorage third = restarted();
        storage = third;
        assertFalse(lookup("/a").get(0).entry().invalidated());
        assertArrayEquals(bytes("new"), read(lookup("/a").get(0), 0, 2));
        assertFalse(lookupAt("third.example", "/y").get(0).entry().invalidated(), "its revalidation holds too");
        assertTrue(allInvalidated(lookupAt("other.example", "/x")));
        assertTrue(lookupAt("fourth.example", "/z").isEmpty());
    }

    // ---------------------------------------------------------------- growing bodies (ARCHITECTURE §1)

    /** 150,000 bytes: more than two 64 KiB chunks of the disk tier, with a partial last one. */
    private static byte[] growingPayload() {
        byte[] data = new byte[150_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + i / 251);
        }
        return data;
    }

    private static byte[] collect(List<CompletableFuture<ByteBuffer>> reads, StoredBody.Reader r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CompletableFuture<ByteBuffer> f : reads) {
            ByteBuffer b = f.orTimeout(10, TimeUnit.SECONDS).join();
            if (b == null) {
                return out.toByteArray(); // the end, read ahead of it
            }
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            out.writeBytes(copy);
        }
        for (ByteBuffer b = r.next().orTimeout(10, TimeUnit.SECONDS).join(); b != null;
                b = r.next().orTimeout(10, TimeUnit.SECONDS).join()) {
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            out.writeBytes(copy);
        }
        return out.toByteArray();
    }

    /**
     * A writer for {@code path} whose growing body is offered; or null, having checked that this storage
     * offers none (as it says), for storages that do not.
     */
    private ObjectWriter growingWriter(String path, long length) {
        ObjectWriter w = storage.writer(entry(path, "", length));
        if (!(length < 0 ? offersGrowingBodiesOfUnknownLength() : offersGrowingBodies())) {
            assertNull(w.growingBody(), "this storage says it offers no growing bodies for such objects");
            w.abort();
            return null;
        }
        return w;
    }

    @Test
    void aGrowingBodyReadsWhatIsWrittenAndWaitsForTheRest() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing", data.length);
        if (w == null) {
            return;
        }
        StoredBody growing = w.growingBody();
        assertEquals(data.length, growing.length());
        StoredBody.Reader r = growing.open(0, data.length - 1);
        CompletableFuture<ByteBuffer> first = r.next();
        assertFalse(first.isDone(), "nothing written yet");
        w.write(ByteBuffer.wrap(data, 0, 70_000));
        ByteBuffer firstChunk = first.orTimeout(10, TimeUnit.SECONDS).join();
        CompletableFuture<ByteBuffer> second = r.next();
        assertFalse(second.isDone(), "the second chunk is not complete yet");
        w.write(ByteBuffer.wrap(data, 70_000, data.length - 70_000));
        assertTrue(w.commit().join());
        byte[] rest = collect(List.of(second), r);
        r.close();
        byte[] all = new byte[data.length];
        int n = firstChunk.remaining();
        firstChunk.get(all, 0, n);
        System.arraycopy(rest, 0, all, n, rest.length);
        assertEquals(data.length, n + rest.length);
        assertArrayEquals(data, all);
        // after the commit, a new reader reads the stored bytes, as the stored object does
        try (StoredBody.Reader again = growing.open(0, data.length - 1)) {
            assertArrayEquals(data, collect(List.of(), again));
        }
        assertArrayEquals(data, read(lookup("/growing").get(0), 0, data.length - 1));
    }

    @Test
    void aRangeOfAGrowingBodyReadsOnlyThoseBytes() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing-range", data.length);
        if (w == null) {
            return;
        }
        StoredBody.Reader r = w.growingBody().open(100_000, 140_000);
        CompletableFuture<ByteBuffer> first = r.next();
        w.write(ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        assertArrayEquals(Arrays.copyOfRange(data, 100_000, 140_001), collect(List.of(first), r));
        r.close();
    }

    /** Reads end on multiples of GROWING_BODY_CHUNK of the body, so one tier's reads can take over another's. */
    @Test
    void aGrowingBodysReadsEndOnChunkBoundaries() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing-boundaries", data.length);
        if (w == null) {
            return;
        }
        StoredBody.Reader r = w.growingBody().open(10, data.length - 1);
        List<CompletableFuture<ByteBuffer>> reads = List.of(r.next(), r.next(), r.next(), r.next());
        w.write(ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        int chunk = ObjectWriter.GROWING_BODY_CHUNK;
        assertEquals(chunk - 10, reads.get(0).orTimeout(10, TimeUnit.SECONDS).join().remaining());
        assertEquals(chunk, reads.get(1).orTimeout(10, TimeUnit.SECONDS).join().remaining());
        assertEquals(data.length - 2 * chunk, reads.get(2).orTimeout(10, TimeUnit.SECONDS).join().remaining());
        assertNull(reads.get(3).orTimeout(10, TimeUnit.SECONDS).join());
        r.close();
    }

    @Test
    void readsAlongAFillThatIsGivenUpFailAsDropped() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing-aborted", data.length);
        if (w == null) {
            return;
        }
        StoredBody growing = w.growingBody();
        StoredBody.Reader r = growing.open(0, data.length - 1);
        CompletableFuture<ByteBuffer> parked = r.next();
        w.write(ByteBuffer.wrap(data, 0, 1000));
        w.abort();
        assertDropped(parked);
        try (StoredBody.Reader late = growing.open(0, data.length - 1)) {
            assertDropped(late.next());
        }
        assertTrue(lookup("/growing-aborted").isEmpty());
    }

    @Test
    void readsAlongAFillWhoseCommitFailsFailAsDropped() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing-short", data.length);
        if (w == null) {
            return;
        }
        StoredBody.Reader r = w.growingBody().open(0, data.length - 1);
        w.write(ByteBuffer.wrap(data, 0, 140_000));
        r.next().orTimeout(10, TimeUnit.SECONDS).join(); // chunk 0, put
        r.next().orTimeout(10, TimeUnit.SECONDS).join(); // chunk 1, put
        CompletableFuture<ByteBuffer> last = r.next();   // never complete: the body ends short
        assertFalse(w.commit().join(), "shorter than its declared length");
        assertDropped(last);
        r.close();
    }

    /** What a reader open at the commit reads survives the object's removal (a purge that overtook the fill). */
    @Test
    void readersOfAGrowingBodyReadItWholeThoughTheObjectIsRemovedAfterTheCommit() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing-removed", data.length);
        if (w == null) {
            return;
        }
        StoredBody.Reader r = w.growingBody().open(0, data.length - 1);
        CompletableFuture<ByteBuffer> first = r.next();
        w.write(ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        assertEquals(1, storage.remove(new CacheKey("site.example", "/growing-removed")).join());
        assertTrue(lookup("/growing-removed").isEmpty());
        assertArrayEquals(data, collect(List.of(first), r), "read whole after the removal");
        r.close();
    }

    @Test
    void closingTheStoreFailsReadsParkedAlongAFill() {
        ObjectWriter w = growingWriter("/growing-closed", 150_000);
        if (w == null) {
            return;
        }
        StoredBody.Reader r = w.growingBody().open(0, 149_999);
        CompletableFuture<ByteBuffer> parked = r.next();
        storage.close();
        assertDropped(parked);
        r.close();
        storage = newStorage(clock); // for closeStorage()
    }

    /** A chunked response: read chunk by chunk from any position, and the body ends where the commit says. */
    @Test
    void aGrowingBodyOfUnknownLengthEndsWithTheCommit() {
        byte[] data = growingPayload();
        ObjectWriter w = growingWriter("/growing-chunked", -1);
        if (w == null) {
            return;
        }
        StoredBody growing = w.growingBody();
        assertEquals(-1, growing.length());
        StoredBody.Reader whole = growing.open(0, Long.MAX_VALUE);
        StoredBody.Reader fromMiddle = growing.open(70_000, Long.MAX_VALUE);
        List<CompletableFuture<ByteBuffer>> ahead = List.of(whole.next(), whole.next(), whole.next(), whole.next());
        assertFalse(ahead.get(0).isDone(), "nothing written yet");
        w.write(ByteBuffer.wrap(data, 0, 100_000));
        w.write(ByteBuffer.wrap(data, 100_000, data.length - 100_000));
        assertTrue(w.commit().join());
        assertArrayEquals(data, collect(ahead, whole), "three chunks, then the end (read ahead of the commit)");
        assertArrayEquals(Arrays.copyOfRange(data, 70_000, data.length), collect(List.of(), fromMiddle));
        whole.close();
        fromMiddle.close();
    }

    private static void assertDropped(CompletableFuture<ByteBuffer> read) {
        CompletionException e = assertThrows(
                CompletionException.class,
                () -> read.orTimeout(10, TimeUnit.SECONDS).join());
        assertTrue(e.getCause() instanceof StoredBody.BodyDropped, "BodyDropped, not " + e.getCause());
    }
}
