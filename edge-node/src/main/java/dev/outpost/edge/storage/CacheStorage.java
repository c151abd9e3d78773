package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one storage interface (ARCHITECTURE §3), implemented by the memory tier, the disk tier and the
 * tiered combination; one contract test ({@code CacheStorageContract}) runs against each.
 *
 * <p>Storage only stores: it never decides freshness or cacheability (that is {@code http/}), and
 * how much it keeps is its own eviction policy. Lookups return every stored variant of a primary key;
 * selecting one by Vary is the caller's job.
 */
public interface CacheStorage extends AutoCloseable {

    /** Every stored variant under {@code key}, newest first; empty when none. */
    CompletableFuture<List<StoredObject>> lookup(CacheKey key);

    /**
     * The variants under {@code key} that are at hand without waiting (held in memory), as {@link #lookup}
     * would return them; empty when there are none or finding them needs I/O. Starts nothing: no read, no
     * promotion between tiers, so a caller that finds nothing here and then calls {@link #lookup} costs a
     * lower tier one lookup, not two. By default (a tier that always reads) empty.
     */
    default List<StoredObject> lookupInMemory(CacheKey key) {
        return List.of();
    }

    /**
     * Starts storing a response. An existing variant with the same variant key is replaced at commit.
     * Returns {@link ObjectWriter#DISCARD} when this storage will not take the object (e.g. its declared
     * length is over the object limit).
     */
    ObjectWriter writer(CacheEntry entry);

    /**
     * Replaces the metadata of a stored variant (after a 304, §4.3.4), leaving its body alone. Only
     * applies when the stored variant is still the same representation
     * ({@link CacheEntry#sameRepresentationAs}); completes with false otherwise or when absent.
     */
    CompletableFuture<Boolean> updateEntry(CacheEntry entry);

    /**
     * Starts a metadata update computed from an origin answer to a request about to be sent (a 304 to a
     * revalidation, a HEAD 200): call it before sending, and apply the update when the answer is in.
     * Storages that order purges ({@link PurgeFencedStorage}) make a purge issued in between win over
     * the update (the answer may predate the purge); by default it is {@link #updateEntry}.
     */
    default EntryUpdate startEntryUpdate() {
        return this::updateEntry;
    }

    /** A pending metadata update; see {@link #startEntryUpdate()}. */
    @FunctionalInterface
    interface EntryUpdate {
        /** Like {@link CacheStorage#updateEntry}. */
        CompletableFuture<Boolean> apply(CacheEntry updated);
    }

    /** Removes every variant of {@code key}; completes with how many were removed. */
    CompletableFuture<Integer> remove(CacheKey key);

    /** Removes one variant. */
    CompletableFuture<Boolean> removeVariant(CacheKey key, String variantKey);

    /**
     * Applies a purge (ARCHITECTURE §4): hard removes every matching variant, soft marks each one
     * {@link CacheEntry#invalidated() invalidated}. Idempotent. Completes with how many variants were
     * affected (a soft purge counts variants it found, invalidated already or not); a purge of everything
     * ({@link Purge.All}, O(1): a marker, see {@link PurgeMarkers}) does not visit variants and reports
     * those the storage holds, an upper bound when it is narrowed to one host.
     */
    CompletableFuture<Integer> purge(Purge purge);

    /** Stored objects (variants) right now. */
    long entryCount();

    /** Bytes accounted right now (metadata and bodies). */
    long byteSize();

    @Override
    void close();
}
