package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * A tier that can be fenced off (docs/purge-protocol.md, "Edge start-up and readiness"): until the
 * edge has caught up on the purges it missed, its disk tier may hold purged objects, so while
 * {@code open} says false this tier is neither read (lookups find nothing) nor written (writers discard,
 * metadata updates are refused) and requests go to the origin through the tiers above. Removals and
 * purges always pass: removing is safe at any time, and the catch-up itself purges through here.
 */
public final class FencedTier extends ForwardingCacheStorage {

    private final BooleanSupplier open;

    public FencedTier(CacheStorage tier, BooleanSupplier open) {
        super(tier);
        this.open = open;
    }

    @Override
    public CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
        return open.getAsBoolean() ? delegate.lookup(key) : CompletableFuture.completedFuture(List.of());
    }

    @Override
    public List<StoredObject> lookupInMemory(CacheKey key) {
        return open.getAsBoolean() ? delegate.lookupInMemory(key) : List.of();
    }

    @Override
    public ObjectWriter writer(CacheEntry entry) {
        return open.getAsBoolean() ? delegate.writer(entry) : ObjectWriter.DISCARD;
    }

    @Override
    public CompletableFuture<Boolean> updateEntry(CacheEntry entry) {
        return open.getAsBoolean() ? delegate.updateEntry(entry) : CompletableFuture.completedFuture(false);
    }
}
