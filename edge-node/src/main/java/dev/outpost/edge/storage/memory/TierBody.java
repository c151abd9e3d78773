package dev.outpost.edge.storage.memory;

import dev.outpost.edge.storage.StoredBody;

/** A body as the memory tier holds it: in direct buffers ({@link MemoryBody}) or in a file ({@link FileBody}). */
sealed interface TierBody extends StoredBody permits MemoryBody, FileBody {

    /** Heap this body takes besides its bytes, counted in the tier's weight from the start. */
    long heapBytes();

    /** The tier no longer holds this body (replaced, evicted, purged, closed); called once per body. */
    void release();
}
