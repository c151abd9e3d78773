package dev.outpost.edge.storage.memory;

import dev.outpost.edge.storage.StoredBody;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** A body held on the heap as immutable chunks; reads are slices, never copies. */
final class MemoryBody implements StoredBody {

    static final MemoryBody EMPTY = new MemoryBody(new byte[0][]);

    private final byte[][] chunks;
    private final long[] starts;
    private final long length;

    MemoryBody(byte[][] chunks) {
        this.chunks = chunks;
        this.starts = new long[chunks.length];
        long pos = 0;
        for (int i = 0; i < chunks.length; i++) {
            starts[i] = pos;
            pos += chunks[i].length;
        }
        this.length = pos;
    }

    @Override
    public long length() {
        return length;
    }

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
                int len = (int) Math.min(chunks[i].length - offset, last - pos + 1);
                pos += len;
                return CompletableFuture.completedFuture(ByteBuffer.wrap(chunks[i], offset, len).slice().asReadOnlyBuffer());
            }

            @Override
            public void close() {
                pos = last + 1;
            }
        };
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
}
