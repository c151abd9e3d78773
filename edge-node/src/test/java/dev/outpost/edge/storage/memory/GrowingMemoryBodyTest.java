package dev.outpost.edge.storage.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.storage.StoredBody;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory tier's body of a fill in progress, driven as its writer drives it: what the storage contract cannot
 * see from outside (chunks copied once for a crowd, a body moving from the heap to its file mid-read, readers
 * closed while parked). The contract's growing-body tests run against the tier itself.
 */
class GrowingMemoryBodyTest {

    private static final int CHUNK = GrowingMemoryBody.CHUNK;

    @TempDir
    Path dir;

    private final AtomicInteger fillsOver = new AtomicInteger();

    private static byte[] payload(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        return b;
    }

    private GrowingMemoryBody body(long length) {
        return new GrowingMemoryBody("site.example/x", length, body -> fillsOver.incrementAndGet());
    }

    private static byte[] drain(List<CompletableFuture<ByteBuffer>> reads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CompletableFuture<ByteBuffer> f : reads) {
            ByteBuffer b = f.join();
            if (b == null) {
                break;
            }
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            out.writeBytes(copy);
        }
        return out.toByteArray();
    }

    @Test
    void aCrowdAlongOneFillCopiesEachChunkOnce() {
        byte[] data = payload(150_000); // three chunks, the last partial
        GrowingMemoryBody growing = body(data.length);
        List<StoredBody.Reader> readers = new ArrayList<>();
        List<List<CompletableFuture<ByteBuffer>>> reads = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            StoredBody.Reader r = growing.open(0, data.length - 1);
            readers.add(r);
            reads.add(new ArrayList<>(List.of(r.next()))); // parked on chunk 0
        }
        growing.heapChunk(Arrays.copyOfRange(data, 0, 70_000)); // the writer's chunks are not aligned on CHUNK
        for (int i = 0; i < 20; i++) {
            assertTrue(reads.get(i).get(0).isDone(), "chunk 0 is written");
            reads.get(i).add(readers.get(i).next()); // chunk 1: parked
        }
        growing.heapChunk(Arrays.copyOfRange(data, 70_000, 140_000));
        growing.heapChunk(Arrays.copyOfRange(data, 140_000, data.length));
        growing.complete(null);
        for (int i = 0; i < 20; i++) {
            reads.get(i).add(readers.get(i).next());
            reads.get(i).add(readers.get(i).next());
            assertArrayEquals(data, drain(reads.get(i)), "reader " + i);
            readers.get(i).close();
        }
        assertEquals(3, growing.chunkCopies(), "one copy of each chunk for twenty readers (sixty without sharing)");
        assertEquals(1, fillsOver.get());
    }

    @Test
    void aBodyMovingFromTheHeapToItsFileIsReadAcrossTheMove() throws IOException {
        byte[] data = payload(200_000);
        GrowingMemoryBody growing = body(data.length);
        StoredBody.Reader r = growing.open(10, data.length - 1);
        List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>(List.of(r.next()));
        growing.heapChunk(Arrays.copyOfRange(data, 0, 66_000));
        assertTrue(reads.get(0).isDone(), "chunk 0 from the heap");
        reads.add(r.next()); // chunk 1: parked
        try (FileChannel file = FileChannel.open(dir.resolve("body"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(data, 0, 100_000), 0); // the writer moved what it had, and more came
            growing.fileStarted(file, 100_000);
            assertFalse(reads.get(1).isDone(), "chunk 1 ends at 131,072");
            file.write(ByteBuffer.wrap(data, 100_000, 100_000), 100_000);
            growing.fileAppended(200_000);
            assertTrue(reads.get(1).isDone());
            reads.add(r.next());
            reads.add(r.next());
            reads.add(r.next());
            assertArrayEquals(Arrays.copyOfRange(data, 10, data.length), drain(reads));
            assertNull(reads.get(4).join(), "the end");
        }
        r.close();
    }

    @Test
    void aReaderClosedWhileParkedIsNotServedAndTheLastCloseReleasesTheBody() {
        byte[] data = payload(100_000);
        GrowingMemoryBody growing = body(data.length);
        StoredBody.Reader gone = growing.open(0, data.length - 1);
        CompletableFuture<ByteBuffer> parked = gone.next();
        gone.close();
        growing.heapChunk(Arrays.copyOfRange(data, 0, 70_000));
        assertFalse(parked.isDone(), "a closed reader's read is forgotten");
        growing.heapChunk(Arrays.copyOfRange(data, 70_000, data.length));
        growing.complete(null); // nothing stored (e.g. direct memory short), nobody reading
        try (StoredBody.Reader late = growing.open(0, 9)) {
            CompletionException e = assertThrows(CompletionException.class, () -> late.next().join());
            assertTrue(e.getCause() instanceof StoredBody.BodyDropped, e.toString());
        }
    }

    @Test
    void readersOpenAtTheEndFinishFromTheHeapThoughNothingWasStored() {
        byte[] data = payload(100_000);
        GrowingMemoryBody growing = body(data.length);
        StoredBody.Reader r = growing.open(0, data.length - 1);
        List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>(List.of(r.next(), r.next(), r.next()));
        growing.heapChunk(data);
        growing.complete(null); // the tier could not hold it: the bytes are all here, the reader finishes
        assertArrayEquals(data, drain(reads));
        r.close();
    }

    @Test
    void aDroppedFillFailsParkedAndLaterReadsAndIgnoresWhatComesAfter() {
        byte[] data = payload(100_000);
        GrowingMemoryBody growing = body(data.length);
        StoredBody.Reader r = growing.open(0, data.length - 1);
        CompletableFuture<ByteBuffer> parked = r.next();
        growing.drop("its fill was given up");
        growing.heapChunk(data);
        growing.complete(null);
        CompletionException e = assertThrows(CompletionException.class, parked::join);
        assertTrue(e.getCause() instanceof StoredBody.BodyDropped && e.getCause().getMessage().contains("given up"),
                e.toString());
        assertThrows(CompletionException.class, () -> r.next().join());
        assertTrue(growing.isDropped());
        assertEquals(1, fillsOver.get(), "over once");
        r.close();
    }

    /** Once stored, the readers read the stored body and the fill's heap copy is let go (not held twice). */
    @Test
    void readersMoveToTheStoredBodyAtTheCommitAndTheHeapCopyIsLetGo() {
        byte[] data = payload(200_000);
        GrowingMemoryBody growing = body(data.length);
        StoredBody.Reader r = growing.open(0, data.length - 1);
        List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>(List.of(r.next()));
        growing.heapChunk(Arrays.copyOfRange(data, 0, 70_000));
        growing.heapChunk(Arrays.copyOfRange(data, 70_000, data.length));
        assertEquals(data.length, growing.heapBytesHeld());
        growing.complete(new MemoryBody(new byte[][] {Arrays.copyOfRange(data, 0, 100_000),
                Arrays.copyOfRange(data, 100_000, data.length)}, ByteBuffer::allocateDirect));
        assertEquals(0, growing.heapBytesHeld(), "the stored body serves the readers from here");
        for (int i = 0; i < 4; i++) {
            reads.add(r.next());
        }
        assertArrayEquals(data, drain(reads), "chunk 1 spans the stored body's two buffers");
        r.close();
    }
}
