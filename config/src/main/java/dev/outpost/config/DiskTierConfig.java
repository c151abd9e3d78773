package dev.outpost.config;

import java.nio.file.Path;

/**
 * {@code cache.disk}.
 *
 * @param path          {@code path}, required; absolute and normalized (relative paths are resolved against the
 *                      working directory); an existing writable directory or one that can be created
 * @param maxSize       {@code max-size}, bytes, required, &gt; 0
 * @param maxObjectSize {@code max-object-size}, bytes, default 1GiB (or max-size if smaller), at most max-size
 */
public record DiskTierConfig(Path path, long maxSize, long maxObjectSize) {
}
