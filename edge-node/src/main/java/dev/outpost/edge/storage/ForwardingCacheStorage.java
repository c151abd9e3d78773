package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link CacheStorage} that forwards every method to another one; decorators override only what
 * they change (like {@link ForwardingObjectWriter} for writers).
 */
public abstract class ForwardingCacheStorage implements CacheStorage {

    protected final CacheStorage delegate;

    protected ForwardingCacheStorage(CacheStorage delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
        return delegate.lookup(key);
    }

    @Override
    public List<StoredObject> lookupInMemory(CacheKey key) {
        return delegate.lookupInMemory(key);
    }

    @Override
    public ObjectWriter writer(CacheEntry entry) {
        return delegate.writer(entry);
    }

    @Override
    public CompletableFuture<Boolean> updateEntry(CacheEntry entry) {
        return delegate.updateEntry(entry);
    }

    /** Through this decorator's own {@link #updateEntry}, so a decorator that changes updates keeps doing so. */
    @Override
    public EntryUpdate startEntryUpdate() {
        return this::updateEntry;
    }

    @Override
    public CompletableFuture<Integer> remove(CacheKey key) {
        return delegate.remove(key);
    }

    @Override
    public CompletableFuture<Boolean> removeVariant(CacheKey key, String variantKey) {
        return delegate.removeVariant(key, variantKey);
    }

    @Override
    public CompletableFuture<Integer> purge(Purge purge) {
        return delegate.purge(purge);
    }

    @Override
    public long entryCount() {
        return delegate.entryCount();
    }

    @Override
    public long byteSize() {
        return delegate.byteSize();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
