package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.Purge;
import java.util.ArrayDeque;
import java.util.ArrayList;
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

    /** Purges issued after {@code since}; null when some of them are no longer known. */
    private synchronized List<Purge> issuedSince(long since) {
        if (sequence == since) {
            return List.of();
        }
        if (recent.isEmpty() || recent.peekFirst().sequence() > since + 1) {
            return null;
        }
        List<Purge> out = new ArrayList<>();
        for (Issued i : recent) {
            if (i.sequence() > since) {
                out.add(i.purge());
            }
        }
        return out;
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
        };
    }

    private CompletableFuture<Boolean> fence(CacheEntry entry, long start) {
        List<Purge> since = issuedSince(start);
        if (since != null && since.isEmpty()) {
            return CompletableFuture.completedFuture(true);
        }
        boolean hard = since == null;
        boolean soft = false;
        if (since != null) {
            for (Purge p : since) {
                if (p.matches(entry)) {
                    hard |= !p.soft();
                    soft |= p.soft();
                }
            }
        }
        if (hard) {
            return delegate.removeVariant(entry.key(), entry.variantKey()).thenApply(removed -> false);
        }
        if (soft) {
            return delegate.purge(new Purge.Url(entry.key(), true)).thenApply(n -> true);
        }
        return CompletableFuture.completedFuture(true);
    }
}
