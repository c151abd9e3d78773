package dev.outpost.edge.storage.memory;

import dev.outpost.edge.storage.StoredBody;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The memory tier's body of an object while its fill streams in ({@link
 * dev.outpost.edge.storage.ObjectWriter#growingBody}; ARCHITECTURE §1, "the others wait or stream along"): what
 * Varnish's streaming delivery and Traffic Server's read-while-writer give requests that arrive while an object
 * is being fetched, for an edge without a disk tier. Offered for bodies of known length only: a chunked body may
 * turn out larger than the tier takes, and its readers would then be cut where they could have been answered by
 * the origin.
 *
 * <p><b>Where the bytes are.</b> The writer gathers a body in heap chunks (each published here when complete),
 * and from {@code file-min-size} on in its file of the memory filesystem, which then holds every byte from the
 * first (published here as appended). Should a write to the file fail (the memory filesystem is full), the file
 * keeps the bytes it has and the rest gathers in heap chunks after them ({@link #fileFailed}): the object is
 * then stored in direct buffers, and nobody reading along is cut. Once the object is stored, readers read the
 * stored body ({@link #complete}), not the fill's copies. Readers read in 64 KiB chunks aligned on the body, so
 * readers that began at different positions still ask for the same chunks; the last few chunks read are kept
 * while readers are open, so a crowd along one fill copies each chunk once, not once per reader. A read of a
 * chunk not written yet is parked and completed, on the writer's thread, when the chunk is (the last, partial
 * one with the commit).
 *
 * <p><b>Lifetime.</b> Once every byte is there ({@link #complete}), the readers open then read to their end
 * whatever the tier does with the object meanwhile (a purge that overtook the fill, an eviction, a refused
 * insert): this body keeps the stored body (and a lease on its file) until the last of them closes, as a heap
 * copy's readers finish with the old body. Readers opened after that read the stored body, as a lookup would.
 * A fill given up before its end ({@link #drop}: aborted, shorter than declared, the tier closed) fails parked and
 * later reads with {@link BodyDropped}: a response cut short, never a wrong one.
 *
 * <p>Not counted in the tier's byte bound, as fills in flight are not: what it holds beyond the fill's own bytes
 * is at most {@value #SHARED_CHUNKS} chunks while readers are open, and the stored body for readers still open
 * after it was dropped from the tier.
 */
final class GrowingMemoryBody implements StoredBody {

    static final int CHUNK = dev.outpost.edge.storage.ObjectWriter.GROWING_BODY_CHUNK;
    /** Chunks kept for readers that ask for them after another did. */
    private static final int SHARED_CHUNKS = 4;

    private final String url;
    private final long length;
    /** Called once with this body when the fill is over (complete or dropped): the tier forgets it. */
    private final Consumer<GrowingMemoryBody> onFillOver;

    /** Guarded by this: bytes written so far (published here). */
    private long written;
    /** Guarded by this: the body's file once it has one, holding its bytes {@code 0..fileBytes-1}; else null. */
    private FileChannel file;
    /** Guarded by this: bytes in {@link #file}. */
    private long fileBytes;
    /** Guarded by this: heap chunks holding the body's bytes from {@link #heapStart} on (none while the file takes them). */
    private final List<byte[]> heap = new ArrayList<>();
    /** Guarded by this: where {@link #heap} starts: 0, or where the file stopped taking bytes. */
    private long heapStart;
    /** Guarded by this: every byte is there. */
    private boolean complete;
    /** Guarded by this: what the tier stored at the commit (null: nothing, e.g. direct memory was short). */
    private TierBody stored;
    /** Guarded by this: the stored body's file, for the readers still open at the commit; else null. */
    private FileLease lease;
    /** Guarded by this: bumped when the readers' source changes (the commit): a read of the old one is retried. */
    private int sourceVersion;
    /** Guarded by this: complete, and the readers open at the commit are done: later ones read {@link #stored}. */
    private boolean released;
    /** Guarded by this: why the body will never be complete, once it will not. */
    private String dropped;
    /** Guarded by this: readers not closed yet. */
    private int readers;
    /** Guarded by this: chunks copied out of the heap chunks or the file (tests: once for a crowd of readers). */
    private long chunkCopies;
    /** Guarded by this: reads of chunks not written yet. */
    private final List<ParkedRead> parked = new ArrayList<>();
    /** Guarded by this: the last {@link #SHARED_CHUNKS} chunks read, least recently asked for first. */
    private final Map<Integer, ByteBuffer> recentChunks = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, ByteBuffer> eldest) {
            return size() > SHARED_CHUNKS;
        }
    };

    /** Bytes {@code from..to-1} of chunk {@code chunk}, for {@code reader}. */
    private record ParkedRead(Object reader, int chunk, int from, int to, CompletableFuture<ByteBuffer> result) {
    }

    /**
     * Where a chunk's bytes are read from, taken under the lock and read outside it: the stored body ({@code
     * stored}, read from {@code file} when it is a file), or the fill's copies ({@code file} for bytes before
     * {@code fileBytes}, {@code heap} from {@code heapStart} on).
     */
    private record Source(int version, TierBody stored, FileChannel file, long fileBytes, List<byte[]> heap,
            long heapStart) {
    }

    GrowingMemoryBody(String url, long length, Consumer<GrowingMemoryBody> onFillOver) {
        if (length < 0) {
            throw new IllegalArgumentException("a growing memory body needs its length");
        }
        this.url = url;
        this.length = length;
        this.onFillOver = onFillOver;
    }

    @Override
    public long length() {
        return length;
    }

    // ---------------------------------------------------------------- the writer's side (one thread)

    /** The writer gathered {@code chunk} (the next bytes of the body, kept unchanged from now on) in the heap. */
    void heapChunk(byte[] chunk) {
        List<ParkedRead> ready;
        synchronized (this) {
            if (dropped != null || complete) {
                return;
            }
            heap.add(chunk);
            written += chunk.length;
            ready = takeReady();
        }
        serve(ready);
    }

    /** The body moved to {@code channel}, which holds its first {@code bytes} bytes (all written so far). */
    void fileStarted(FileChannel channel, long bytes) {
        List<ParkedRead> ready;
        synchronized (this) {
            if (dropped != null || complete) {
                return;
            }
            file = channel;
            fileBytes = bytes;
            written = bytes;
            heap.clear(); // the file has them
            heapStart = bytes;
            ready = takeReady();
        }
        serve(ready);
    }

    /** The body's file holds its first {@code bytes} bytes. */
    void fileAppended(long bytes) {
        List<ParkedRead> ready;
        synchronized (this) {
            if (dropped != null || complete || bytes == fileBytes) {
                return;
            }
            fileBytes = bytes;
            written = bytes;
            heapStart = bytes;
            ready = takeReady();
        }
        serve(ready);
    }

    /**
     * A write to the body's file failed: the file keeps the bytes it has ({@code fileBytes}, all written so far)
     * and is read for them; the next bytes come as heap chunks.
     */
    void fileFailed(long bytes) {
        synchronized (this) {
            if (dropped != null || complete) {
                return;
            }
            fileBytes = bytes;
            written = bytes;
            heapStart = bytes;
        }
    }

    /**
     * Every byte is written (the last heap chunk published first); {@code storedBody} is what the tier keeps, or
     * null. Called before the tier inserts it, so that a file body is still held when the readers' lease is taken.
     */
    void complete(TierBody storedBody) {
        List<ParkedRead> ready;
        synchronized (this) {
            if (dropped != null || complete) {
                return;
            }
            complete = true;
            stored = storedBody;
            if (readers == 0) {
                releaseSources();
            } else if (storedBody != null) { // the readers read it from now on, not the fill's copies
                lease = storedBody.leaseFile(); // a file body stays open until the last reader closes
                heap.clear();
                file = null;
                sourceVersion++;
            }
            ready = takeReady();
        }
        onFillOver.accept(this);
        serve(ready);
    }

    /** The body will never be complete: parked and later reads fail. Does nothing once it is complete. */
    void drop(String why) {
        List<ParkedRead> failed;
        synchronized (this) {
            if (dropped != null || complete) {
                return;
            }
            dropped = why;
            failed = new ArrayList<>(parked);
            parked.clear();
            recentChunks.clear();
            heap.clear();
            file = null; // the writer discards it
        }
        onFillOver.accept(this);
        for (ParkedRead p : failed) {
            p.result().completeExceptionally(dropped());
        }
    }

    synchronized long chunkCopies() {
        return chunkCopies;
    }

    /** Bytes of heap chunks held now (tests: none once the readers moved to the stored body). */
    synchronized long heapBytesHeld() {
        long n = 0;
        for (byte[] chunk : heap) {
            n += chunk.length;
        }
        return n;
    }

    boolean isDropped() {
        synchronized (this) {
            return dropped != null;
        }
    }

    // ---------------------------------------------------------------- readers (any thread)

    @Override
    public Reader open(long first, long last) {
        if (first < 0 || last >= length || first > last + 1) {
            throw new IndexOutOfBoundsException("range " + first + "-" + last + " of " + length);
        }
        TierBody after;
        synchronized (this) {
            if (!released) {
                readers++;
                return new ChunkReader(first, last);
            }
            after = stored;
        }
        if (after == null) {
            return failing(new BodyDropped("object " + url + " was not stored by the memory tier"));
        }
        return after.open(first, last);
    }

    private final class ChunkReader implements Reader {
        private long pos;
        private final long last;
        private boolean closed;

        ChunkReader(long first, long last) {
            this.pos = first;
            this.last = last;
        }

        @Override
        public CompletableFuture<ByteBuffer> next() {
            if (closed || pos > last) {
                return CompletableFuture.completedFuture(null);
            }
            int chunk = (int) (pos / CHUNK);
            long chunkStart = (long) chunk * CHUNK;
            int from = (int) (pos - chunkStart);
            int to = (int) Math.min(CHUNK, last - chunkStart + 1);
            pos = chunkStart + to;
            return read(this, chunk, from, to);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (GrowingMemoryBody.this) {
                parked.removeIf(p -> p.reader() == this);
                if (--readers == 0) {
                    recentChunks.clear(); // nobody left to share them with
                    if (complete) {
                        releaseSources();
                    }
                }
            }
        }
    }

    private CompletableFuture<ByteBuffer> read(Object reader, int chunk, int from, int to) {
        synchronized (this) {
            if (dropped != null) {
                return CompletableFuture.failedFuture(dropped());
            }
            if (!isWritten(chunk)) {
                CompletableFuture<ByteBuffer> later = new CompletableFuture<>();
                parked.add(new ParkedRead(reader, chunk, from, to, later));
                return later;
            }
        }
        return readWritten(chunk, from, to);
    }

    /** Guarded by this. */
    private boolean isWritten(int chunk) {
        return complete || written >= Math.min((long) (chunk + 1) * CHUNK, length);
    }

    /** Guarded by this: the parked reads whose chunks are written now, taken off the list. */
    private List<ParkedRead> takeReady() {
        if (parked.isEmpty()) {
            return List.of();
        }
        List<ParkedRead> ready = new ArrayList<>();
        for (Iterator<ParkedRead> it = parked.iterator(); it.hasNext(); ) {
            ParkedRead p = it.next();
            if (isWritten(p.chunk())) {
                ready.add(p);
                it.remove();
            }
        }
        return ready;
    }

    private void serve(List<ParkedRead> ready) {
        for (ParkedRead p : ready) {
            readWritten(p.chunk(), p.from(), p.to()).whenComplete((b, err) -> {
                if (err != null) {
                    p.result().completeExceptionally(err);
                } else {
                    p.result().complete(b);
                }
            });
        }
    }

    /**
     * Bytes {@code from..to-1} of a written chunk: a slice of the chunk as read once for every reader. A read that
     * finds its source closed because the commit switched the readers to the stored body is read again from it.
     */
    private CompletableFuture<ByteBuffer> readWritten(int chunk, int from, int to) {
        ByteBuffer bytes;
        for (int attempt = 0; ; attempt++) {
            Source source;
            synchronized (this) {
                bytes = recentChunks.get(chunk);
                if (bytes != null) {
                    break;
                }
                if (dropped != null) {
                    return CompletableFuture.failedFuture(dropped());
                }
                source = new Source(sourceVersion, stored != null && !released ? stored : null,
                        lease != null ? lease.channel() : file, fileBytes, List.copyOf(heap), heapStart);
            }
            try {
                bytes = copyChunk(chunk, source);
            } catch (IOException | RuntimeException e) {
                boolean moved;
                synchronized (this) {
                    moved = sourceVersion != source.version();
                }
                if (moved && attempt == 0) {
                    continue;
                }
                return CompletableFuture.failedFuture(isDropped() || e instanceof ClosedChannelException
                        ? dropped() : e instanceof IOException io ? new UncheckedIOException(io) : e);
            }
            synchronized (this) {
                chunkCopies++;
                if (readers > 0 && dropped == null) {
                    recentChunks.put(chunk, bytes);
                }
            }
            break;
        }
        return CompletableFuture.completedFuture(bytes.duplicate().limit(to).position(from).slice().asReadOnlyBuffer());
    }

    private ByteBuffer copyChunk(int chunk, Source source) throws IOException {
        long start = (long) chunk * CHUNK;
        int size = (int) (Math.min(start + CHUNK, length) - start);
        if (source.stored() != null && source.file() == null) { // direct buffers: slices, no copy if in one
            return readWhole(source.stored(), start, size);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        long fileEnd = source.stored() != null ? length : source.fileBytes();
        if (source.file() != null && start < fileEnd) {
            out.limit((int) Math.min(size, fileEnd - start));
            FileBody.readFully(source.file(), out, start);
            out.limit(size);
        }
        long at = source.heapStart();
        for (byte[] piece : source.heap()) {
            long pieceEnd = at + piece.length;
            long want = start + out.position();
            if (!out.hasRemaining()) {
                break;
            }
            if (pieceEnd > want) {
                int offset = (int) (want - at);
                out.put(piece, offset, Math.min(piece.length - offset, out.remaining()));
            }
            at = pieceEnd;
        }
        if (out.hasRemaining()) {
            throw new IllegalStateException("chunk " + chunk + " of " + url + " was read before it was written");
        }
        return out.flip();
    }

    /** {@code size} bytes from {@code start} of a body that answers reads at once (direct buffers). */
    private static ByteBuffer readWhole(TierBody body, long start, int size) {
        try (Reader r = body.open(start, start + size - 1)) {
            return StoredBody.readAll(r, size).join();
        }
    }

    /** Guarded by this: the readers open at the commit are done. */
    private void releaseSources() {
        released = true;
        heap.clear();
        file = null;
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    private BodyDropped dropped() {
        String why;
        synchronized (this) {
            why = dropped;
        }
        return new BodyDropped("object " + url + " was given up by the memory tier while it was read along its fill ("
                + (why == null ? "its file was closed" : why) + ")");
    }

    private static Reader failing(RuntimeException err) {
        return new Reader() {
            @Override
            public CompletableFuture<ByteBuffer> next() {
                return CompletableFuture.failedFuture(err);
            }

            @Override
            public void close() {
            }
        };
    }
}
