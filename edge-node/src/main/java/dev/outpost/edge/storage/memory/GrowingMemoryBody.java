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
 * first (published here as appended). Readers read in 64 KiB chunks aligned on the body, so readers that began at
 * different positions still ask for the same chunks; the last few chunks read are kept while readers are open, so
 * a crowd along one fill copies each chunk once, not once per reader. A read of a chunk not written yet is parked
 * and completed, on the writer's thread, when the chunk is (the last, partial one with the commit).
 *
 * <p><b>Lifetime.</b> Once every byte is there ({@link #complete}), the readers open then read to their end
 * whatever the tier does with the object meanwhile (a purge that overtook the fill, an eviction, a refused
 * insert): this body keeps the heap chunks and a lease on the file until the last of them closes, as a heap
 * copy's readers finish with the old body. Readers opened after that read the stored body, as a lookup would.
 * A fill given up before its end ({@link #drop}: aborted, shorter than declared, the tier closed) fails parked and
 * later reads with {@link BodyDropped}: a response cut short, never a wrong one.
 *
 * <p>Not counted in the tier's byte bound, as fills in flight are not: what it holds beyond the fill's own bytes
 * is at most {@value #SHARED_CHUNKS} chunks while readers are open, and the body's bytes for readers still open
 * after the commit.
 */
final class GrowingMemoryBody implements StoredBody {

    static final int CHUNK = 64 * 1024;
    /** Chunks kept for readers that ask for them after another did. */
    private static final int SHARED_CHUNKS = 4;

    private final String url;
    private final long length;
    /** Called once when the fill is over (complete or dropped): the tier forgets this body. */
    private final Runnable onFillOver;

    /** Guarded by this: the body's first bytes in heap chunks, while it has no file. */
    private final List<byte[]> heap = new ArrayList<>();
    /** Guarded by this: bytes in {@link #heap}. */
    private long heapBytes;
    /** Guarded by this: the body's file once it has one (it then holds every byte from 0), else null. */
    private FileChannel file;
    /** Guarded by this: bytes in {@link #file}. */
    private long fileBytes;
    /** Guarded by this: every byte is there. */
    private boolean complete;
    /** Guarded by this: what the tier stored at the commit (null: nothing, e.g. direct memory was short). */
    private TierBody stored;
    /** Guarded by this: keeps {@link #file} open for the readers still open at the commit. */
    private FileLease lease;
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

    /** Where a chunk's bytes are read from, taken under the lock and read outside it. */
    private record Source(FileChannel file, List<byte[]> heap) {
    }

    GrowingMemoryBody(String url, long length, Runnable onFillOver) {
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
            if (dropped != null || complete || file != null) {
                return;
            }
            heap.add(chunk);
            heapBytes += chunk.length;
            ready = takeReady();
        }
        serve(ready);
    }

    /** The body moved to {@code channel}, which holds its first {@code bytes} bytes. */
    void fileStarted(FileChannel channel, long bytes) {
        List<ParkedRead> ready;
        synchronized (this) {
            if (dropped != null || complete) {
                return;
            }
            file = channel;
            fileBytes = bytes;
            heap.clear(); // the file has them
            heapBytes = 0;
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
            ready = takeReady();
        }
        serve(ready);
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
            } else if (file != null && storedBody != null) {
                lease = storedBody.leaseFile(); // the same file: it stays open until the last reader closes
            }
            ready = takeReady();
        }
        onFillOver.run();
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
        onFillOver.run();
        for (ParkedRead p : failed) {
            p.result().completeExceptionally(dropped());
        }
    }

    synchronized long chunkCopies() {
        return chunkCopies;
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
        long end = Math.min((long) (chunk + 1) * CHUNK, length);
        return complete || (file != null ? fileBytes : heapBytes) >= end;
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

    /** Bytes {@code from..to-1} of a written chunk: a slice of the chunk as read once for every reader. */
    private CompletableFuture<ByteBuffer> readWritten(int chunk, int from, int to) {
        ByteBuffer bytes;
        Source source;
        synchronized (this) {
            bytes = recentChunks.get(chunk);
            source = bytes != null ? null : new Source(file, file != null ? null : List.copyOf(heap));
        }
        if (bytes == null) {
            try {
                bytes = copyChunk(chunk, source);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(isDropped() || e instanceof ClosedChannelException
                        ? dropped() : new UncheckedIOException(e));
            }
            synchronized (this) {
                chunkCopies++;
                if (readers > 0 && dropped == null) {
                    recentChunks.put(chunk, bytes);
                }
            }
        }
        return CompletableFuture.completedFuture(bytes.duplicate().limit(to).position(from).slice().asReadOnlyBuffer());
    }

    private ByteBuffer copyChunk(int chunk, Source source) throws IOException {
        long start = (long) chunk * CHUNK;
        ByteBuffer out = ByteBuffer.allocate((int) (Math.min(start + CHUNK, length) - start));
        if (source.file() != null) {
            while (out.hasRemaining()) {
                if (source.file().read(out, start + out.position()) < 0) {
                    throw new IOException("the body's file of " + url + " ended at " + (start + out.position()));
                }
            }
            return out.flip();
        }
        long at = 0;
        for (byte[] piece : source.heap()) {
            long pieceEnd = at + piece.length;
            long want = start + out.position();
            if (pieceEnd > want) {
                int offset = (int) (want - at);
                out.put(piece, offset, Math.min(piece.length - offset, out.remaining()));
                if (!out.hasRemaining()) {
                    break;
                }
            }
            at = pieceEnd;
        }
        if (out.hasRemaining()) {
            throw new IllegalStateException("chunk " + chunk + " of " + url + " was read before it was written");
        }
        return out.flip();
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
