package dev.outpost.edge.storage;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The content of a stored response, readable in chunks from any offset so that ranges read only what
 * they need. A memory body answers at once; a disk body reads off the event loop.
 */
public interface StoredBody {

    long length();

    /** Whether this body is read from a disk (the tier a response served from it is counted under). */
    default boolean onDisk() {
        return false;
    }

    /** A reader over bytes {@code first..last} inclusive. */
    Reader open(long first, long last);

    /**
     * For a body held in memory: its chunks, in order, as {@code view} turns them into something the
     * caller writes many times (e.g. the socket layer's own buffers); the view is made once and kept with
     * the body, so it lives exactly as long as the body does. {@code view} is called with read-only
     * buffers that stay valid as long as the body; it must be one constant function (a different one gets
     * its own view, not kept). {@code null} for a body that must be {@linkplain #open read}.
     */
    default <T> T heldInMemoryAs(Function<List<ByteBuffer>, T> view) {
        return null;
    }

    /**
     * For a body held in a file of a memory filesystem: a lease on that file, for a send straight from it
     * (e.g. {@code sendfile(2)}) or to keep the body readable while a request may still serve it; or
     * {@code null} for a body that is not so held, or no longer is (dropped from its tier and no longer in
     * use since it was looked up). The bytes stay valid until the lease is closed, whatever happens to
     * the body meanwhile; the caller must close it when done (closing again does nothing).
     */
    default FileLease leaseFile() {
        return null;
    }

    /** See {@link #leaseFile}. */
    interface FileLease extends AutoCloseable {
        /** The file; the body's bytes are at positions {@code 0..length-1}. Not to be closed by the caller. */
        FileChannel channel();

        /** Ends the lease; further calls do nothing. */
        @Override
        void close();
    }

    /**
     * A body's bytes are gone: its tier dropped it (evicted, purged, replaced) after it was looked up and
     * before it was read, and nothing held it. Not a storage fault: nothing is wrong with what is stored.
     */
    final class BodyDropped extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public BodyDropped(String message) {
            super(message);
        }
    }

    /**
     * Reads {@code reader} to its end as one buffer of {@code length} bytes: its one read as it is when that is
     * all of them, else its reads joined. Fails as {@link BodyDropped} when the reader ends short. Does not close it.
     */
    static CompletableFuture<ByteBuffer> readAll(Reader reader, int length) {
        return readInto(reader, null, length);
    }

    private static CompletableFuture<ByteBuffer> readInto(Reader reader, ByteBuffer into, int length) {
        return reader.next().thenCompose(b -> {
            if (b == null) {
                return into != null && !into.hasRemaining() ? CompletableFuture.completedFuture(into.flip())
                        : CompletableFuture.failedFuture(new BodyDropped("a body ended before " + length + " bytes"));
            }
            if (into == null && b.remaining() == length) {
                return CompletableFuture.completedFuture(b);
            }
            ByteBuffer joined = into != null ? into : ByteBuffer.allocate(length);
            joined.put(b);
            return readInto(reader, joined, length);
        });
    }

    /** Reads a body; must be closed, exactly once, whether it was read to the end or not. */
    interface Reader extends AutoCloseable {
        /**
         * The next chunk (a read-only buffer the caller must not keep), or {@code null} at the end (an
         * already completed future; for a {@linkplain dev.outpost.edge.storage.ObjectWriter#growingBody growing
         * body} of unknown length, one that completes when the end is known). A caller may ask for the next chunk before the previous one
         * arrived (read-ahead): each call moves on by one chunk at once and the futures complete
         * independently, each with its own chunk or failure.
         */
        CompletableFuture<ByteBuffer> next();

        @Override
        void close();
    }
}
