package dev.outpost.edge.storage.memory;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A body held in memory as immutable chunks; reads are slices, never copies. The chunks live in
 * direct (off-heap) buffers: the socket writes them without first copying them out of the heap,
 * which is most of the cost of serving a 16 KiB hit (measured in load-tests/bench).
 */
final class MemoryBody implements TierBody {

    static final MemoryBody EMPTY = new MemoryBody(new byte[0][], ByteBuffer::allocateDirect);

    private final ByteBuffer[] chunks;
    private final long[] starts;
    private final long length;
    /** What {@link #heldInMemoryAs} made, with the function that made it. */
    private volatile View<?> view;

    private record View<T>(Function<List<ByteBuffer>, T> of, T value) {
    }

    /**
     * Copies {@code heapChunks} off-heap with {@code allocateDirect} ({@link ByteBuffer#allocateDirect}
     * outside tests).
     *
     * @throws DirectMemoryExhausted when the JVM's direct memory limit is reached (the buffers already
     *                               allocated are left to the garbage collector)
     */
    MemoryBody(byte[][] heapChunks, IntFunction<ByteBuffer> allocateDirect) {
        this.chunks = new ByteBuffer[heapChunks.length];
        this.starts = new long[heapChunks.length];
        long pos = 0;
        for (int i = 0; i < heapChunks.length; i++) {
            ByteBuffer direct;
            try {
                direct = allocateDirect.apply(heapChunks[i].length);
            } catch (OutOfMemoryError e) {
                throw new DirectMemoryExhausted(e);
            }
            direct.put(heapChunks[i]).flip();
            chunks[i] = direct;
            starts[i] = pos;
            pos += heapChunks[i].length;
        }
        this.length = pos;
    }

    @Override
    public long length() {
        return length;
    }

    /**
     * Heap a {@linkplain #heldInMemoryAs view} of this body may take once made (the serving layer's wrappers:
     * a read-only duplicate, two Netty wrappers and their slice, about 300 bytes a chunk by their object
     * sizes), counted in the tier's weight from the start so that the bound holds for small objects too.
     */
    @Override
    public long heapBytes() {
        return VIEW_BYTES_PER_CHUNK * chunks.length;
    }

    /** Nothing to do: the direct buffers are freed with the body, by the garbage collector. */
    @Override
    public void release() {
    }

    private static final long VIEW_BYTES_PER_CHUNK = 320;

    @Override
    public Reader open(long first, long last) {
        if (first < 0 || last >= length || first > last + 1) {
            throw new IndexOutOfBoundsException("range " + first + "-" + last + " of " + length);
        }
        return new Reader() {
            long pos = first;

            @Override
            public CompletableFuture<ByteBuffer> next() {
                if (pos > last) {
                    return CompletableFuture.completedFuture(null);
                }
                int i = chunkIndex(pos);
                int offset = (int) (pos - starts[i]);
                int len = (int) Math.min(chunks[i].capacity() - offset, last - pos + 1);
                pos += len;
                ByteBuffer view = chunks[i].duplicate();
                view.limit(offset + len).position(offset);
                return CompletableFuture.completedFuture(view.slice());
            }

            @Override
            public void close() {
                pos = last + 1;
            }
        };
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T heldInMemoryAs(Function<List<ByteBuffer>, T> of) {
        View<?> made = view;
        if (made != null && made.of() == of) {
            return (T) made.value();
        }
        T value = of.apply(Arrays.stream(chunks).map(ByteBuffer::asReadOnlyBuffer).toList());
        if (made == null) {
            view = new View<>(of, value); // two threads may both make it: either copy is right
        }
        return value;
    }

    private int chunkIndex(long pos) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= pos) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** {@code allocateDirect} failed: direct memory ({@code -XX:MaxDirectMemorySize}) is used up. */
    static final class DirectMemoryExhausted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DirectMemoryExhausted(OutOfMemoryError cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
