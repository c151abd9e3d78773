package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.storage.memory.MemoryStorage;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory in front of a lower tier (ARCHITECTURE §3). Lookups try memory first and go to the lower
 * tier only on a memory miss; a lower-tier hit that fits the memory tier's object limit is promoted
 * into memory in the background (the current request is served from the lower tier), once per variant
 * at a time, streamed through the memory tier's writer. Writes go to
 * both tiers at once; objects above the memory tier's object limit live in the lower tier only.
 * Updates and removals apply to both. The writer of both tiers reports full while either tier's
 * writer does, and drains once both have room.
 *
 * <p>A lower-tier lookup that has not answered within {@link #LOWER_LOOKUP_DEADLINE} (a stalled disk,
 * a saturated read pool) is a miss: the request goes to the origin rather than waiting on the disk.
 * Its late answer is dropped.
 *
 * <p>A URL whose variants are split across tiers (memory kept one, the lower tier has others) is
 * answered from memory alone; a missing variant then costs one origin fetch, never a wrong answer.
 */
public final class TieredStorage implements CacheStorage {

    private static final Logger LOG = LoggerFactory.getLogger(TieredStorage.class);

    /** Longer than any healthy disk lookup (a Caffeine probe plus one RocksDB get), short for a client. */
    public static final Duration LOWER_LOOKUP_DEADLINE = Duration.ofSeconds(1);

    private final MemoryStorage memory;
    private final CacheStorage lower;
    private final Duration lowerLookupDeadline;
    private final LongAdder lowerLookupTimeouts = new LongAdder();
    /** Bumped before and after each purge reaches the lower tier; see {@link #purge}. */
    private final java.util.concurrent.atomic.AtomicLong purges = new java.util.concurrent.atomic.AtomicLong();
    /** Variants being copied into memory now (key and variant key): one promotion each at a time. */
    private final Set<String> promoting = ConcurrentHashMap.newKeySet();

    public TieredStorage(MemoryStorage memory, CacheStorage lower) {
        this(memory, lower, LOWER_LOOKUP_DEADLINE);
    }

    public TieredStorage(MemoryStorage memory, CacheStorage lower, Duration lowerLookupDeadline) {
        this.memory = memory;
        this.lower = lower;
        this.lowerLookupDeadline = lowerLookupDeadline;
    }

    /** Lower-tier lookups given up as misses after {@link #LOWER_LOOKUP_DEADLINE}. */
    public long lowerLookupTimeouts() {
        return lowerLookupTimeouts.sum();
    }

    /** The memory tier's variants; the lower tier is not asked. */
    @Override
    public List<StoredObject> lookupInMemory(CacheKey key) {
        return memory.lookupInMemory(key);
    }

    @Override
    public CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
        List<StoredObject> hot = memory.lookupInMemory(key);
        if (!hot.isEmpty()) {
            return CompletableFuture.completedFuture(hot);
        }
        long purgesAtStart = purges.get();
        CompletableFuture<List<StoredObject>> answer = lower.lookup(key);
        CompletableFuture<List<StoredObject>> bounded = answer.copy().completeOnTimeout(null,
                lowerLookupDeadline.toNanos(), TimeUnit.NANOSECONDS);
        return bounded.thenApply(found -> {
            if (found == null) {
                lowerLookupTimeouts.increment();
                LOG.debug("lower-tier lookup of {} took longer than {}: a miss", key, lowerLookupDeadline);
                return List.<StoredObject>of();
            }
            for (StoredObject o : found) {
                if (o.body().length() <= memory.maxObjectSize()) {
                    promote(o, purgesAtStart);
                }
            }
            return found;
        });
    }

    /**
     * Copies a lower-tier object into memory, chunk by chunk through the memory tier's own writer (a body
     * from the memory tier's file size up streams into its file; no whole-body copy in the heap), once
     * per variant however many requests found it at the same time. Failures only cost the promotion.
     */
    private void promote(StoredObject o, long purgesAtStart) {
        String variant = o.entry().key().asString() + '\n' + o.entry().variantKey();
        if (!promoting.add(variant)) {
            return;
        }
        ObjectWriter copy = memory.writer(o.entry());
        long length = o.body().length();
        // started inside a future, so that an open or a read that throws fails the copy, not the lookup
        CompletableFuture<Boolean> copied = CompletableFuture.completedFuture(null).thenCompose(start -> {
            if (length == 0) {
                return copy.commit();
            }
            StoredBody.Reader reader = o.body().open(0, length - 1);
            return copyAll(reader, copy).whenComplete((v, err) -> reader.close()).thenCompose(v -> copy.commit());
        });
        copied.whenComplete((stored, err) -> {
            promoting.remove(variant);
            if (err != null) {
                copy.abort();
                LOG.debug("promotion of {} failed: {}", o.entry().key(), err.toString());
            } else if (Boolean.TRUE.equals(stored) && purges.get() != purgesAtStart) {
                // committed first, checked after: a purge that bumps the counter after this check reaches
                // memory after the copy is in; one that began since the lookup may predate the copy's bytes
                memory.removeVariant(o.entry().key(), o.entry().variantKey());
            }
        });
    }

    /** Writes every chunk of {@code reader} to {@code out}, one at a time (the writer copies what it keeps). */
    private static CompletableFuture<Void> copyAll(StoredBody.Reader reader, ObjectWriter out) {
        // a read that throws fails the future instead of escaping (the reader is then still closed)
        return CompletableFuture.<Void>completedFuture(null).thenCompose(v -> reader.next()).thenCompose(chunk -> {
            if (chunk == null || out.isAbandoned()) {
                return CompletableFuture.completedFuture(null);
            }
            out.write(chunk.duplicate());
            return copyAll(reader, out);
        });
    }

    @Override
    public ObjectWriter writer(CacheEntry entry) {
        ObjectWriter hot = memory.writer(entry);
        ObjectWriter cold = lower.writer(entry);
        if (hot.isAbandoned()) {
            return cold;
        }
        if (cold.isAbandoned()) {
            return hot;
        }
        return new ObjectWriter() {
            @Override
            public void write(ByteBuffer chunk) {
                if (!hot.isAbandoned()) {
                    hot.write(chunk.duplicate());
                }
                if (!cold.isAbandoned()) {
                    cold.write(chunk.duplicate());
                }
            }

            @Override
            public CompletableFuture<Boolean> commit() {
                CompletableFuture<Boolean> a = hot.commit();
                CompletableFuture<Boolean> b = cold.commit();
                return a.thenCombine(b, (x, y) -> x || y);
            }

            @Override
            public void abort() {
                hot.abort();
                cold.abort();
            }

            @Override
            public boolean isAbandoned() {
                return hot.isAbandoned() && cold.isAbandoned();
            }

            /** The last {@link ReadFromMemoryIfDropped} made, reused while the lower tier's body is the same. */
            private volatile ReadFromMemoryIfDropped lastOffered;

            /**
             * The lower tier's: it takes every object memory takes and larger ones (chunked ones too), and its body
             * outlives a memory eviction; read from the memory tier's from the first read the lower tier can no
             * longer answer (it gave the object up part-way: a write failure, the volume running short), when
             * memory has one. The memory tier's when the lower tier offers none or gave the object up and memory
             * still stores it; null when neither does. Asked again each time, as the contract says, since the
             * answer moves from one tier to the other.
             */
            @Override
            public StoredBody growingBody() {
                StoredBody lowerBody = cold.growingBody();
                if (lowerBody == null) {
                    return hot.growingBody();
                }
                if (lowerBody.length() < 0 || hot.isAbandoned()) {
                    return lowerBody; // memory offers none for such a body
                }
                ReadFromMemoryIfDropped offered = lastOffered;
                if (offered == null || offered.lower != lowerBody) {
                    offered = new ReadFromMemoryIfDropped(lowerBody, hot);
                    lastOffered = offered;
                }
                return offered;
            }

            /** Full when either tier is (an abandoned tier is never full). */
            @Override
            public boolean writeQueueFull() {
                return hot.writeQueueFull() || cold.writeQueueFull();
            }

            /** Once both tiers have room: waits for each full one in turn, checking again after each. */
            @Override
            public void drainHandler(Runnable onDrain) {
                if (hot.writeQueueFull()) {
                    hot.drainHandler(() -> drainHandler(onDrain));
                } else if (cold.writeQueueFull()) {
                    cold.drainHandler(() -> drainHandler(onDrain));
                } else {
                    onDrain.run();
                }
            }
        };
    }

    /**
     * The lower tier's growing body of an object memory stores too, whose reads go on from the memory tier's
     * growing body once the lower tier's fail as dropped: readers along a fill the disk gives up part-way are not
     * cut while memory has the object. Both read by {@link ObjectWriter#GROWING_BODY_CHUNK}, so each read of one is
     * a read of the other.
     */
    private static final class ReadFromMemoryIfDropped implements StoredBody {
        private final StoredBody lower;
        private final ObjectWriter memoryWriter;

        ReadFromMemoryIfDropped(StoredBody lower, ObjectWriter memoryWriter) {
            this.lower = lower;
            this.memoryWriter = memoryWriter;
        }

        @Override
        public long length() {
            return lower.length();
        }

        @Override
        public boolean onDisk() {
            return lower.onDisk();
        }

        @Override
        public Reader open(long first, long last) {
            return new FallingOverReader(lower.open(first, last), first, last);
        }

        /**
         * Reads the lower tier's body, and from its first read that fails as dropped, memory's: each read by its
         * own short reader (reads ahead may complete in any order), while one reader held open from the first
         * such read to the end keeps memory's copy (and its file) for the rest, whatever the tier does with it.
         */
        private final class FallingOverReader implements Reader {
            private final Reader fromLower;
            private final long last;
            private long pos;
            /** Guarded by this: memory's readers open now (the one holding the copy first); null once closed. */
            private List<Reader> fromMemory = new java.util.ArrayList<>();
            /** Guarded by this: a read of the lower tier failed as dropped: every read from here on is memory's. */
            private boolean fellOver;

            FallingOverReader(Reader fromLower, long first, long last) {
                this.fromLower = fromLower;
                this.pos = first;
                this.last = last;
            }

            @Override
            public CompletableFuture<ByteBuffer> next() {
                if (pos > last) {
                    return CompletableFuture.completedFuture(null);
                }
                long start = pos;
                long end = Math.min((start / ObjectWriter.GROWING_BODY_CHUNK + 1) * ObjectWriter.GROWING_BODY_CHUNK,
                        last + 1);
                pos = end;
                synchronized (this) {
                    if (fellOver) {
                        return readFromMemory(start, end);
                    }
                }
                return fromLower.next().exceptionallyCompose(err -> {
                    Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause()
                            != null ? err.getCause() : err;
                    if (!(cause instanceof BodyDropped)) {
                        return CompletableFuture.failedFuture(cause);
                    }
                    return fallOver(start, end);
                });
            }

            private CompletableFuture<ByteBuffer> fallOver(long start, long end) {
                synchronized (this) {
                    if (!fellOver && fromMemory != null) {
                        StoredBody memory = memoryWriter.growingBody();
                        if (memory != null) {
                            fromMemory.add(memory.open(start, last)); // holds memory's copy; never read
                        }
                        fellOver = true;
                    }
                }
                return readFromMemory(start, end);
            }

            /**
             * Bytes {@code start..end-1} from the memory tier's growing body (one read while it fills; the stored body,
             * read to the end of the range, once it is stored); dropped if it has none or this reader is closed.
             */
            private CompletableFuture<ByteBuffer> readFromMemory(long start, long end) {
                StoredBody memory = memoryWriter.growingBody();
                Reader range;
                synchronized (this) {
                    if (memory == null || fromMemory == null) {
                        return CompletableFuture.failedFuture(new BodyDropped(
                                "the object was given up by both tiers while it was read along its fill"));
                    }
                    range = memory.open(start, end - 1);
                    fromMemory.add(range);
                }
                return StoredBody.readAll(range, (int) (end - start)).whenComplete((b, err) -> {
                    synchronized (this) {
                        if (fromMemory != null) {
                            fromMemory.remove(range);
                        }
                    }
                    range.close();
                });
            }

            @Override
            public void close() {
                fromLower.close();
                List<Reader> open;
                synchronized (this) {
                    open = fromMemory;
                    fromMemory = null;
                }
                if (open != null) {
                    open.forEach(Reader::close);
                }
            }
        }
    }

    @Override
    public CompletableFuture<Boolean> updateEntry(CacheEntry entry) {
        return memory.updateEntry(entry).thenCombine(lower.updateEntry(entry), (a, b) -> a || b);
    }

    @Override
    public CompletableFuture<Integer> remove(CacheKey key) {
        return memory.remove(key).thenCombine(lower.remove(key), Math::max);
    }

    @Override
    public CompletableFuture<Boolean> removeVariant(CacheKey key, String variantKey) {
        return memory.removeVariant(key, variantKey).thenCombine(lower.removeVariant(key, variantKey), (a, b) -> a || b);
    }

    /**
     * Applies to both tiers; the count is the larger of the two (the lower tier holds what memory holds
     * and more, so a sum would count most variants twice). A purge of everything is a marker in each tier
     * ({@link PurgeMarkers}), so the two memory passes cost O(1) for it.
     */
    @Override
    public CompletableFuture<Integer> purge(Purge purge) {
        // memory is purged again once the lower tier is done: a promotion that read the lower tier
        // before the purge reached it either lands before that second pass or sees the counter moved
        purges.incrementAndGet();
        int inMemory = memory.purge(purge).join();
        return lower.purge(purge).thenApply(inLower -> {
            purges.incrementAndGet();
            int again = memory.purge(purge).join();
            return Math.max(Math.max(inMemory, again), inLower);
        });
    }

    /** Objects in the lower tier, which holds everything memory holds and more. */
    @Override
    public long entryCount() {
        return lower.entryCount();
    }

    @Override
    public long byteSize() {
        return lower.byteSize();
    }

    public MemoryStorage memory() {
        return memory;
    }

    public CacheStorage lower() {
        return lower;
    }

    @Override
    public void close() {
        memory.close();
        lower.close();
    }
}
