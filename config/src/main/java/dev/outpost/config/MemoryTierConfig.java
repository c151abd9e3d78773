package dev.outpost.config;

/**
 * {@code cache.memory}.
 *
 * @param maxSize       {@code max-size}, bytes, default 256MiB, &gt; 0
 * @param maxObjectSize {@code max-object-size}, bytes, default 8MiB (or max-size if smaller), &gt; 0, at most
 *                      max-size; larger objects skip memory
 */
public record MemoryTierConfig(long maxSize, long maxObjectSize) {
}
