package dev.outpost.edge.storage.disk;

import java.io.IOException;

/**
 * A disk body could not be read: a chunk is missing, has the wrong length or fails its CRC32C, the
 * object was evicted while it was being read, or RocksDB failed. The caller falls back to the origin;
 * a damaged object has already been removed from the store when this is reported.
 */
public final class DiskReadException extends IOException {

    private static final long serialVersionUID = 1L;

    private final boolean corrupt;

    DiskReadException(String message, boolean corrupt, Throwable cause) {
        super(message, cause);
        this.corrupt = corrupt;
    }

    /** True when the stored object was damaged (and has been dropped), false for a transient failure. */
    public boolean corrupt() {
        return corrupt;
    }
}
