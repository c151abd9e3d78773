package dev.outpost.edge.cache;

/**
 * The primary cache key (RFC 9111 §2): the target URI as this cache sees it, reduced to what
 * identifies a resource. Scheme is deliberately not part of it (ARCHITECTURE §5: a purge of
 * http://a/x also purges https://a/x; an edge serves both from one object). Host is always part of
 * it: leaving it out is cache poisoning across sites. Built only by {@link CacheKeyPolicy}.
 *
 * <p>Secondary keys (Vary, §4.1) are not part of this: they select among the variants stored under
 * one primary key.
 */
public record CacheKey(String host, String pathAndQuery) {

    public CacheKey {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host is required in a cache key");
        }
        if (pathAndQuery == null || pathAndQuery.isEmpty() || pathAndQuery.charAt(0) != '/') {
            throw new IllegalArgumentException("path must start with /: " + pathAndQuery);
        }
    }

    /** A single string form, {@code host + pathAndQuery}, for logs and storage keys. */
    public String asString() {
        return host + pathAndQuery;
    }

    @Override
    public String toString() {
        return asString();
    }
}
