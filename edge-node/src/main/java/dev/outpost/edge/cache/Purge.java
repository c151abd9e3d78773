package dev.outpost.edge.cache;

import dev.outpost.edge.http.SurrogateKeys;
import java.util.Objects;

/**
 * One purge as storage applies it (ARCHITECTURE §4): pure data plus the matching rules. Hard
 * ({@code soft == false}) removes every matching variant; soft marks each one invalidated
 * ({@link CacheEntry#asInvalidated()}). An invalidated entry is stale however young it is
 * ({@code Reuse.invalidatedAge}): the next request revalidates it (with {@code Cache-Control: no-cache},
 * so a shield validates too), unless stale-while-revalidate lets it be served at once while it is
 * revalidated in the background; stale-if-error still applies.
 */
public sealed interface Purge {

    boolean soft();

    /** True when a stored variant at {@code key} with {@code entry} is affected. */
    boolean matches(CacheEntry entry);

    /** True when every variant of {@code key} may match (a cheap pre-filter before reading entries). */
    boolean mayMatch(CacheKey key);

    /** Every variant of one URL (any scheme). */
    record Url(CacheKey key, boolean soft) implements Purge {
        public Url {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean matches(CacheEntry entry) {
            return key.equals(entry.key());
        }

        @Override
        public boolean mayMatch(CacheKey k) {
            return key.equals(k);
        }
    }

    /** Every URL of {@code host} whose path (and query) starts with {@code pathPrefix}. */
    record Prefix(String host, String pathPrefix, boolean soft) implements Purge {
        public Prefix {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(pathPrefix, "pathPrefix");
        }

        @Override
        public boolean matches(CacheEntry entry) {
            return mayMatch(entry.key());
        }

        @Override
        public boolean mayMatch(CacheKey k) {
            return k.host().equals(host) && k.pathAndQuery().startsWith(pathPrefix);
        }
    }

    /** Every response tagged {@code tag} (see {@link SurrogateKeys}), optionally only on one host. */
    record Tag(String tag, String hostOrNull, boolean soft) implements Purge {
        public Tag {
            Objects.requireNonNull(tag, "tag");
        }

        @Override
        public boolean matches(CacheEntry entry) {
            return mayMatch(entry.key()) && SurrogateKeys.of(entry.headers()).contains(tag);
        }

        @Override
        public boolean mayMatch(CacheKey k) {
            return hostOrNull == null || k.host().equals(hostOrNull);
        }
    }

    /** Everything, or everything of one host. */
    record All(String hostOrNull, boolean soft) implements Purge {
        @Override
        public boolean matches(CacheEntry entry) {
            return mayMatch(entry.key());
        }

        @Override
        public boolean mayMatch(CacheKey k) {
            return hostOrNull == null || k.host().equals(hostOrNull);
        }
    }
}
