package dev.outpost.edge.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The content of a stored response, readable in chunks from any offset so that ranges read only what
 * they need. A memory body answers at once; a disk body reads off the event loop.
 */
public interface StoredBody {

    long length();

    /** A reader over bytes {@code first..last} inclusive. */
    Reader open(long first, long last);

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
