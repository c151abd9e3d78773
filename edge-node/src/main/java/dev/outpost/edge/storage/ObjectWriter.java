package dev.outpost.edge.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Streams one response body into storage while it is sent to the client. Nothing becomes visible
 * before {@link #commit()}; {@link #abort()} (or a failure, or a body over the tier's object limit)
 * leaves nothing behind. Writers never block the caller: a tier that cannot keep up gives up the
 * object instead ({@link #isAbandoned()}).
 */
public interface ObjectWriter {

    /** Appends a chunk; the writer copies what it keeps. Ignored once abandoned. */
    void write(ByteBuffer chunk);

    /** Makes the object visible. Completes with true when stored, false when it was abandoned. */
    CompletableFuture<Boolean> commit();

    void abort();

    boolean isAbandoned();

    /** A writer that stores nothing. */
    ObjectWriter DISCARD = new ObjectWriter() {
        @Override
        public void write(ByteBuffer chunk) {
        }

        @Override
        public CompletableFuture<Boolean> commit() {
            return CompletableFuture.completedFuture(false);
        }

        @Override
        public void abort() {
        }

        @Override
        public boolean isAbandoned() {
            return true;
        }
    };
}
