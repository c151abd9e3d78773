package dev.outpost.edge.storage.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.CacheStorageContract;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import dev.outpost.edge.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

class DiskStorageTest extends CacheStorageContract {

    @TempDir
    Path tmp;

    private final List<DiskStorage> extra = new ArrayList<>();

    private final Logger diskLog = (Logger) LoggerFactory.getLogger(DiskStorage.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    /** Captures what DiskStorage logs from now on. */
    private void captureLog() {
        logged.start();
        diskLog.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        diskLog.detachAppender(logged);
    }

    /** Lines logged at {@code level} that contain {@code text}. */
    private long loggedLines(Level level, String text) {
        return logged.list.stream().filter(e -> e.getLevel() == level && e.getFormattedMessage().contains(text))
                .count();
    }

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        return open(tmp.resolve("store"), 8L << 20, 1L << 20);
    }

    private DiskStorage open(Path dir, long maxSize, long maxObjectSize) {
        try {
            return DiskStorage.open(dir, maxSize, maxObjectSize, clock, Duration.ofHours(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected dev.outpost.edge.storage.CacheStorage restarted() {
        return reopen();
    }

    private DiskStorage disk() {
        return (DiskStorage) storage;
    }

    /**
     * A removed object's chunks stay while readers along its fill are still reading, and go with the last of
     * them; other objects' removals are not held up.
     */
    @Test
    void theChunksOfARemovedObjectWaitForItsReadersAlongTheFill() {
        byte[] data = pattern(3 * DiskStorage.CHUNK_SIZE, 9);
        ObjectWriter w = storage.writer(entry("/held", "", data.length));
        StoredBody growing = w.growingBody();
        StoredBody.Reader a = growing.open(0, data.length - 1);
        StoredBody.Reader b = growing.open(0, data.length - 1);
        w.write(java.nio.ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        assertTrue(store(entry("/other", "", 10), bytes("0123456789")));
        assertEquals(1, storage.remove(new CacheKey("site.example", "/held")).join());
        assertEquals(1, storage.remove(new CacheKey("site.example", "/other")).join());
        disk().awaitWrites();
        assertEquals(1, disk().deferredChunkDeletes(), "only the object being read");
        assertEquals(3, disk().chunkKeyCount(), "its three chunks, not the other's");
        a.close();
        disk().awaitWrites();
        assertEquals(3, disk().chunkKeyCount(), "one reader still reading");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (java.nio.ByteBuffer c = b.next().join(); c != null; c = b.next().join()) {
            byte[] copy = new byte[c.remaining()];
            c.get(copy);
            out.writeBytes(copy);
        }
        assertArrayEquals(data, out.toByteArray(), "read whole after the removal");
        b.close();
        disk().awaitWrites();
        assertEquals(0, disk().deferredChunkDeletes());
        assertEquals(0, disk().chunkKeyCount(), "gone with the last reader");
    }

    /**
     * The chunks of a removed object kept for its reader count against max-size: the store evicts others to make
     * room for them, so its bytes on the volume stay within the bound, and takes them back once the reader is done.
     */
    @Test
    void chunksKeptForAReaderCountAgainstTheBound() {
        storage.close();
        storage = open(tmp.resolve("bounded"), 1L << 20, 1L << 20);
        byte[] data = pattern(600_000, 13); // ten chunks; two such objects do not fit in 1 MiB
        assertTrue(store(entry("/read", "", data.length), data));
        StoredBody.Reader reading = lookup("/read").get(0).body().open(0, data.length - 1);
        assertEquals(1, storage.remove(new CacheKey("site.example", "/read")).join());
        disk().awaitWrites();
        assertEquals(600_000, disk().deferredChunkBytes());
        assertTrue(store(entry("/next", "", data.length), data));
        disk().byteSize(); // settles the index: the eviction runs
        disk().awaitWrites();
        assertTrue(disk().byteSize() <= 1L << 20, "within the bound: " + disk().byteSize());
        assertEquals(10, disk().chunkKeyCount(), "the kept object's chunks, not the new one's as well");
        assertTrue(lookup("/next").isEmpty(), "evicted to make room for the kept chunks");
        reading.close();
        disk().awaitWrites();
        assertEquals(0, disk().deferredChunkBytes());
        assertEquals(0, disk().chunkKeyCount());
        assertTrue(store(entry("/next", "", data.length), data));
        disk().byteSize();
        disk().awaitWrites();
        assertEquals(1, lookup("/next").size(), "the whole bound again once the reader is done");
    }

    /**
     * A kept object's bytes are counted once its removal is written and the index no longer holds it, never
     * twice: a purge (its index update comes at the end of its batch), a newer version, or a removal whose write
     * failed (the object stays stored) evict nothing that fits.
     */
    @Test
    void chunksKeptForAReaderAreNotCountedTwiceWhileTheirObjectIsStillIndexed() {
        storage.close();
        storage = open(tmp.resolve("counted-once"), 4L << 20, 2L << 20);
        byte[] body = pattern(900_000, 14);
        for (String path : List.of("/x", "/a", "/b", "/c")) {
            assertTrue(store(entry(path, "", body.length), body));
        }
        StoredBody.Reader reading = lookup("/x").get(0).body().open(0, body.length - 1);
        storage.purge(new Purge.Url(new CacheKey("site.example", "/x"), false)).join();
        assertSettled(900_000, "a purge", "/a", "/b", "/c");
        reading.close();
        disk().awaitWrites();
        assertEquals(0, disk().deferredChunkBytes());

        assertTrue(store(entry("/x", "", body.length), body));
        reading = lookup("/x").get(0).body().open(0, body.length - 1);
        disk().failNext(DiskStorage.Op.WRITE, 1); // the commit of a newer /x fails: nothing changes on disk
        assertFalse(store(entry("/x", "", 10), bytes("0123456789")));
        assertSettled(0, "a removal not written: nothing kept, nothing counted", "/x", "/a", "/b", "/c");
        assertTrue(store(entry("/x", "", 10), bytes("0123456789"))); // a newer version while /x is read
        assertSettled(900_000, "a newer version", "/a", "/b", "/c");
        reading.close();
        disk().awaitWrites();
        assertEquals(0, disk().deferredChunkBytes());
        assertEquals(0, disk().deferredChunkDeletes());
    }

    /** Once evictions and writes settle: {@code kept} bytes kept for readers, and every one of {@code stored} stored. */
    private void assertSettled(long kept, String after, String... stored) {
        disk().byteSize(); // settles the index: evictions run
        disk().awaitWrites();
        assertEquals(kept, disk().deferredChunkBytes(), after);
        for (String path : stored) {
            assertEquals(1, lookup(path).size(), path + " still stored after " + after);
        }
    }

    /** A chunked fill read along counts its committed bytes when kept for its readers, its last partial chunk too. */
    @Test
    void aKeptChunkedFillCountsItsCommittedBytes() {
        byte[] data = pattern(100_000, 15);
        ObjectWriter w = storage.writer(entry("/chunked-kept", "", -1));
        StoredBody.Reader r = w.growingBody().open(0, Long.MAX_VALUE);
        w.write(java.nio.ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        assertEquals(1, storage.remove(new CacheKey("site.example", "/chunked-kept")).join());
        disk().awaitWrites();
        assertEquals(100_000, disk().deferredChunkBytes());
        r.close();
        disk().awaitWrites();
        assertEquals(0, disk().deferredChunkBytes());
    }

    /** A fill of {@code data} through {@code tiers}, read along from the start, whose disk writes fail after two chunks. */
    private record FellOver(ObjectWriter writer, StoredBody.Reader reader,
            List<java.util.concurrent.CompletableFuture<java.nio.ByteBuffer>> reads) {

        /** Every read so far, and the rest up to {@code total} reads, joined. */
        byte[] readTo(int total) {
            while (reads.size() < total) {
                reads.add(reader.next());
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (var f : reads) {
                java.nio.ByteBuffer b = f.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                out.writeBytes(copy);
            }
            return out.toByteArray();
        }
    }

    /**
     * Writes {@code data} (300,000 bytes) through {@code tiers} with a reader along it: chunks 0 and 1 read from
     * the disk, then the disk's writes fail, chunk 2 is asked for, and the rest is written (not committed).
     */
    private FellOver fillThatTheDiskGivesUp(dev.outpost.edge.storage.TieredStorage tiers, String path, byte[] data) {
        ObjectWriter w = tiers.writer(entry(path, "", data.length));
        StoredBody.Reader r = w.growingBody().open(0, data.length - 1);
        List<java.util.concurrent.CompletableFuture<java.nio.ByteBuffer>> reads = new ArrayList<>();
        reads.add(r.next());
        reads.add(r.next());
        w.write(java.nio.ByteBuffer.wrap(data, 0, 140_000));
        reads.get(1).orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join(); // chunks 0 and 1, from the disk
        disk().failNext(DiskStorage.Op.WRITE, 1000);
        reads.add(r.next()); // chunk 2: parked on the disk, then memory's
        w.write(java.nio.ByteBuffer.wrap(data, 140_000, 160_000));
        return new FellOver(w, r, reads);
    }

    /**
     * With memory in front, readers along a fill the disk gives up part-way (here: its writes start failing after
     * two chunks) go on reading from the memory tier's copy: the whole body, not a cut response.
     */
    @Test
    void readersAlongAFillTheDiskGivesUpReadOnFromTheMemoryTier() {
        dev.outpost.edge.storage.memory.MemoryStorage hot =
                new dev.outpost.edge.storage.memory.MemoryStorage(8L << 20, 1L << 20, clock);
        byte[] data = pattern(300_000, 16);
        FellOver fill = fillThatTheDiskGivesUp(new dev.outpost.edge.storage.TieredStorage(hot, disk()), "/given-up",
                data);
        assertTrue(fill.writer().commit().join(), "stored by memory");
        disk().awaitWrites();
        assertTrue(lookup("/given-up").isEmpty(), "not by the disk");
        assertArrayEquals(data, fill.readTo(5), "read whole across the disk's copy and memory's");
        assertNull(fill.reader().next().join());
        fill.reader().close();
        disk().failNext(DiskStorage.Op.WRITE, 0);
        hot.close();
    }

    /**
     * A reader that fell over to memory's copy keeps it to the end, though memory stores the object (in a body file)
     * and it is then removed: the rest is read from the copy held for it, as memory's own readers would.
     */
    @Test
    void aReaderThatFellOverToMemoryKeepsItsCopyThroughARemoval() throws Exception {
        java.nio.file.Path files = java.nio.file.Files.createDirectories(tmp.resolve("memory-files"));
        dev.outpost.edge.storage.memory.MemoryStorage hot = new dev.outpost.edge.storage.memory.MemoryStorage(
                8L << 20, 1L << 20, clock, Duration.ofHours(1), Runnable::run,
                new dev.outpost.edge.storage.memory.MemoryStorage.BodyFiles(files, 1024));
        dev.outpost.edge.storage.TieredStorage tiers = new dev.outpost.edge.storage.TieredStorage(hot, disk());
        byte[] data = pattern(300_000, 17);
        FellOver fill = fillThatTheDiskGivesUp(tiers, "/fell-over", data);
        fill.reads().get(2).orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join(); // from memory
        assertTrue(fill.writer().commit().join(), "stored by memory");
        assertEquals(1, tiers.remove(new CacheKey("site.example", "/fell-over")).join());
        assertArrayEquals(data, fill.readTo(5), "read whole though memory dropped the object");
        fill.reader().close();
        assertEquals(0, hot.fileBytes(), "the copy held for the reader is freed with it");
        disk().failNext(DiskStorage.Op.WRITE, 0);
        hot.close();
    }

    /** A disk hit under way is not cut by a removal of its object: the chunks go when it is done. */
    @Test
    void aDiskHitUnderWayReadsTheWholeObjectThoughItIsRemoved() {
        byte[] data = pattern(3 * DiskStorage.CHUNK_SIZE, 12);
        assertTrue(store(entry("/hit", "", data.length), data));
        StoredObject hit = lookup("/hit").get(0);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (StoredBody.Reader r = hit.body().open(0, data.length - 1)) {
            java.nio.ByteBuffer first = r.next().join();
            byte[] copy = new byte[first.remaining()];
            first.get(copy);
            out.writeBytes(copy);
            assertEquals(1, storage.remove(new CacheKey("site.example", "/hit")).join()); // a purge, say
            disk().awaitWrites();
            assertTrue(lookup("/hit").isEmpty());
            assertEquals(3, disk().chunkKeyCount(), "kept for the reader");
            for (java.nio.ByteBuffer b = r.next().join(); b != null; b = r.next().join()) {
                copy = new byte[b.remaining()];
                b.get(copy);
                out.writeBytes(copy);
            }
        }
        assertArrayEquals(data, out.toByteArray(), "the whole object, not a cut response");
        disk().awaitWrites();
        assertEquals(0, disk().chunkKeyCount(), "gone once the reader is done");
        assertEquals(0, disk().deferredChunkDeletes());
    }

    /**
     * A removal whose batch fails removes nothing: the chunks it would have left to a reader stay with the
     * still-stored object when that reader is done, and after a restart.
     */
    @Test
    void aFailedRemovalLeavesTheObjectWholeAfterItsReaderIsDone() {
        byte[] v1 = pattern(3 * DiskStorage.CHUNK_SIZE, 21);
        assertTrue(store(entry("/a", "", v1.length), v1));
        StoredBody.Reader r = lookup("/a").get(0).body().open(0, v1.length - 1);
        disk().failNext(DiskStorage.Op.WRITE, 1); // the commit of v2, which would replace v1, fails
        assertFalse(store(entry("/a", "", 10), bytes("0123456789")));
        disk().awaitWrites();
        r.close();
        disk().awaitWrites();
        assertEquals(0, disk().deferredChunkDeletes());
        assertEquals(3, disk().chunkKeyCount(), "v1 is still stored, with its chunks");
        assertArrayEquals(v1, read(lookup("/a").get(0), 0, v1.length - 1));
        reopen();
        assertArrayEquals(v1, read(lookup("/a").get(0), 0, v1.length - 1), "and after a restart");
    }

    /** A stop (or crash) while the chunks wait for readers: the next start collects them. */
    @Test
    void chunksWaitingForReadersWhenTheStoreStopsAreCollectedAtTheNextStart() {
        byte[] data = pattern(2 * DiskStorage.CHUNK_SIZE, 4);
        ObjectWriter w = storage.writer(entry("/held", "", data.length));
        StoredBody.Reader open = w.growingBody().open(0, data.length - 1);
        w.write(java.nio.ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        assertEquals(1, storage.remove(new CacheKey("site.example", "/held")).join());
        disk().awaitWrites();
        assertEquals(2, disk().chunkKeyCount());
        storage = reopen(); // the reader is still open
        open.close();
        assertEquals(0, disk().chunkKeyCount(), "collected at the start through the intent");
        assertTrue(lookup("/held").isEmpty());
    }

    /** Counts the chunk reads (RocksDB gets of body chunks) from now on. */
    private java.util.concurrent.atomic.AtomicInteger countChunkReads() {
        java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();
        disk().measureLatency(new DiskStorage.LatencyListener() {
            @Override
            public void chunkRead(long nanos) {
                gets.incrementAndGet();
            }

            @Override
            public void chunkWrite(long nanos) {
            }
        });
        return gets;
    }

    /** A crowd reading one fill along costs one chunk read a chunk, not one a reader. */
    @Test
    void readersAlongAFillShareEachChunkRead() {
        int c = DiskStorage.CHUNK_SIZE;
        byte[] body = pattern(3 * c, 5);
        java.util.concurrent.atomic.AtomicInteger gets = countChunkReads();
        ObjectWriter w = storage.writer(entry("/crowd", "", body.length));
        StoredBody growing = w.growingBody();
        List<StoredBody.Reader> readers = new java.util.ArrayList<>();
        List<java.util.concurrent.CompletableFuture<java.nio.ByteBuffer>> firsts = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            StoredBody.Reader r = growing.open(0, body.length - 1);
            readers.add(r);
            firsts.add(r.next()); // all parked at chunk 0
        }
        w.write(java.nio.ByteBuffer.wrap(body));
        assertTrue(w.commit().join());
        for (int i = 0; i < readers.size(); i++) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.nio.ByteBuffer b = firsts.get(i).join();
            for (; b != null; b = readers.get(i).next().join()) {
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                out.writeBytes(copy);
            }
            assertArrayEquals(body, out.toByteArray());
            readers.get(i).close();
        }
        assertEquals(3, gets.get(), "three chunks read once each for twenty readers");
    }

    /** A read that failed is not handed to later readers: they read again. */
    @Test
    void aFailedChunkReadIsNotSharedWithLaterReaders() {
        byte[] data = pattern(DiskStorage.CHUNK_SIZE + 10, 2);
        ObjectWriter w = storage.writer(entry("/retry", "", data.length));
        StoredBody growing = w.growingBody();
        w.write(java.nio.ByteBuffer.wrap(data));
        assertTrue(w.commit().join());
        disk().failNext(DiskStorage.Op.READ, 1);
        try (StoredBody.Reader first = growing.open(0, data.length - 1);
                StoredBody.Reader later = growing.open(0, data.length - 1)) { // both open: chunks are shared
            assertTrue(first.next().handle((b, err) -> err != null).join(), "the injected failure");
            java.nio.ByteBuffer b = later.next().join();
            assertEquals(DiskStorage.CHUNK_SIZE, b.remaining(), "read again, not the cached failure");
        }
    }

    /** Writes one key of the default family of the closed store at {@code dir} straight through RocksDB. */
    private static void putRaw(Path dir, byte[] key, byte[] value) throws Exception {
        try (DBOptions options = new DBOptions()) {
            List<ColumnFamilyDescriptor> cfs = List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                    new ColumnFamilyDescriptor(Keys.ascii(DiskStorage.CF_META)),
                    new ColumnFamilyDescriptor(Keys.ascii(DiskStorage.CF_CHUNKS)),
                    new ColumnFamilyDescriptor(Keys.ascii(DiskStorage.CF_TAGS)));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.open(options, dir.toString(), cfs, handles)) {
                db.put(handles.get(0), key, value);
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
    }

    /** Closes the current store and opens the same directory again. */
    private DiskStorage reopen() {
        storage.close();
        storage = open(tmp.resolve("store"), 8L << 20, 1L << 20);
        return disk();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed + (i >>> 16));
        }
        return b;
    }

    private List<StoredObject> lookup(String path) {
        return storage.lookup(new CacheKey("site.example", path)).join();
    }

    private CacheEntry entryWithPolicy(String path, HeaderFields headers, Reuse.Policy policy) {
        return new CacheEntry(new CacheKey("site.example", path), "", List.of(), 200, headers, clock.instant(),
                clock.instant(), 0, policy, -1, false);
    }

    @Test
    void survivesCloseAndReopenWithIdenticalEntriesBodiesAndAges() {
        byte[] big = pattern(200_000, 1);
        store(entry("/big", "", big.length), big);
        store(entry("/v", "en", -1), bytes("hello"));
        store(entry("/v", "fr", -1), bytes("bonjour"));
        store(entry("/empty", "", 0));
        clock.advance(Duration.ofSeconds(7));
        CacheEntry v = lookup("/v").get(1).entry();
        assertTrue(storage.updateEntry(v.withHeadersAndPolicy(HeaderFields.of("ETag", "\"v1\"", "X-Caf\u00e9",
                "\u00e9t\u00e9"), v.requestTime(), v.responseTime(), 4, new Reuse.Policy(600, 0, 0, false, false, false))
                .asInvalidated()).join());
        List<List<StoredObject>> before = List.of(lookup("/big"), lookup("/v"), lookup("/empty"));
        List<byte[]> bodiesBefore = new ArrayList<>();
        before.forEach(l -> l.forEach(o -> bodiesBefore.add(read(o, 0, o.body().length() - 1))));
        disk().cleanUp();
        long bytes = storage.byteSize();
        long count = storage.entryCount();

        DiskStorage again = reopen();

        assertEquals(4, again.rebuiltEntries());
        assertEquals(bytes, again.byteSize());
        assertEquals(count, again.entryCount());
        List<List<StoredObject>> after = List.of(lookup("/big"), lookup("/v"), lookup("/empty"));
        int n = 0;
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).size(), after.get(i).size());
            for (int j = 0; j < before.get(i).size(); j++) {
                StoredObject b = before.get(i).get(j);
                StoredObject a = after.get(i).get(j);
                assertEquals(b.entry(), a.entry());
                assertEquals(StoredObject.Tier.DISK, a.tier());
                assertEquals(b.entry().currentAge(clock.instant()), a.entry().currentAge(clock.instant()));
                assertArrayEquals(bodiesBefore.get(n++), read(a, 0, a.body().length() - 1));
            }
        }
        assertArrayEquals(big, read(after.get(0).get(0), 0, big.length - 1));
        assertEquals("fr", after.get(1).get(0).entry().variantKey(), "newest first");
        assertTrue(after.get(1).get(1).entry().invalidated());
        assertEquals("\u00e9t\u00e9", after.get(1).get(1).entry().headers().first("X-Caf\u00e9"));
        assertEquals(11, after.get(1).get(1).entry().currentAge(clock.instant()), "Age continues from stored times");
    }

    @Test
    void uncommittedWriterLeavesNothingAfterReopenAndItsChunksAreCollected() {
        store(entry("/kept", "", -1), bytes("kept"));
        ObjectWriter w = storage.writer(entry("/partial", "", -1));
        w.write(ByteBuffer.wrap(pattern(3 * DiskStorage.CHUNK_SIZE + 100, 2)));
        disk().awaitWrites();
        assertEquals(4, disk().chunkKeyCount(), "3 chunks of the partial object + 1 of the kept one");
        assertTrue(lookup("/partial").isEmpty());

        disk().closeAsIfCrashed();
        storage = open(tmp.resolve("store"), 8L << 20, 1L << 20);

        assertEquals(1, disk().collectedGarbage());
        assertTrue(lookup("/partial").isEmpty());
        assertEquals(1, disk().chunkKeyCount(), "only the kept object's chunk is left");
        assertArrayEquals(bytes("kept"), read(lookup("/kept").get(0), 0, 3));
        assertFalse(w.commit().join(), "the old writer cannot commit into the new store");
        assertEquals(1, storage.entryCount());
    }

    @Test
    void gracefulCloseWithAnOpenWriterAlsoLeavesNothing() {
        ObjectWriter w = storage.writer(entry("/partial", "", -1));
        w.write(ByteBuffer.wrap(pattern(2 * DiskStorage.CHUNK_SIZE, 3)));
        DiskStorage again = reopen();
        assertEquals(0, again.chunkKeyCount());
        assertEquals(0, again.metaRecordCount());
        assertTrue(lookup("/partial").isEmpty());
    }

    @Test
    void newObjectIdsAfterReopenNeverReuseStoredOnes() {
        store(entry("/a", "", -1), pattern(100_000, 4));
        reopen();
        store(entry("/b", "", -1), pattern(100_000, 5));
        assertArrayEquals(pattern(100_000, 4), read(lookup("/a").get(0), 0, 99_999));
        assertArrayEquals(pattern(100_000, 5), read(lookup("/b").get(0), 0, 99_999));
    }

    @Test
    void corruptChunkFailsTheReadCleanlyAndTheEntryDisappears() {
        byte[] big = pattern(200_000, 6);
        store(entry("/big", "", big.length), big);
        byte[] damaged = Arrays.copyOfRange(big, DiskStorage.CHUNK_SIZE, 2 * DiskStorage.CHUNK_SIZE);
        damaged[1234] ^= 0x01;
        disk().overwriteChunk(new CacheKey("site.example", "/big"), "", 1, damaged);

        StoredObject o = lookup("/big").get(0);
        try (StoredBody.Reader r = o.body().open(0, big.length - 1)) {
            ByteBuffer first = r.next().join();
            assertEquals(DiskStorage.CHUNK_SIZE, first.remaining(), "chunk 0 is fine");
            CompletionException e = assertThrows(CompletionException.class, () -> r.next().join());
            DiskReadException cause = assertInstanceOf(DiskReadException.class, e.getCause());
            assertTrue(cause.corrupt());
            assertTrue(cause.getMessage().contains("CRC32C"), cause.getMessage());
        }
        assertEquals(1, disk().readFailures());
        disk().awaitWrites();
        assertTrue(lookup("/big").isEmpty());
        assertEquals(0, storage.entryCount());
        assertEquals(0, disk().metaRecordCount());
        assertEquals(0, disk().chunkKeyCount());
    }

    @Test
    void truncatedChunkIsCorruptToo() {
        byte[] body = pattern(1000, 7);
        store(entry("/small", "", body.length), body);
        disk().overwriteChunk(new CacheKey("site.example", "/small"), "", 0, Arrays.copyOf(body, 999));
        CompletionException e = assertThrows(CompletionException.class, () -> read(lookup("/small").get(0), 0, 999));
        assertTrue(((DiskReadException) e.getCause()).corrupt());
        disk().awaitWrites();
        assertTrue(lookup("/small").isEmpty());
    }

    @Test
    void formatVersionMismatchDropsTheStore() throws Exception {
        store(entry("/a", "", -1), pattern(100_000, 8));
        storage.close();
        Path dir = tmp.resolve("store");
        putRaw(dir, Keys.FORMAT, ByteBuffer.allocate(4).putInt(DiskStorage.STORE_FORMAT + 1).array());
        captureLog();
        storage = open(dir, 8L << 20, 1L << 20);
        assertEquals(1, loggedLines(Level.WARN, "was written by format v" + (DiskStorage.STORE_FORMAT + 1)
                + ", this build reads v" + DiskStorage.STORE_FORMAT + ": dropping it"), () -> logged.list.toString());
        assertTrue(lookup("/a").isEmpty());
        assertEquals(0, disk().rebuiltEntries());
        assertEquals(0, disk().metaRecordCount());
        assertEquals(0, disk().chunkKeyCount());
        assertTrue(store(entry("/b", "", -1), bytes("new")));
        DiskStorage again = reopen();
        assertEquals(1, again.rebuiltEntries(), "the recreated store has the current format");
    }

    @Test
    void byteBoundIsHeldWhileObjectsKeepFlowingAndEvictionDeletesFromRocksDb() {
        storage.close();
        storage = open(tmp.resolve("small"), 1L << 20, 256 * 1024);
        for (int i = 0; i < 250; i++) {
            CacheEntry e = entryWithPolicy("/o" + i, HeaderFields.EMPTY, new Reuse.Policy(3600, 0, 0, false, false,
                    false));
            assertTrue(store(e, pattern(i % 10 == 0 ? 100_000 : 16 * 1024, i)));
            if (i % 50 == 49) {
                disk().cleanUp();
                assertTrue(storage.byteSize() <= 1L << 20, "bytes " + storage.byteSize());
            }
        }
        disk().cleanUp();
        long entries = storage.entryCount();
        assertTrue(storage.byteSize() <= 1L << 20, "bytes " + storage.byteSize());
        assertTrue(entries < 100, "entries " + entries);
        assertTrue(disk().evictions() > 150, "evictions " + disk().evictions());
        assertEquals(entries, disk().metaRecordCount(), "evicted meta records are deleted");
        long chunks = disk().chunkKeyCount();
        assertTrue(chunks >= entries && chunks <= 2 * entries, "chunks " + chunks + " for " + entries + " entries");
        DiskStorage again = (DiskStorage) storage;
        again.close();
        storage = open(tmp.resolve("small"), 1L << 20, 256 * 1024);
        assertEquals(entries, storage.entryCount(), "accounting is the same after a restart");
    }

    @Test
    void entryExpiresOnceItCanServeNothingAndIsDeletedFromRocksDb() {
        CacheEntry noValidator = entryWithPolicy("/short", HeaderFields.EMPTY, new Reuse.Policy(10, 20, 0, false,
                false, false));
        store(noValidator, pattern(100_000, 9));
        clock.advance(Duration.ofSeconds(29));
        assertEquals(1, lookup("/short").size(), "still inside stale-while-revalidate");
        clock.advance(Duration.ofSeconds(2));
        disk().cleanUp();
        assertTrue(lookup("/short").isEmpty());
        assertEquals(0, disk().metaRecordCount());
        assertEquals(0, disk().chunkKeyCount());
        assertEquals(1, disk().evictions());
    }

    @Test
    void staleEntryWithValidatorIsKeptForRevalidation() {
        store(entryWithPolicy("/etag", HeaderFields.of("ETag", "\"x\""), new Reuse.Policy(10, 0, 0, false, false,
                false)), bytes("x"));
        clock.advance(Duration.ofMinutes(30));
        disk().cleanUp();
        assertEquals(1, lookup("/etag").size());
        clock.advance(Duration.ofMinutes(31));
        disk().cleanUp();
        assertTrue(lookup("/etag").isEmpty());
    }

    @Test
    void expiredEntriesAreNotRebuilt() {
        store(entryWithPolicy("/short", HeaderFields.EMPTY, new Reuse.Policy(10, 0, 0, false, false, false)),
                bytes("x"));
        storage.close();
        clock.advance(Duration.ofSeconds(11));
        storage = open(tmp.resolve("store"), 8L << 20, 1L << 20);
        assertTrue(lookup("/short").isEmpty());
        disk().cleanUp();
        assertEquals(0, disk().metaRecordCount());
    }

    @Test
    void generationBumpHidesOldEntriesAndTheSweepDeletesThem() {
        store(entry("/old", "", -1), pattern(100_000, 10));
        ObjectWriter inFlight = storage.writer(entry("/inflight", "", -1));
        inFlight.write(ByteBuffer.wrap(bytes("fetched before the purge")));
        assertEquals(0, disk().generation());

        assertEquals(1L, disk().bumpGeneration().join());

        assertEquals(1, disk().generation());
        assertTrue(lookup("/old").isEmpty());
        assertFalse(inFlight.commit().join(), "a body fetched before purge-everything is not stored after it");
        assertTrue(store(entry("/new", "", -1), bytes("new")));
        assertEquals(1, lookup("/new").size());
        disk().awaitWrites();
        assertEquals(1, disk().metaRecordCount());
        assertEquals(1, disk().chunkKeyCount());
        assertEquals(1, storage.entryCount());

        DiskStorage again = reopen();
        assertEquals(1, again.generation());
        assertTrue(lookup("/old").isEmpty());
        assertEquals(1, lookup("/new").size());
    }

    @Test
    void rangeReadsAcrossChunkBoundariesReadOnlyWhatIsNeeded() {
        int c = DiskStorage.CHUNK_SIZE;
        byte[] body = pattern(3 * c, 11);
        store(entry("/three", "", body.length), body);
        StoredObject o = lookup("/three").get(0);
        assertArrayEquals(Arrays.copyOfRange(body, c - 1, c + 1), read(o, c - 1, c));
        assertArrayEquals(Arrays.copyOfRange(body, c, 2 * c), read(o, c, 2 * c - 1));
        assertArrayEquals(body, read(o, 0, 3 * c - 1));
        assertArrayEquals(Arrays.copyOfRange(body, 3 * c - 1, 3 * c), read(o, 3 * c - 1, 3 * c - 1));
        try (StoredBody.Reader r = o.body().open(c - 10, 2 * c + 9)) {
            assertEquals(10, r.next().join().remaining());
            assertEquals(c, r.next().join().remaining());
            ByteBuffer last = r.next().join();
            assertEquals(10, last.remaining());
            assertTrue(last.isReadOnly());
            assertEquals(null, r.next().join());
        }
        assertThrows(IndexOutOfBoundsException.class, () -> o.body().open(0, 3 * c));
    }

    @Test
    void writeQueueOverflowAbandonsTheObjectInsteadOfBlocking() throws Exception {
        storage.close();
        storage = open(tmp.resolve("big-objects"), 64L << 20, 32L << 20);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        disk().runOnWriteThread(() -> {
            held.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(10, TimeUnit.SECONDS));
        ObjectWriter w = storage.writer(entry("/flood", "", -1));
        byte[] chunk = pattern(DiskStorage.CHUNK_SIZE, 12);
        long start = System.nanoTime();
        int written = 0;
        while (!w.isAbandoned() && written < 100) {
            w.write(ByteBuffer.wrap(chunk));
            written++;
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        release.countDown();
        assertTrue(w.isAbandoned());
        assertEquals(65, written, "64 chunks fit in the queue, the 65th abandons");
        assertTrue(millis < 2000, "writes never wait for the write thread: " + millis + " ms");
        assertFalse(w.commit().join());
        assertEquals(1, disk().writeQueueOverflows());
        disk().awaitWrites();
        assertTrue(lookup("/flood").isEmpty());
        assertEquals(0, disk().chunkKeyCount());
        assertTrue(store(entry("/after", "", -1), bytes("fine again")));
    }

    /** Holds the write thread until the returned latch is counted down. */
    private CountDownLatch holdWriteThread() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        disk().runOnWriteThread(() -> {
            held.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(10, TimeUnit.SECONDS));
        return release;
    }

    @Test
    void writerReportsFullAtTheHighWaterMarkAndDrainsOnceBelowTheLowWaterMark() throws Exception {
        storage.close();
        storage = open(tmp.resolve("signal"), 64L << 20, 32L << 20);
        CountDownLatch release = holdWriteThread();
        ObjectWriter w = storage.writer(entry("/signal", "", -1));
        byte[] chunk = pattern(DiskStorage.CHUNK_SIZE, 5);
        int written = 0;
        while (!w.writeQueueFull() && written < 100) {
            w.write(ByteBuffer.wrap(chunk));
            written++;
        }
        assertEquals(32, written, "full at half of the 64-chunk queue");
        assertFalse(w.isAbandoned());
        CountDownLatch drained = new CountDownLatch(1);
        int[] calls = {0};
        w.drainHandler(() -> {
            calls[0]++;
            drained.countDown();
        });
        assertFalse(drained.await(200, TimeUnit.MILLISECONDS), "no drain while the queue is held up");
        release.countDown();
        assertTrue(drained.await(10, TimeUnit.SECONDS), "drain handler called once the queue is low");
        assertFalse(w.writeQueueFull());
        w.drainHandler(() -> calls[0]++); // room already: called at once
        assertEquals(2, calls[0]);
        w.write(ByteBuffer.wrap(bytes("tail")));
        assertTrue(w.commit().join());
        disk().awaitWrites();
        assertEquals(2, calls[0], "each handler runs once");
        assertEquals(0, disk().writeQueueOverflows());
        assertEquals(32L * DiskStorage.CHUNK_SIZE + 4, lookup("/signal").get(0).body().length());
    }

    @Test
    void aFastProducerHonouringTheSignalStoresALargeObjectIntact() throws Exception {
        storage.close();
        int chunks = 2000; // 125 MiB
        storage = open(tmp.resolve("fast-producer"), 256L << 20, 200L << 20);
        CountDownLatch release = holdWriteThread(); // make sure the producer outruns the write thread
        ObjectWriter w = storage.writer(entry("/fast", "", -1));
        byte[] chunk = pattern(DiskStorage.CHUNK_SIZE, 7);
        int pauses = 0;
        for (int i = 0; i < chunks; i++) {
            ByteBuffer.wrap(chunk).putInt(0, i);
            w.write(ByteBuffer.wrap(chunk));
            if (w.writeQueueFull()) {
                pauses++;
                release.countDown();
                CountDownLatch drained = new CountDownLatch(1);
                w.drainHandler(drained::countDown);
                assertTrue(drained.await(30, TimeUnit.SECONDS), "drained");
            }
            assertFalse(w.isAbandoned(), "abandoned at chunk " + i);
        }
        assertTrue(w.commit().join());
        assertTrue(pauses > 0, "the producer was held back");
        assertEquals(0, disk().writeQueueOverflows());

        StoredObject o = lookup("/fast").get(0);
        assertEquals((long) chunks * DiskStorage.CHUNK_SIZE, o.body().length());
        try (StoredBody.Reader r = o.body().open(0, o.body().length() - 1)) {
            int i = 0;
            for (ByteBuffer b = r.next().join(); b != null; b = r.next().join(), i++) {
                ByteBuffer.wrap(chunk).putInt(0, i);
                assertEquals(ByteBuffer.wrap(chunk), b, "chunk " + i);
            }
            assertEquals(chunks, i);
        }
    }

    @Test
    void objectOverTheObjectLimitIsAbandonedWhileStreamingAndRefusedWhenDeclared() {
        assertSame(ObjectWriter.DISCARD, storage.writer(entry("/huge", "", 2L << 20)));
        ObjectWriter w = storage.writer(entry("/huge", "", -1));
        w.write(ByteBuffer.wrap(new byte[600_000]));
        assertFalse(w.isAbandoned());
        w.write(ByteBuffer.wrap(new byte[600_000]));
        assertTrue(w.isAbandoned());
        assertFalse(w.commit().join());
        disk().awaitWrites();
        assertTrue(lookup("/huge").isEmpty());
        assertEquals(0, disk().chunkKeyCount());
    }

    @Test
    void bodyLongerThanDeclaredLengthIsNotStored() {
        ObjectWriter w = storage.writer(entry("/a", "", 3));
        w.write(ByteBuffer.wrap(bytes("four")));
        assertTrue(w.isAbandoned());
        assertFalse(w.commit().join());
        assertTrue(lookup("/a").isEmpty());
    }

    @Test
    void replacingAVariantDeletesTheOldChunksAndAbortAfterCommitKeepsTheObject() {
        store(entry("/a", "", -1), pattern(200_000, 13));
        ObjectWriter w = storage.writer(entry("/a", "", -1));
        w.write(ByteBuffer.wrap(pattern(70_000, 14)));
        assertTrue(w.commit().join());
        w.abort();
        disk().awaitWrites();
        assertEquals(2, disk().chunkKeyCount(), "the 4 chunks of the first version are gone");
        assertArrayEquals(pattern(70_000, 14), read(lookup("/a").get(0), 0, 69_999));
    }

    @Test
    void variantsPerKeyAreCappedOnDiskToo() {
        for (int i = 0; i < DiskStorage.MAX_VARIANTS + 4; i++) {
            store(entry("/v", "lang" + i, -1), bytes("x" + i));
        }
        List<StoredObject> found = lookup("/v");
        assertEquals(DiskStorage.MAX_VARIANTS, found.size());
        assertEquals("lang" + (DiskStorage.MAX_VARIANTS + 3), found.get(0).entry().variantKey());
        disk().awaitWrites();
        assertEquals(DiskStorage.MAX_VARIANTS, disk().metaRecordCount());
        assertEquals(DiskStorage.MAX_VARIANTS, disk().chunkKeyCount());
    }

    @Test
    void removeDeletesFromRocksDb() {
        store(entry("/a", "en", -1), pattern(100_000, 15));
        store(entry("/a", "fr", -1), bytes("bonjour"));
        store(entry("/ab", "", -1), bytes("other url"));
        assertEquals(2, storage.remove(new CacheKey("site.example", "/a")).join());
        assertEquals(1, disk().metaRecordCount());
        assertEquals(1, disk().chunkKeyCount());
        assertEquals(1, lookup("/ab").size());
        DiskStorage again = reopen();
        assertEquals(1, again.entryCount());
    }

    @Test
    void everyCallAfterCloseIsHarmless() {
        store(entry("/a", "", -1), bytes("x"));
        StoredObject o = lookup("/a").get(0);
        storage.close();
        assertTrue(storage.lookup(new CacheKey("site.example", "/a")).join().isEmpty());
        assertSame(ObjectWriter.DISCARD, storage.writer(entry("/b", "", -1)));
        assertFalse(storage.updateEntry(o.entry()).join());
        assertEquals(0, storage.remove(new CacheKey("site.example", "/a")).join());
        CompletionException e = assertThrows(CompletionException.class, () -> read(o, 0, 0));
        assertNotNull(e.getCause());
        storage.close();
    }

    @Test
    void concurrentWritersReadersAndEvictionKeepTheStoreConsistent() throws Exception {
        storage.close();
        storage = open(tmp.resolve("busy"), 2L << 20, 512 * 1024);
        List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int seed = t;
            threads.add(new Thread(() -> {
                java.util.Random random = new java.util.Random(seed);
                for (int i = 0; i < 150; i++) {
                    String path = "/o" + random.nextInt(60);
                    int size = random.nextInt(4) == 0 ? 150_000 + random.nextInt(100_000) : random.nextInt(20_000);
                    byte[] body = pattern(size, path.hashCode());
                    store(entryWithPolicy(path, HeaderFields.EMPTY, new Reuse.Policy(3600, 0, 0, false, false,
                            false)), body);
                    for (StoredObject o : lookup("/o" + random.nextInt(60))) {
                        try {
                            byte[] got = read(o, 0, o.body().length() - 1);
                            int n = Integer.parseInt(o.entry().key().pathAndQuery().substring(2));
                            assertArrayEquals(pattern(got.length, ("/o" + n).hashCode()), got);
                        } catch (CompletionException e) {
                            if (!(e.getCause() instanceof DiskReadException d) || d.corrupt()) {
                                unexpected.add(e);
                            }
                        } catch (Throwable e) {
                            unexpected.add(e);
                        }
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertTrue(unexpected.isEmpty(), () -> unexpected.toString());
        disk().cleanUp();
        assertTrue(storage.byteSize() <= 2L << 20, "bytes " + storage.byteSize());
        assertEquals(0, disk().readFailures());
        assertEquals(storage.entryCount(), disk().metaRecordCount());
        long entries = storage.entryCount();
        long bytes = storage.byteSize();
        storage.close();
        storage = open(tmp.resolve("busy"), 2L << 20, 512 * 1024);
        assertEquals(entries, storage.entryCount());
        assertEquals(bytes, storage.byteSize());
    }

    /**
     * Issue 4: all (per host or global, hard or soft) is O(1) on disk too: over 100k stored records a
     * purge of everything looks at none of them (counted by the purge code itself), takes effect at once,
     * and holds after a reopen.
     */
    @Test
    void purgesOfEverythingVisitNoStoredRecord() {
        int n = 100_000;
        storage.close();
        storage = open(tmp.resolve("big"), 1L << 30, 1L << 20); // room for all of them
        for (int i = 0; i < n; i++) {
            assertTrue(store(tagged(i % 2 == 0 ? "site.example" : "other.example", "/o" + i, "", null, null, null),
                    new byte[] {1}));
        }
        assertEquals(n, disk().entryCount());
        disk().purge(new dev.outpost.edge.cache.Purge.All("site.example", true)).join();
        disk().purge(new dev.outpost.edge.cache.Purge.All("other.example", false)).join();
        disk().purge(new dev.outpost.edge.cache.Purge.All(null, true)).join();
        assertEquals(0, disk().purgeVisits(), "no stored record was looked at");
        assertTrue(storage.lookup(new CacheKey("other.example", "/o1")).join().isEmpty());
        assertTrue(storage.lookup(new CacheKey("site.example", "/o0")).join().get(0).entry().invalidated());
        disk().purge(new dev.outpost.edge.cache.Purge.Url(new CacheKey("site.example", "/o2"), false)).join();
        assertEquals(1, disk().purgeVisits(), "the counter does count: a url purge looks at its record");
        storage.close();
        DiskStorage again = open(tmp.resolve("big"), 1L << 30, 1L << 20);
        storage = again;
        assertTrue(again.lookup(new CacheKey("other.example", "/o3")).join().isEmpty());
        assertTrue(again.lookup(new CacheKey("site.example", "/o4")).join().get(0).entry().invalidated());
    }

    /** Purge markers that cannot be read: what was purged is unknown, so everything stored is dropped. */
    @Test
    void unreadablePurgeMarkersDropEveryStoredObject() throws Exception {
        assertTrue(store(entry("/a", "", -1), bytes("a")));
        disk().purge(new dev.outpost.edge.cache.Purge.All("other.example", true)).join();
        storage.close();
        Path dir = tmp.resolve("store");
        putRaw(dir, Keys.PURGE_MARKERS, new byte[] {9, 9, 9});
        storage = open(dir, 8L << 20, 1L << 20);
        assertTrue(storage.lookup(new CacheKey("site.example", "/a")).join().isEmpty());
        assertEquals(0, disk().metaRecordCount());
        assertTrue(store(entry("/b", "", -1), bytes("new")));
        DiskStorage again = reopen();
        assertEquals(1, again.rebuiltEntries(), "the store works on, with empty markers");
    }

    // ---------------------------------------------------------------- I/O errors (fault hook)

    @Test
    void writeFailuresAreCountedLoggedOncePerEpisodeAndTheRecoveryIsLogged() {
        captureLog();
        disk().failNext(DiskStorage.Op.WRITE, 3);
        assertFalse(store(entry("/a", "", -1), pattern(200_000, 1)), "its first chunk put fails");
        assertFalse(store(entry("/b", "", -1), bytes("b")), "its commit batch fails");
        assertFalse(store(entry("/c", "", -1), bytes("c")));
        assertEquals(3, disk().writeFailures());
        disk().awaitWrites();
        assertTrue(lookup("/a").isEmpty());
        assertTrue(lookup("/b").isEmpty());
        assertEquals(0, disk().metaRecordCount(), "nothing became visible");
        assertEquals(0, disk().chunkKeyCount(), "the chunks written before the failure were deleted");
        assertEquals(0, storage.entryCount());
        assertEquals(1, loggedLines(Level.WARN, "disk write failed"), "once for the episode, not per object");
        assertEquals(0, loggedLines(Level.INFO, "writes succeed again"));

        assertTrue(store(entry("/d", "", -1), pattern(200_000, 2)), "the next write works");
        assertArrayEquals(pattern(200_000, 2), read(lookup("/d").get(0), 0, 199_999));
        assertEquals(1, loggedLines(Level.INFO, "writes succeed again"));
        assertTrue(store(entry("/e", "", -1), bytes("e")));
        assertEquals(1, loggedLines(Level.INFO, "writes succeed again"), "said once");
        assertEquals(3, disk().writeFailures());

        disk().failNext(DiskStorage.Op.WRITE, 1);
        assertFalse(store(entry("/f", "", -1), bytes("f")));
        assertEquals(2, loggedLines(Level.WARN, "disk write failed"), "a new episode is logged again");
        assertEquals(4, disk().writeFailures());
        assertEquals(2, storage.entryCount(), "what was stored stays");
    }

    @Test
    void readFailuresAreMissesCountedAndLoggedOnceAndLeaveTheObjectStored() {
        byte[] big = pattern(200_000, 3);
        store(entry("/r", "", big.length), big);
        captureLog();
        disk().failNext(DiskStorage.Op.READ, 1);
        assertTrue(lookup("/r").isEmpty(), "a failed lookup is a miss");
        assertEquals(1, disk().readFailures());

        StoredObject o = lookup("/r").get(0);
        disk().failNext(DiskStorage.Op.READ, 2);
        for (int i = 0; i < 2; i++) {
            try (StoredBody.Reader r = o.body().open(0, big.length - 1)) {
                CompletionException e = assertThrows(CompletionException.class, () -> r.next().join());
                DiskReadException cause = assertInstanceOf(DiskReadException.class, e.getCause());
                assertFalse(cause.corrupt(), "an I/O error is not a damaged object");
            }
        }
        assertEquals(3, disk().readFailures());
        assertEquals(1, logged.list.stream().filter(e -> e.getLevel() == Level.WARN).count(),
                () -> "one line for the read error condition: " + logged.list);
        disk().awaitWrites();
        assertArrayEquals(big, read(lookup("/r").get(0), 0, big.length - 1), "still stored, read again once it works");
        assertEquals(0, disk().writeFailures());
    }

    // ---------------------------------------------------------------- ranges read only what they need

    @Test
    void aRangeOverTwoChunksOfALargeObjectCostsTwoChunkGets() {
        int c = DiskStorage.CHUNK_SIZE;
        byte[] body = pattern(12 * c, 16);
        store(entry("/large", "", body.length), body);
        java.util.concurrent.atomic.AtomicInteger gets = countChunkReads();
        StoredObject o = lookup("/large").get(0);
        assertArrayEquals(Arrays.copyOfRange(body, 7 * c + 100, 8 * c + 100), read(o, 7 * c + 100, 8 * c + 99));
        assertEquals(2, gets.get(), "chunks 7 and 8 of 12");
        assertArrayEquals(Arrays.copyOfRange(body, 11 * c, 12 * c), read(o, 11 * c, 12 * c - 1));
        assertEquals(3, gets.get(), "the last chunk alone");
    }

    // ---------------------------------------------------------------- eviction policy

    @Test
    void evictionFollowsFrequencyAHotObjectSurvivesAScanOfOneHitObjects() {
        storage.close();
        storage = open(tmp.resolve("scan"), 1L << 20, 256 * 1024);
        Reuse.Policy hour = new Reuse.Policy(3600, 0, 0, false, false, false);
        byte[] body = pattern(16 * 1024, 17);
        // warm the policy up (Caffeine sizes its frequency sketch once the cache is half full)
        for (int i = 0; i < 40; i++) {
            assertTrue(store(entryWithPolicy("/warm" + i, HeaderFields.EMPTY, hour), body));
        }
        assertTrue(store(entryWithPolicy("/hot", HeaderFields.EMPTY, hour), body));
        for (int i = 0; i < 20; i++) {
            assertEquals(1, lookup("/hot").size());
        }
        disk().cleanUp();
        // a scan: 200 objects of 16 KiB (3 MiB through a 1 MiB store), each seen once, all newer than /hot
        for (int i = 0; i < 200; i++) {
            assertTrue(store(entryWithPolicy("/scan" + i, HeaderFields.EMPTY, hour), body));
            lookup("/scan" + i); // its one hit (admission may already have turned it away)
        }
        disk().cleanUp();
        assertTrue(disk().evictions() > 150, "evictions " + disk().evictions());
        assertEquals(1, lookup("/hot").size(), "the frequently used object survives the scan");
        assertArrayEquals(body, read(lookup("/hot").get(0), 0, body.length - 1));
        // recency alone (LRU) would have evicted it: some 60 objects fit and 200 came after its last use
        assertTrue(storage.entryCount() < 70, "entries " + storage.entryCount());
    }
}
