package dev.outpost.config;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * {@code cache.disk}.
 *
 * @param path          {@code path}, required; absolute and normalized (relative paths are resolved against the
 *                      working directory); an existing writable directory or one that can be created
 * @param maxSize       {@code max-size}, bytes, required, &gt; 0
 * @param maxObjectSize {@code max-object-size}, bytes, default 1GiB (or max-size if smaller), at most max-size
 * @param minFree       {@code min-free}, bytes: free space the edge keeps on the volume (as nginx's
 *                      {@code proxy_cache_path min_free}): below it new objects are not stored and the least
 *                      useful are evicted until it is back. Empty = {@link #DEFAULT_MIN_FREE_PERCENT}% of
 *                      the volume, at least {@link #DEFAULT_MIN_FREE_FLOOR} and at most {@link #DEFAULT_MIN_FREE_CAP}
 */
public record DiskTierConfig(Path path, long maxSize, long maxObjectSize, OptionalLong minFree) {

    public static final int DEFAULT_MIN_FREE_PERCENT = 5;
    public static final long DEFAULT_MIN_FREE_FLOOR = 256L << 20;
    public static final long DEFAULT_MIN_FREE_CAP = 4L << 30;

    public DiskTierConfig {
        minFree = minFree == null ? OptionalLong.empty() : minFree;
    }

    public DiskTierConfig(Path path, long maxSize, long maxObjectSize) {
        this(path, maxSize, maxObjectSize, OptionalLong.empty());
    }

    /** The free space to keep on a volume of {@code volumeBytes}. */
    public long minFreeOn(long volumeBytes) {
        if (minFree.isPresent()) {
            return minFree.getAsLong();
        }
        long share = volumeBytes / 100 * DEFAULT_MIN_FREE_PERCENT;
        return Math.min(DEFAULT_MIN_FREE_CAP, Math.max(DEFAULT_MIN_FREE_FLOOR, share));
    }
}
