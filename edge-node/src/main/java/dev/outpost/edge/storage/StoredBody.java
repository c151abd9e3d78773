package dev.outpost.edge.storage;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The content of a stored response, readable in chunks from any offset so that ranges read only what
 * they need. A memory body answers at once; a disk body reads off the event loop.
 */
public interface StoredBody {

    long length();

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

    interface Reader extends AutoCloseable {
        /**
         * The next chunk (a read-only buffer the caller must not keep), or {@code null} at the end (an
         * already completed future). A caller may ask for the next chunk before the previous one
         * arrived (read-ahead): each call moves on by one chunk at once and the futures complete
         * independently, each with its own chunk or failure.
         */
        CompletableFuture<ByteBuffer> next();

        @Override
        void close();
    }
}
