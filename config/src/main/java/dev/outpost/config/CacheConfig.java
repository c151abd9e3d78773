package dev.outpost.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code cache}: storage tiers and caching policy.
 *
 * @param memory                {@code cache.memory}
 * @param disk                  {@code cache.disk}; empty (section absent) = memory only
 * @param targetedFields        {@code cache.targeted-fields}, RFC 9213 targeted cache-control fields, in order of
 *                              precedence; default {@code [CDN-Cache-Control]}
 * @param heuristic             {@code cache.heuristic}
 * @param collapse              {@code cache.collapse}
 * @param stripSurrogateHeaders {@code cache.strip-surrogate-headers}, default true
 * @param acceptEncoding        {@code cache.accept-encoding}
 */
public record CacheConfig(
        MemoryTierConfig memory,
        Optional<DiskTierConfig> disk,
        List<String> targetedFields,
        HeuristicConfig heuristic,
        CollapseConfig collapse,
        boolean stripSurrogateHeaders,
        AcceptEncodingConfig acceptEncoding) {

    public static final List<String> DEFAULT_TARGETED_FIELDS = List.of("CDN-Cache-Control");

    public CacheConfig {
        disk = Objects.requireNonNullElse(disk, Optional.empty());
        targetedFields = List.copyOf(targetedFields);
    }
}
