package dev.outpost.edge.storage.disk;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps {@code min-free} bytes free on the disk store's volume, as nginx's {@code proxy_cache_path min_free}
 * does. RocksDB must never meet a full disk: a failed WAL append leaves the database read-only until it is
 * reopened, and flushes and compactions need room of their own. So the write thread asks this guard before
 * storing (at an object's first chunk and every 1 MiB after): below the threshold the object is not stored
 * (the client's response is unaffected) and the store shrinks its bound once per episode so that eviction
 * makes room; when the free space is back the bound is restored.
 *
 * <p>Each check is one {@code statvfs} on the write thread, never on an event loop.
 */
final class FreeSpaceGuard {

    /** What the write thread should do after a check. */
    enum Change { NONE, BECAME_SHORT, RECOVERED }

    private final FileStore volume;
    private final long minFree;
    /** Written by the write thread; volatile so that other threads may read it ({@link #isShort}). */
    private volatile boolean isShort;
    private volatile long lastUsable = -1;

    private FreeSpaceGuard(FileStore volume, long minFree) {
        this.volume = volume;
        this.minFree = minFree;
    }

    /** A guard for the volume holding {@code dir}; {@code minFree <= 0} disables it. */
    static FreeSpaceGuard forDirectory(Path dir, long minFree) throws IOException {
        return new FreeSpaceGuard(minFree > 0 ? Files.getFileStore(dir) : null, minFree);
    }

    /** Write thread: checks the free space now. An I/O error reading it counts as no change. */
    Change check() {
        if (volume == null) {
            return Change.NONE;
        }
        long usable;
        try {
            usable = volume.getUsableSpace();
        } catch (IOException e) {
            return Change.NONE;
        }
        lastUsable = usable;
        boolean nowShort = usable < minFree;
        if (nowShort == isShort) {
            return Change.NONE;
        }
        isShort = nowShort;
        return nowShort ? Change.BECAME_SHORT : Change.RECOVERED;
    }

    /** The last check found less than min-free (any thread; checks run on the write thread). */
    boolean isShort() {
        return isShort;
    }

    long minFree() {
        return minFree;
    }

    /** Free bytes at the last check (-1 before the first one, or when disabled). */
    long lastUsable() {
        return lastUsable;
    }
}
