package dev.outpost.edge.storage.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.CacheStorageContract;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import dev.outpost.edge.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory tier with its large bodies in files ({@code cache.memory.file-min-size}): the whole storage
 * contract with every body from 1 KiB up in a file, and the files' lifetime: nameless from the start,
 * counted, freed when the tier drops a body and its last send ends, never before.
 */
class FileBackedMemoryStorageTest extends CacheStorageContract {

    /** A chunked body may turn out larger than the memory tier takes: its readers would be cut. */
    @Override
    protected boolean offersGrowingBodiesOfUnknownLength() {
        return false;
    }

    private static final long MIN_SIZE = 1024;

    @TempDir
    Path dir;

    @Override
    protected CacheStorage newStorage(MutableClock clock) {
        return new MemoryStorage(8L << 20, 1L << 20, clock, Duration.ofHours(1), Runnable::run,
                new MemoryStorage.BodyFiles(dir, MIN_SIZE));
    }

    private MemoryStorage memory() {
        return (MemoryStorage) storage;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private StoredObject found(String path) {
        return storage.lookup(new CacheKey("site.example", path)).join().get(0);
    }

    private static byte[] readLease(StoredBody.FileLease lease, long length) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) length);
        while (all.hasRemaining()) {
            if (lease.channel().read(all, all.position()) < 0) {
                break;
            }
        }
        return all.array();
    }

    /**
     * Sizes of the files of {@code d} this process has open, as the kernel sees them (they have no name:
     * found through {@code /proc/self/fd}), smallest first.
     */
    private static List<Long> sizesOfOpenFilesIn(Path d) {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux)");
        List<Long> sizes = new ArrayList<>();
        String prefix;
        try {
            prefix = d.toRealPath() + "/"; // the links name real paths
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Stream<Path> links = Files.list(fds)) {
            for (Path link : (Iterable<Path>) links::iterator) {
                try {
                    if (Files.readSymbolicLink(link).toString().startsWith(prefix)) {
                        sizes.add(Files.size(link));
                    }
                } catch (IOException e) {
                    // closed meanwhile (e.g. the listing's own descriptor)
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.sort(sizes);
        return sizes;
    }

    private long namesIn(Path d) throws IOException {
        try (Stream<Path> files = Files.list(d)) {
            return files.count();
        }
    }

    @Test
    void largeBodiesAreNamelessFilesCountedInTheTierSmallOnesStayInBuffers() throws IOException {
        byte[] large = random(200_000, 1);
        assertTrue(store(entry("/large", "", large.length), large));
        assertTrue(store(entry("/small", "", 100), new byte[100]));
        assertEquals(0, namesIn(dir), "the file was unlinked once open: nothing to clean after a crash");
        assertEquals(200_000, memory().fileBytes());
        assertTrue(storage.byteSize() >= 200_100, "both bodies count in the byte bound: " + storage.byteSize());

        StoredBody body = found("/large").body();
        assertNull(body.heldInMemoryAs(chunks -> chunks), "a file body is read or sent, not viewed");
        try (StoredBody.FileLease lease = body.leaseFile()) {
            assertNotNull(lease);
            assertEquals(200_000, lease.channel().size());
            assertArrayEquals(large, readLease(lease, 200_000));
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(large, 65_000, 140_001), read(found("/large"), 65_000, 140_000),
                "a range read across the reader's 64 KiB reads");
        StoredBody small = found("/small").body();
        assertNull(small.leaseFile());
        assertNotNull(small.heldInMemoryAs(chunks -> chunks));
    }

    @Test
    void aPurgedBodyKeepsItsBytesForTheSendInFlightAndFreesThemWhenItEnds() throws IOException {
        byte[] large = random(300_000, 2);
        assertTrue(store(entry("/p", "", large.length), large));
        StoredObject looked = found("/p");
        StoredBody.FileLease sending = looked.body().leaseFile();
        StoredBody.Reader reading = looked.body().open(0, large.length - 1);

        storage.purge(new Purge.Url(new CacheKey("site.example", "/p"), false)).join();
        assertTrue(storage.lookup(new CacheKey("site.example", "/p")).join().isEmpty());
        assertEquals(300_000, memory().fileBytes(), "still being sent");
        assertArrayEquals(large, readLease(sending, large.length), "the bytes in flight are the body's");
        sending.close();
        sending.close(); // a second close does nothing
        assertEquals(300_000, memory().fileBytes(), "the reader opened before the purge still reads");
        ByteBuffer first = reading.next().join();
        assertEquals(64 * 1024, first.remaining());
        assertEquals(ByteBuffer.wrap(large, 0, 64 * 1024), first);
        reading.close();
        assertEquals(0, memory().fileBytes(), "freed when the last user ended");
        assertNull(looked.body().leaseFile(), "no send of a freed body: the caller answers otherwise");

        StoredBody.Reader late = looked.body().open(0, 10);
        CompletionException refused = assertThrows(CompletionException.class, () -> late.next().join());
        assertTrue(refused.getCause().getMessage().contains("dropped from the memory tier"), refused.getMessage());
        late.close();
    }

    @Test
    void everyWayOfDroppingABodyFreesItsFileAndKeepingItDoesNot() {
        assertTrue(store(entry("/r", "", 2000), new byte[2000]));
        assertTrue(store(entry("/r", "", 3000), new byte[3000]));
        assertEquals(3000, memory().fileBytes(), "replaced");

        assertTrue(store(entry("/v", "de", 4000), new byte[4000]));
        assertTrue(store(entry("/v", "fr", 5000), new byte[5000]));
        storage.purge(new Purge.Url(new CacheKey("site.example", "/v"), true)).join();
        assertTrue(storage.updateEntry(found("/r").entry().asInvalidated()).join());
        assertEquals(12_000, memory().fileBytes(), "soft purge and metadata update keep the bodies");
        assertTrue(storage.removeVariant(new CacheKey("site.example", "/v"), "de").join());
        assertEquals(8000, memory().fileBytes(), "variant removed");
        storage.remove(new CacheKey("site.example", "/v")).join();
        assertEquals(3000, memory().fileBytes(), "key removed");

        storage.purge(new Purge.All(null, false)).join();
        assertTrue(storage.lookup(new CacheKey("site.example", "/r")).join().isEmpty());
        assertEquals(0, memory().fileBytes(), "dropped by the lookup after a purge of everything");

        assertTrue(store(entry("/c", "", 6000), new byte[6000]));
        storage.close();
        assertEquals(0, memory().fileBytes(), "closed tier");
        storage = newStorage(clock);
    }

    @Test
    void sizeEvictionFreesFilesAndKeepsTheBoundOverBothKinds() {
        MemoryStorage small = new MemoryStorage(1L << 20, 256 * 1024, clock, Duration.ofHours(1), Runnable::run,
                new MemoryStorage.BodyFiles(dir, 32 * 1024));
        try {
            for (int i = 0; i < 100; i++) {
                small.put(entry("/o" + i, "", -1), new byte[i % 2 == 0 ? 64 * 1024 : 16 * 1024]);
            }
            small.cleanUp();
            assertTrue(small.stats().evictionCount() > 0);
            assertTrue(small.byteSize() <= 1L << 20, "bytes " + small.byteSize());
            assertTrue(small.fileBytes() > 0 && small.fileBytes() < small.byteSize(),
                    "files " + small.fileBytes() + " of " + small.byteSize());
            long held = 0;
            for (int i = 0; i < 100; i += 2) {
                held += small.lookupInMemory(new CacheKey("site.example", "/o" + i)).isEmpty() ? 0 : 64 * 1024;
            }
            assertEquals(held, small.fileBytes(), "exactly the files of the bodies still held");
        } finally {
            small.close();
        }
        assertEquals(0, small.fileBytes());
    }

    @Test
    void aFileThatCannotBeWrittenLeavesTheBodyInDirectBuffers() throws IOException {
        Path gone = Files.createDirectory(dir.resolve("gone"));
        MemoryStorage m = new MemoryStorage(8L << 20, 1L << 20, clock, Duration.ofHours(1), Runnable::run,
                new MemoryStorage.BodyFiles(gone, MIN_SIZE));
        try {
            Files.delete(gone); // as a full filesystem would, every create fails
            byte[] body = random(100_000, 3);
            ObjectWriter fill = m.writer(entry("/f", "", body.length)); // a fill that cannot start its file...
            fill.write(ByteBuffer.wrap(body, 0, 40_000));
            fill.write(ByteBuffer.wrap(body, 40_000, 60_000));
            assertTrue(fill.commit().join(), "...gathers in the heap and is stored in direct buffers");
            StoredObject o = m.lookupInMemory(new CacheKey("site.example", "/f")).get(0);
            assertNull(o.body().leaseFile());
            assertArrayEquals(body, read(o, 0, body.length - 1));
            assertEquals(1, m.fileWriteFailures());
            assertEquals(0, m.fileBytes());

            assertTrue(m.put(entry("/g", "", body.length), body));
            assertEquals(1, m.fileWriteFailures(), "not tried again while nothing was freed: no copy per object");
            Files.createDirectory(gone);
            clock.advance(Duration.ofSeconds(61));
            assertTrue(m.put(entry("/h", "", body.length), body));
            assertEquals(1, m.fileWriteFailures());
            assertEquals(body.length, m.fileBytes(), "tried again a minute later, and it fits");
            assertNotNull(m.lookupInMemory(new CacheKey("site.example", "/h")).get(0).body().leaseFile());
        } finally {
            m.close();
        }
        assertEquals(0, namesIn(gone));
    }

    /** A fill goes to its file as soon as the body is known to be large: never gathered in the heap first. */
    @Test
    void aLargeFillStreamsIntoItsFileFromTheMomentItIsKnownToBeLarge() {
        byte[] body = random(300_000, 5);
        ObjectWriter declared = storage.writer(entry("/declared", "", body.length));
        declared.write(ByteBuffer.wrap(body, 0, 100));
        assertEquals(100, memory().fileBytes(), "a declared length above file-min-size: in the file from byte one");
        assertEquals(List.of((long) body.length), sizesOfOpenFilesIn(dir),
                "the file has the declared length before it is written (so a tmpfs can give it large folios)");
        declared.write(ByteBuffer.wrap(body, 100, body.length - 100));
        assertEquals(body.length, memory().fileBytes());
        assertTrue(declared.commit().join());
        assertArrayEquals(body, read(found("/declared"), 0, body.length - 1));
        assertEquals(body.length, memory().fileBytes(), "the fill's file is the body's");

        ObjectWriter unknown = storage.writer(entry("/chunked", "", -1));
        unknown.write(ByteBuffer.wrap(body, 0, 600));
        assertEquals(body.length, memory().fileBytes(), "600 bytes of unknown length: still in the heap");
        unknown.write(ByteBuffer.wrap(body, 600, 600));
        assertEquals(body.length + 1200, memory().fileBytes(), "past file-min-size: what gathered went to a file");
        assertEquals(List.of(1200L, (long) body.length), sizesOfOpenFilesIn(dir),
                "a body of unknown length: its file grows as it is written");
        unknown.write(ByteBuffer.wrap(body, 1200, 800));
        assertTrue(unknown.commit().join());
        assertArrayEquals(java.util.Arrays.copyOf(body, 2000), read(found("/chunked"), 0, 1999));
        assertNotNull(found("/chunked").body().leaseFile());

        ObjectWriter dropped = storage.writer(entry("/dropped", "", body.length));
        dropped.write(ByteBuffer.wrap(body, 0, 5000));
        ObjectWriter shorter = storage.writer(entry("/short", "", body.length));
        shorter.write(ByteBuffer.wrap(body, 0, 7000));
        assertEquals(body.length + 2000 + 12_000, memory().fileBytes(), "both fills in their files");
        dropped.abort();
        assertFalse(shorter.commit().join(), "fewer bytes than declared: not stored");
        assertEquals(body.length + 2000, memory().fileBytes(), "aborted and short fills freed their files");
    }

    @Test
    void theTiersReleaseIsCountedOnceHoweverOftenItComes() throws IOException {
        byte[] large = random(50_000, 4);
        assertTrue(store(entry("/once", "", large.length), large));
        TierBody body = (TierBody) found("/once").body();
        try (StoredBody.FileLease sending = body.leaseFile()) {
            body.release();
            body.release(); // a second release must not take the lease's reference
            assertArrayEquals(large, readLease(sending, large.length));
            assertTrue(((FileBody) body).isOpen());
        }
        assertFalse(((FileBody) body).isOpen(), "the lease was the last user");
        storage.remove(new CacheKey("site.example", "/once")).join(); // the tier's own release: already given
        assertEquals(0, memory().fileBytes());
    }

    /**
     * Readers along a fill that are open at its commit keep its file open through the object's removal and read it
     * whole; the file is freed when the last of them closes, and a reader opened after that reads the stored object
     * as a lookup would (here: gone).
     */
    @Test
    void readersAlongAFillHoldItsFileUntilTheLastClosesNotLonger() {
        byte[] large = random(200_000, 5);
        ObjectWriter w = storage.writer(entry("/along", "", large.length));
        StoredBody growing = w.growingBody();
        StoredBody.Reader first = growing.open(0, large.length - 1);
        StoredBody.Reader second = growing.open(100_000, 100_009);
        CompletableFuture<ByteBuffer> parked = first.next();
        w.write(ByteBuffer.wrap(large));
        assertTrue(w.commit().join());
        assertEquals(1, storage.remove(new CacheKey("site.example", "/along")).join());
        assertEquals(List.of(200_000L), sizesOfOpenFilesIn(dir), "kept for the readers open at the commit");
        assertEquals(ByteBuffer.wrap(large, 100_000, 10), second.next().join());
        assertNull(second.next().join());
        second.close();
        ByteBuffer chunk = parked.join();
        assertEquals(ByteBuffer.wrap(large, 0, 64 * 1024), chunk);
        first.close();
        assertEquals(List.of(), sizesOfOpenFilesIn(dir), "freed with the last reader");
        assertEquals(0, memory().fileBytes());
        try (StoredBody.Reader late = growing.open(0, 9)) {
            CompletionException gone = assertThrows(CompletionException.class, () -> late.next().join());
            assertTrue(gone.getCause() instanceof StoredBody.BodyDropped, gone.toString());
        }
    }

    /**
     * The memory filesystem running out of room part-way through a fill (here: past 100,000 bytes of a file) cuts
     * nobody reading it along: the file keeps the bytes it took, the rest gathers in the heap, the commit stores the
     * whole body in direct buffers and frees the partial file.
     */
    @Test
    void readersAlongAFillWhoseFileRunsOutOfRoomReadItWholeAndTheObjectIsStoredInDirectBuffers() {
        memory().failFileWritesPast(100_000);
        byte[] body = random(300_000, 6);
        ObjectWriter w = storage.writer(entry("/spilled", "", body.length));
        StoredBody.Reader whole = w.growingBody().open(0, body.length - 1);
        StoredBody.Reader range = w.growingBody().open(90_000, 159_999); // across where the file stopped
        List<CompletableFuture<ByteBuffer>> wholeReads = new ArrayList<>(List.of(whole.next(), whole.next()));
        CompletableFuture<ByteBuffer> rangeFirst = range.next();
        w.write(ByteBuffer.wrap(body, 0, 80_000));
        w.write(ByteBuffer.wrap(body, 80_000, 70_000)); // 20,000 of it go to the file, 50,000 to the heap
        assertEquals(1, memory().fileWriteFailures());
        assertTrue(wholeReads.get(0).isDone(), "chunk 0, from the file");
        w.write(ByteBuffer.wrap(body, 150_000, 150_000));
        assertTrue(w.commit().join(), "stored");
        for (int i = 0; i < 4; i++) {
            wholeReads.add(whole.next());
        }
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        for (CompletableFuture<ByteBuffer> f : wholeReads) {
            ByteBuffer b = f.join();
            if (b == null) {
                break;
            }
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            got.writeBytes(copy);
        }
        assertArrayEquals(body, got.toByteArray(), "read whole across the file, the heap and the stored body");
        java.io.ByteArrayOutputStream ranged = new java.io.ByteArrayOutputStream();
        for (ByteBuffer b = rangeFirst.join(); b != null; b = range.next().join()) {
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            ranged.writeBytes(copy);
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(body, 90_000, 160_000), ranged.toByteArray());
        whole.close();
        range.close();
        StoredObject stored = found("/spilled");
        assertNull(stored.body().leaseFile(), "in direct buffers");
        assertArrayEquals(body, read(stored, 0, body.length - 1));
        assertEquals(0, memory().fileBytes(), "the partial file is freed");
        assertEquals(List.of(), sizesOfOpenFilesIn(dir));
    }
}
