package dev.outpost.config;

/**
 * {@code node}: who this edge is.
 *
 * @param id     {@code node.id}, required: a name like {@code edge-eu-1} ({@code [A-Za-z][A-Za-z0-9._-]*}); also
 *               the cache name in {@code Cache-Status}
 * @param region {@code node.region}, same syntax; default {@code "default"}
 */
public record NodeConfig(String id, String region) {
}
