package dev.outpost.edge.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Streams one response body into storage while it is sent to the client. Nothing becomes visible
 * before {@link #commit()}; {@link #abort()} (or a failure, or a body over the tier's object limit)
 * leaves nothing behind. Writers never block the caller.
 *
 * <p><b>Back-pressure.</b> A tier that writes in the background (the disk tier) buffers a bounded
 * number of chunks. When its buffer reaches a high-water mark, {@link #writeQueueFull()} says so: the
 * caller should stop producing (pause the origin response) and register a {@link #drainHandler}, which
 * is called once when there is room again. A caller that keeps writing regardless fills the buffer to
 * its hard bound, and the writer then gives the object up ({@link #isAbandoned()}) rather than block
 * or buffer without bound. This is the Vert.x {@code WriteStream} protocol without Vert.x types, so
 * storage stays free of them.
 */
public interface ObjectWriter {

    /** Appends a chunk; the writer copies what it keeps. Ignored once abandoned. */
    void write(ByteBuffer chunk);

    /** Makes the object visible. Completes with true when stored, false when it was abandoned. */
    CompletableFuture<Boolean> commit();

    void abort();

    boolean isAbandoned();

    /**
     * True when the caller should stop writing until the {@link #drainHandler} is called. Never true
     * once the writer is abandoned. Safe to call from any thread.
     */
    default boolean writeQueueFull() {
        return false;
    }

    /**
     * Registers {@code onDrain}, called once, on any thread (a storage thread or the caller's), when
     * the writer can take more: the queue fell below its low-water mark, or the writer was abandoned or
     * its store closed. Called at once (on the caller's thread) if there is room already, so a caller
     * that saw {@link #writeQueueFull()} can always register without a race. The handler must be quick
     * and must not write: hop to the caller's own thread first.
     */
    default void drainHandler(Runnable onDrain) {
        onDrain.run();
    }

    /**
     * True when a purge issued since this writer started matches its object, so what it writes is not to
     * be served as it is (it will be removed or invalidated at commit). Only the purge fence
     * ({@link PurgeFencedStorage}) knows; other writers answer false. Safe to call from any thread.
     */
    default boolean overtakenByPurge() {
        return false;
    }

    /**
     * The object's body while this writer stores it, for other requests to read along as it fills
     * (ARCHITECTURE §1: "the others wait or stream along"), or {@code null} when this writer offers none
     * (the default) or has given the object up (ask again before relying on a body asked for earlier). Its {@link StoredBody#length} is the entry's declared length, or -1 when that is not
     * known (a chunked response): such a body is opened from a position to its end ({@code last} =
     * {@link Long#MAX_VALUE}), and its reader's end comes with the commit. A read of bytes not yet written
     * completes once the storage has them, so a
     * reader goes at the fill's pace or its own, whichever is slower, and never holds the fill back. Reads
     * of bytes the object never gets (the writer is aborted or abandoned, the commit fails, the store
     * closes) fail with {@link StoredBody.BodyDropped}; after the commit the body reads as the stored
     * object does (and fails the same way once that is dropped). Nothing about it changes what becomes
     * visible: {@link #commit()} still decides that. Call it before the first {@link #write}; safe to read
     * from any thread. Each read of a body of known length by a reader opened before the commit ends at a
     * multiple of {@link #GROWING_BODY_CHUNK} of the body or at the reader's last byte, so that one tier's growing
     * body can take over from another's read by read (a reader opened later may read as the stored object does).
     */
    default StoredBody growingBody() {
        return null;
    }

    /** Where the reads of a {@linkplain #growingBody growing body} of known length end (see there). */
    int GROWING_BODY_CHUNK = 64 * 1024;

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
