package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.Purge;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Closes the race between a purge and a fill already in flight: a response fetched before a purge
 * but committed after it would otherwise bring the purged object back. Every purge gets a sequence
 * number before it is applied; every writer remembers the sequence at its start, and after its commit
 * re-applies to the object it stored each purge issued since that matches it (hard: the variant is
 * removed again; soft: it is marked invalidated). Either the purge is applied after the commit (and
 * removes the object itself) or the writer sees the purge's number after committing.
 *
 * <p>Metadata updates get the same treatment ({@link #startEntryUpdate()}): a revalidation whose 304
 * was requested before a purge and arrives after it would otherwise clear the purge's invalidation
 * (or bring back the freshness of an object that a hard purge removed and a new fill replaced). The
 * update remembers the sequence when its request is sent; purges issued since that match the entry
 * are applied to what is stored (hard: the variant is removed; soft: it is stored invalidated), both
 * before the update is written and, for purges issued while it is being written, again after.
 *
 * <p>The last {@link #RETAINED} purges are kept; a writer older than all of them is treated as
 * matched by a hard purge (it loses its object, never serves a purged one).
 */
public final class PurgeFencedStorage extends ForwardingCacheStorage {

    static final int RETAINED = 4096;

    private record Issued(long sequence, Purge purge) {
    }

    private final ArrayDeque<Issued> recent = new ArrayDeque<>();
    private long sequence;

    public PurgeFencedStorage(CacheStorage inner) {
        super(inner);
    }

    public CacheStorage inner() {
        return delegate;
    }

    private synchronized long current() {
        return sequence;
    }

    private synchronized void issue(Purge purge) {
        recent.addLast(new Issued(++sequence, purge));
        if (recent.size() > RETAINED) {
            recent.removeFirst();
        }
    }

    /**
     * What purges issued after {@code since} and up to {@code upTo} (the sequence when asked) do to
     * {@code entry}: HARD when one of them removes it or some of them are no longer known, SOFT when one
     * invalidates it, NONE otherwise.
     */
    private enum Effect { NONE, SOFT, HARD }

    private record Since(Effect effect, long upTo) {
    }

    private synchronized Since effectSince(long since, CacheEntry entry) {
        if (sequence == since) {
            return new Since(Effect.NONE, sequence);
        }
        if (recent.isEmpty() || recent.peekFirst().sequence() > since + 1) {
            return new Since(Effect.HARD, sequence);
        }
        Effect effect = Effect.NONE;
        for (Issued i : recent) {
            if (i.sequence() > since && i.purge().matches(entry)) {
                if (!i.purge().soft()) {
                    return new Since(Effect.HARD, sequence);
                }
                effect = Effect.SOFT;
            }
        }
        return new Since(effect, sequence);
    }

    @Override
    public CompletableFuture<Integer> purge(Purge purge) {
        issue(purge);
        return delegate.purge(purge);
    }

    @Override
    public ObjectWriter writer(CacheEntry entry) {
        long start = current();
        ObjectWriter w = delegate.writer(entry);
        if (w.isAbandoned()) {
            return w;
        }
        return new ForwardingObjectWriter(w) {
            @Override
            public CompletableFuture<Boolean> commit() {
                return delegate.commit().thenCompose(ok -> ok ? fence(entry, start)
                        : CompletableFuture.completedFuture(false));
            }

            @Override
            public boolean overtakenByPurge() {
                return effectSince(start, entry).effect() != Effect.NONE;
            }
        };
    }

    private CompletableFuture<Boolean> fence(CacheEntry entry, long start) {
        Since since = effectSince(start, entry);
        return switch (since.effect()) {
            case NONE -> CompletableFuture.completedFuture(true);
            case HARD -> delegate.removeVariant(entry.key(), entry.variantKey()).thenApply(removed -> false);
            case SOFT -> delegate.purge(new Purge.Url(entry.key(), true)).thenApply(n -> true);
        };
    }

    @Override
    public EntryUpdate startEntryUpdate() {
        long start = current();
        return updated -> {
            Since since = effectSince(start, updated);
            if (since.effect() == Effect.HARD) {
                return delegate.removeVariant(updated.key(), updated.variantKey()).thenApply(removed -> false);
            }
            CacheEntry toStore = since.effect() == Effect.SOFT ? updated.asInvalidated() : updated;
            return delegate.updateEntry(toStore).thenCompose(ok -> ok ? fence(toStore, since.upTo())
                    : CompletableFuture.completedFuture(false));
        };
    }
}
