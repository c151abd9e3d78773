package dev.outpost.edge.storage.memory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.storage.ByteWeigher;
import dev.outpost.edge.storage.ExpiryQueue;
import dev.outpost.edge.http.SurrogateKeys;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import dev.outpost.edge.storage.PurgeMarkers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory tier: Caffeine (W-TinyLFU admission and eviction) over primary keys, each holding the
 * stored variants of that URL. Weighed in bytes (metadata + bodies) and bounded by
 * {@code cache.memory.max-size}; objects above {@code max-object-size} are not kept. Each key expires
 * when none of its variants can serve anything any more ({@link CacheEntry#usefulUntil}: fresh, inside
 * a stale-* window, or still revalidatable), so stale entries stay while they are useful and the
 * byte bound decides the rest. Time comes from the injected clock.
 *
 * <p><b>Expiry</b> is an {@link ExpiryQueue}, not Caffeine's variable expiry: a set's deadline is
 * scheduled when the set is stored and cancelled when it is replaced or removed; lookups, writes,
 * updates, removals and purges treat a set past its deadline as gone, and due sets are removed in
 * bounded batches when a hit or a write finds one due (or at {@link #cleanUp}). A hit writes nothing
 * there, so a hit leaves no reference store in long-lived objects beyond Caffeine's recency
 * bookkeeping (see {@link ExpiryQueue} for what the timer wheel cost).
 *
 * <p>Variants per key are capped ({@link #MAX_VARIANTS}); the oldest is dropped first, as a
 * {@code Vary: User-Agent} origin would otherwise fill one key without bound.
 *
 * <p><b>Tag index.</b> Tag purges go through an index tag → (key → the variant set that carries the
 * tag), so they cost the tagged keys, not a walk over the whole tier. It is updated inside the same
 * per-key atomic operation that changes the key's variants, Caffeine's eviction listener removes an
 * evicted set's entries in its removal, and an expired set's go in the sweep's removal. Every removal
 * is conditional on the set instance, so an eviction reported after the key was stored again never
 * unindexes the newer set.
 * Tag purges still match each variant's headers, so the index only has to never miss a tagged key.
 *
 * <p><b>Purges of everything</b> (global or per host, hard or soft) are {@link PurgeMarkers}: O(1), no
 * key is visited. Each variant carries a stamp from {@link #stamps}, taken when its writer is created
 * (or it is put) and again when its metadata is updated; lookups hide variants at or below a hard
 * marker (and drop them from their set on the way) and return those at or below a soft marker
 * invalidated. Variants hidden so are otherwise left to expiry and eviction.
 *
 * <p><b>Where bodies live.</b> In direct buffers ({@link MemoryBody}), or, from {@link BodyFiles#minSize}
 * up, in nameless files of a memory filesystem ({@link FileBody}) that hits send with {@code sendfile(2)}.
 * Both count in the same byte bound. A file body is released ({@link TierBody#release}) by
 * {@link #reindex}, which sees every change of a key's variants, as soon as no variant of the tier
 * holds it; its pages are freed when the last send of it ends. A fill streams into its file as soon
 * as the body is known to reach that size (declared length, or bytes so far), so a large body never
 * gathers in the heap. A file that cannot be started (the filesystem is full) leaves the body in direct
 * buffers; one that fails part-way keeps the bytes it has, the rest gathers in the heap, and the commit
 * stores the whole body in direct buffers.
 *
 * <p><b>Reading along a fill.</b> A writer of a body of known length offers it as it fills
 * ({@link GrowingMemoryBody}: the heap chunks and the file it already writes, no extra copy), so requests
 * arriving while the origin streams it, and a first client that falls behind, read it at their own pace.
 */
public final class MemoryStorage implements CacheStorage {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryStorage.class);
    static final int MAX_VARIANTS = 16;
    private static final long CHUNK = 64 * 1024;

    private final Cache<CacheKey, VariantSet> cache;
    private final ExpiryQueue<CacheKey> expiry = new ExpiryQueue<>();
    /** Keys removed because their deadline passed (Caffeine counts the evictions by size). */
    private final LongAdder expirations = new LongAdder();
    /** Runs Caffeine's maintenance and the expiry sweeps. */
    private final Executor maintenance;
    private final ConcurrentHashMap<String, ConcurrentHashMap<CacheKey, VariantSet>> tagIndex =
            new ConcurrentHashMap<>();
    private final long maxSize;
    private final long maxObjectSize;
    private final ByteWeigher weigher;
    /**
     * Bytes of the fills in flight (their heap chunks or files): they count against {@code max-size}, so a burst
     * of large misses makes the tier evict stored objects instead of growing past its bound
     * ({@link #applyFillRoom}).
     */
    private final AtomicLong fillingBytes = new AtomicLong();
    /** The fill bytes the cache's bound last left room for; it is moved in steps of {@link #fillRoomStep}. */
    private volatile long fillRoom;
    /** A 256th of max-size, at least 64 KiB: how far fills move before the bound follows them. */
    private final long fillRoomStep;
    private final Clock clock;
    private final long revalidationGraceSeconds;
    private final PurgeMarkers markers = new PurgeMarkers();
    /** Stamps of variants; see {@link PurgeMarkers}. */
    private final AtomicLong stamps = new AtomicLong();
    /** Variants stored (kept by {@link #reindex}, which sees every change of a key). */
    private final LongAdder variantCount = new LongAdder();
    /** Stored variants a purge looked at (tests: purges of everything look at none). */
    private final LongAdder purgeVisits = new LongAdder();
    /** Objects not stored because direct memory was exhausted. */
    private final LongAdder writeFailures = new LongAdder();
    /** Direct memory ran out and that was logged; cleared (and logged) at the next successful copy. */
    private final AtomicBoolean directMemoryShort = new AtomicBoolean();
    /** Where large bodies are kept as files; null: every body in direct buffers. */
    private final BodyFiles files;
    /** Bytes of the open body files: held, dropped but still being sent, or still filling ({@link #fileBytes}). */
    private final AtomicLong fileBytes = new AtomicLong();
    /** Body files that could not be written (the body went to direct buffers, or a fill went unstored). */
    private final LongAdder fileWriteFailures = new LongAdder();
    /** A file write failure was logged; cleared (and logged) at the next successful write. */
    private final AtomicBoolean filesFailing = new AtomicBoolean();
    /** Bytes of files the file-dir held when a write last failed (unbounded after a success). */
    private volatile long fileRoom = Long.MAX_VALUE;
    private volatile long retryFilesAtMillis;
    private volatile long nextFileWarningMillis;
    /**
     * Bodies of fills in flight that may be read along them, for the tier's close to drop them; weakly held, so a
     * writer that is never committed or aborted costs nothing here once nothing reads it.
     */
    private final Set<GrowingMemoryBody> fillsReadable =
            Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** Tests: a body file's writes fail past this many bytes, as those to a full filesystem do. */
    private volatile long fileRoomForTests = Long.MAX_VALUE;
    /** How bodies get their off-heap buffers; replaced by tests to simulate exhausted direct memory. */
    private volatile IntFunction<ByteBuffer> allocateDirect = ByteBuffer::allocateDirect;

    /**
     * Large bodies are kept as files under {@code files} (null: none).
     *
     * @param executor runs Caffeine's maintenance (and so its evictions) and the expiry sweeps
     */
    public MemoryStorage(long maxSize, long maxObjectSize, Clock clock, Duration revalidationGrace, Executor executor,
            BodyFiles files) {
        this.files = files;
        this.maxSize = maxSize;
        this.fillRoomStep = Math.max(64 * 1024, maxSize / 256);
        this.maxObjectSize = maxObjectSize;
        this.weigher = ByteWeigher.forMaxObjectSize(maxObjectSize);
        this.clock = clock;
        this.revalidationGraceSeconds = revalidationGrace.toSeconds();
        this.maintenance = executor;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(weigher.maximumWeight(maxSize))
                .weigher((CacheKey k, VariantSet v) -> weigher.weigh(v.bytes()))
                .executor(executor)
                .evictionListener((CacheKey k, VariantSet set, RemovalCause cause) -> reindex(k, set, null))
                .recordStats()
                .build();
    }

    /** Every body in direct buffers. */
    public MemoryStorage(long maxSize, long maxObjectSize, Clock clock, Duration revalidationGrace, Executor executor) {
        this(maxSize, maxObjectSize, clock, revalidationGrace, executor, null);
    }

    public MemoryStorage(long maxSize, long maxObjectSize, Clock clock) {
        this(maxSize, maxObjectSize, clock, Duration.ofHours(1), Runnable::run);
    }

    /**
     * Where the memory tier keeps bodies of at least {@code minSize} bytes: nameless files in {@code dir},
     * which should be on a memory filesystem (tmpfs, e.g. {@code /dev/shm}).
     */
    public record BodyFiles(Path dir, long minSize) {
        public BodyFiles {
            Objects.requireNonNull(dir, "dir");
            if (minSize < 1) {
                throw new IllegalArgumentException("minSize must be at least 1: " + minSize);
            }
        }
    }

    @Override
    public CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
        return CompletableFuture.completedFuture(lookupInMemory(key));
    }

    /** The same as {@link #lookup}: the memory tier never needs to leave the calling thread. */
    @Override
    public List<StoredObject> lookupInMemory(CacheKey key) {
        VariantSet set = cache.getIfPresent(key);
        if (set == null) {
            return List.of(); // no clock read: a miss is followed by a write, which sweeps
        }
        long now = clock.millis();
        expireDueSoon(now);
        if (set.deadline.isDue(now)) {
            return List.of();
        }
        if (allLive(set, key.host())) {
            return set.served; // the common case: built once per set, nothing allocated per hit
        }
        List<StoredObject> found = new ArrayList<>(set.variants.size());
        boolean gone = false;
        for (Variant v : set.variants) {
            switch (markers.effect(key.host(), v.stamp)) {
                case LIVE -> found.add(new StoredObject(v.entry, v.body, StoredObject.Tier.MEMORY));
                case INVALIDATED -> found.add(new StoredObject(v.entry.invalidated() ? v.entry
                        : v.entry.asInvalidated(), v.body, StoredObject.Tier.MEMORY));
                case GONE -> gone = true;
            }
        }
        if (gone) {
            cache.asMap().computeIfPresent(key, (k, s) -> reindex(k, s, s.withoutGone(markers, k.host())));
        }
        return found;
    }

    /** No purge marker touches any variant of {@code set}: each is served as stored. */
    private boolean allLive(VariantSet set, String host) {
        List<Variant> variants = set.variants;
        for (int i = 0; i < variants.size(); i++) {
            if (markers.effect(host, variants.get(i).stamp) != PurgeMarkers.Effect.LIVE) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ObjectWriter writer(CacheEntry entry) {
        if (entry.bodyLength() > maxObjectSize) {
            return ObjectWriter.DISCARD;
        }
        return new Writer(entry);
    }

    /** Stores a complete object at once (promotion from a lower tier, tests). */
    public boolean put(CacheEntry entry, byte[] body) {
        if (body.length > maxObjectSize) {
            return false;
        }
        TierBody held = hold(new byte[][] {body}, body.length);
        if (held == null) {
            return false;
        }
        return insert(entry, held, stamps.incrementAndGet());
    }

    /**
     * The body copied out of the heap: into a file from {@link BodyFiles#minSize} bytes up, when it can be
     * written, else into direct buffers; null when direct memory is exhausted (see {@link #offHeap}).
     */
    private TierBody hold(byte[][] chunks, long size) {
        if (wantsFile(size)) {
            try {
                FileBody body = FileBody.write(files.dir(), chunks, fileBytes);
                fileWritten();
                return body;
            } catch (IOException | RuntimeException e) {
                fileFailed(e);
            }
        }
        return offHeap(chunks);
    }

    /** Whether a body of {@code size} bytes goes to a file (see {@link #mayTryFile}). */
    private boolean wantsFile(long size) {
        return files != null && size >= files.minSize() && mayTryFile(size);
    }

    private void fileWritten() {
        fileRoom = Long.MAX_VALUE;
        if (filesFailing.get() && filesFailing.compareAndSet(true, false)) {
            LOG.info("memory tier: body files can be written again in {}", files.dir());
        }
    }

    private void fileFailed(Exception e) {
        fileWriteFailures.increment();
        fileRoom = fileBytes.get();
        long now = clock.millis();
        retryFilesAtMillis = now + FILE_RETRY_MILLIS;
        if (now >= nextFileWarningMillis && filesFailing.compareAndSet(false, true)) {
            nextFileWarningMillis = now + FILE_WARNING_MILLIS;
            LOG.warn("memory tier: a body file could not be written in {} ({}); large bodies are kept in direct "
                    + "memory until files fit again (logged at most every 10 minutes; every occurrence is counted "
                    + "in outpost_cache_file_write_failures_total). Give that filesystem room for "
                    + "cache.memory.max-size or lower it", files.dir(), e.toString());
        }
    }

    /**
     * After a failed file write (a full filesystem), files are tried again only when the tier's own files
     * have shrunk enough for this body to fit where the failure happened, or a minute later: no attempt,
     * with its partial copy, per object while the filesystem stays full.
     */
    private boolean mayTryFile(long size) {
        return fileBytes.get() + size <= fileRoom || clock.millis() >= retryFilesAtMillis;
    }

    private static final long FILE_RETRY_MILLIS = 60_000;
    private static final long FILE_WARNING_MILLIS = 600_000;

    /**
     * The body copied off-heap, or null when direct memory is exhausted: the object is then not stored
     * (the response it came from goes on from the origin stream), counted with the write failures, and
     * the condition logged once until a copy succeeds again.
     */
    private MemoryBody offHeap(byte[][] chunks) {
        MemoryBody body;
        try {
            body = new MemoryBody(chunks, allocateDirect);
        } catch (MemoryBody.DirectMemoryExhausted e) {
            writeFailures.increment();
            if (directMemoryShort.compareAndSet(false, true)) {
                LOG.warn("memory tier: direct memory is exhausted ({}); objects are not stored in memory while it "
                        + "lasts (logged once; further occurrences are only counted). Raise -XX:MaxDirectMemorySize "
                        + "or lower cache.memory.max-size", e.getMessage());
            }
            return null;
        }
        if (directMemoryShort.get() && directMemoryShort.compareAndSet(true, false)) {
            LOG.info("memory tier: direct memory available again; storing objects in memory");
        }
        return body;
    }

    /** Tests: body-file writes fail past {@code bytes} bytes of a file, as those to a full filesystem do. */
    void failFileWritesPast(long bytes) {
        fileRoomForTests = bytes;
    }

    /** Objects not stored because their off-heap copy could not be allocated. */
    public long writeFailures() {
        return writeFailures.sum();
    }

    /**
     * Bytes of the body files open now, on the memory filesystem: those of bodies the tier holds (part of
     * {@link #byteSize}), of bodies it dropped that are still being sent, and of fills still streaming in.
     */
    public long fileBytes() {
        return fileBytes.get();
    }

    /** Body files that could not be written (the body went to direct buffers, or a fill went unstored). */
    public long fileWriteFailures() {
        return fileWriteFailures.sum();
    }

    /** Test hook: replaces {@link ByteBuffer#allocateDirect} (e.g. with one that throws OutOfMemoryError). */
    void allocateDirectWith(IntFunction<ByteBuffer> allocator) {
        this.allocateDirect = allocator;
    }

    @Override
    public CompletableFuture<Boolean> updateEntry(CacheEntry updated) {
        boolean[] done = {false};
        cache.asMap().computeIfPresent(updated.key(), (k, set) -> {
            VariantSet live = unexpired(set);
            VariantSet next = live == null ? null : live.replaceEntry(updated, stamps.incrementAndGet(), markers);
            done[0] = next != live;
            return reindex(k, set, next);
        });
        return CompletableFuture.completedFuture(done[0]);
    }

    @Override
    public CompletableFuture<Integer> remove(CacheKey key) {
        int[] removed = {0};
        cache.asMap().computeIfPresent(key, (k, set) -> {
            VariantSet live = unexpired(set);
            removed[0] = live == null ? 0 : live.variants.size();
            return reindex(k, set, null);
        });
        return CompletableFuture.completedFuture(removed[0]);
    }

    @Override
    public CompletableFuture<Boolean> removeVariant(CacheKey key, String variantKey) {
        boolean[] done = {false};
        cache.asMap().computeIfPresent(key, (k, set) -> {
            VariantSet live = unexpired(set);
            VariantSet next = live == null ? null : live.without(variantKey);
            done[0] = next != live;
            return reindex(k, set, next == null || next.variants.isEmpty() ? null : next);
        });
        return CompletableFuture.completedFuture(done[0]);
    }

    /**
     * A url purge is one map operation and a tag purge visits the keys of the tag index; a prefix purge
     * iterates every key (O(entries) in memory); a purge of everything (global or one host) is a marker,
     * O(1) (see {@link PurgeMarkers}), and reports the variants the tier holds, an upper bound for a
     * purge of one host, as it does not visit them to count.
     */
    @Override
    public CompletableFuture<Integer> purge(Purge purge) {
        if (purge instanceof Purge.All all) {
            markers.mark(all.hostOrNull(), all.soft(), stamps.get());
            return CompletableFuture.completedFuture((int) Math.min(Integer.MAX_VALUE, entryCount()));
        }
        int[] affected = {0};
        Iterable<CacheKey> candidates;
        if (purge instanceof Purge.Url url) {
            candidates = List.of(url.key());
        } else if (purge instanceof Purge.Tag tag) {
            Map<CacheKey, VariantSet> tagged = tagIndex.get(tag.tag());
            candidates = tagged == null ? List.of() : List.copyOf(tagged.keySet());
        } else {
            candidates = cache.asMap().keySet();
        }
        for (CacheKey key : candidates) {
            if (purge.mayMatch(key)) {
                cache.asMap().computeIfPresent(key, (k, set) -> {
                    VariantSet live = unexpired(set);
                    return reindex(k, set, live == null ? null : applyTo(live, purge, affected, markers));
                });
            }
        }
        return CompletableFuture.completedFuture(affected[0]);
    }

    /**
     * Moves the tag index and the expiry deadline of {@code key} from {@code before} to {@code after}
     * (either may be null) and returns {@code after}. Called inside the key's atomic map operation, so
     * every set the map holds has its deadline.
     */
    private VariantSet reindex(CacheKey key, VariantSet before, VariantSet after) {
        if (before == after) {
            return after;
        }
        if (before != null) {
            releaseDropped(before, after);
            expiry.cancel(before.deadline);
        }
        if (after != null) {
            after.deadline = expiry.schedule(key, after.usefulUntil(revalidationGraceSeconds).toEpochMilli());
        }
        variantCount.add((after == null ? 0 : after.variants.size()) - (before == null ? 0 : before.variants.size()));
        if (after != null) {
            for (String tag : after.tags) {
                tagIndex.compute(tag, (t, keys) -> {
                    ConcurrentHashMap<CacheKey, VariantSet> m = keys == null ? new ConcurrentHashMap<>() : keys;
                    m.put(key, after);
                    return m;
                });
            }
        }
        if (before != null) {
            for (String tag : before.tags) {
                if (after == null || !after.tags.contains(tag)) {
                    tagIndex.computeIfPresent(tag, (t, keys) -> {
                        keys.remove(key, before);
                        return keys.isEmpty() ? null : keys;
                    });
                }
            }
        }
        return after;
    }

    /** Releases the bodies of {@code before} that no variant of {@code after} (may be null) holds. */
    private static void releaseDropped(VariantSet before, VariantSet after) {
        for (Variant gone : before.variants) {
            boolean kept = false;
            for (int i = 0; after != null && !kept && i < after.variants.size(); i++) {
                kept = after.variants.get(i).body == gone.body;
            }
            if (!kept) {
                gone.body.release();
            }
        }
    }

    /** Keys in the tag index (tests: the index must not outgrow the tier). */
    int taggedKeyCount() {
        int n = 0;
        for (Map<CacheKey, VariantSet> keys : tagIndex.values()) {
            n += keys.size();
        }
        return n;
    }

    /** Stored variants purges have looked at so far. */
    long purgeVisits() {
        return purgeVisits.sum();
    }

    /** The set after {@code purge}; null when nothing is left. Variants gone by a marker are dropped. */
    private VariantSet applyTo(VariantSet set, Purge purge, int[] affected, PurgeMarkers markers) {
        List<Variant> next = new ArrayList<>(set.variants.size());
        boolean changed = false;
        for (Variant stored : set.variants) {
            purgeVisits.increment();
            PurgeMarkers.Effect effect = markers.effect(stored.entry.key().host(), stored.stamp);
            if (effect == PurgeMarkers.Effect.GONE) {
                changed = true;
                continue;
            }
            Variant v = effect == PurgeMarkers.Effect.INVALIDATED && !stored.entry.invalidated()
                    ? stored.invalidated() : stored;
            changed |= v != stored;
            if (!purge.matches(v.entry)) {
                next.add(v);
                continue;
            }
            affected[0]++;
            if (purge.soft()) {
                next.add(v.entry.invalidated() ? v : v.invalidated());
                changed |= !v.entry.invalidated();
            } else {
                changed = true;
            }
        }
        if (!changed) {
            return set;
        }
        return next.isEmpty() ? null : new VariantSet(next);
    }

    /**
     * Variants stored, including those a purge of everything hides until they are dropped and those past their
     * deadline until a hit, a write or {@link #cleanUp} sweeps them.
     */
    @Override
    public long entryCount() {
        return variantCount.sum();
    }

    @Override
    public long byteSize() {
        return weigher.bytes(cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L));
    }

    public long maxObjectSize() {
        return maxObjectSize;
    }

    public CacheStats stats() {
        return cache.stats();
    }

    /** Runs pending maintenance (expiry, eviction) now; for tests and metrics. */
    public void cleanUp() {
        while (expiry.sweep(clock.millis(), EXPIRY_BATCH, this::expire) == EXPIRY_BATCH) {
            // until nothing is due
        }
        cache.cleanUp();
    }

    /** Sets removed per sweep: a mass expiry is spread over the hits and writes that find it due. */
    static final int EXPIRY_BATCH = 256;

    /** A sweep on {@link #maintenance} when a deadline is due (called by hits and writes); else one volatile read. */
    private void expireDueSoon(long now) {
        if (expiry.anyDue(now)) {
            maintenance.execute(() -> expiry.sweep(clock.millis(), EXPIRY_BATCH, this::expire));
        }
    }

    /** Removes the set {@code due} was scheduled for, unless it was replaced meanwhile. */
    private void expire(ExpiryQueue.Deadline<CacheKey> due) {
        cache.asMap().computeIfPresent(due.key(), (k, set) -> {
            if (set.deadline != due) {
                return set;
            }
            expirations.increment();
            return reindex(k, set, null);
        });
    }

    /** Deadlines in the expiry queue (tests: one per key held). */
    int scheduledDeadlines() {
        return expiry.size();
    }

    /**
     * {@code set}, or null when it is past its deadline but not swept yet (counted as expired: the caller's map
     * operation replaces or removes it). Writes, updates, removals and purges see such a set as gone, as
     * lookups do.
     */
    private VariantSet unexpired(VariantSet set) {
        if (set == null || !set.deadline.isDue(clock.millis())) {
            return set;
        }
        expirations.increment();
        return null;
    }

    /** Keys evicted by size or expired, since start. */
    public long evictions() {
        return cache.stats().evictionCount() + expirations.sum();
    }

    @Override
    public void close() {
        List<GrowingMemoryBody> filling;
        synchronized (fillsReadable) {
            filling = List.copyOf(fillsReadable);
        }
        for (GrowingMemoryBody fill : filling) {
            fill.drop("the memory tier was closed");
        }
        for (CacheKey key : List.copyOf(cache.asMap().keySet())) {
            cache.asMap().computeIfPresent(key, (k, set) -> reindex(k, set, null));
        }
        cache.invalidateAll();
        tagIndex.clear();
    }

    /** {@code delta} bytes more (or fewer) of fills in flight; moves the bound once they moved by a step. */
    private void filling(long delta) {
        long now = fillingBytes.addAndGet(delta);
        long room = fillRoom;
        if (Math.abs(now - room) >= fillRoomStep || (now == 0 && room != 0)) {
            maintenance.execute(this::applyFillRoom);
        }
    }

    /**
     * The cache's bound: {@code max-size} less the bytes of the fills in flight, at most half of it (what fills
     * take beyond that is outside the bound, as before: a burst of misses never empties the tier).
     */
    private void applyFillRoom() {
        synchronized (fillRoomLock) { // one at a time, each applying the newest total: never an older one last
            long f;
            long now;
            do {
                f = fillingBytes.get();
                fillRoom = f;
                fillRoomHookForTests.run();
                long bound = maxSize - Math.min(Math.max(0, f), maxSize / 2);
                cache.policy().eviction().ifPresent(e -> e.setMaximum(weigher.maximumWeight(bound)));
                now = fillingBytes.get();
            } while (Math.abs(now - f) >= fillRoomStep || (now == 0 && f != 0));
        }
    }

    private final Object fillRoomLock = new Object();
    /** Tests: runs between reading the fills' total and applying it. */
    private volatile Runnable fillRoomHookForTests = () -> { };

    /** Tests: {@code hook} runs between reading the fills' total and applying it to the bound. */
    void onFillRoom(Runnable hook) {
        fillRoomHookForTests = hook;
    }

    /** The cache's bound in bytes now (tests: back to max-size once no fill is in flight). */
    long boundBytes() {
        return weigher.bytes(cache.policy().eviction().orElseThrow().getMaximum());
    }

    /** Bytes of the fills in flight, which the tier makes room for (up to half of max-size). */
    public long fillingBytes() {
        return fillingBytes.get();
    }

    /** Stores a variant stamped {@code stamp}; false when a purge of everything since covers it. */
    private boolean insert(CacheEntry entry, TierBody body, long stamp) {
        expireDueSoon(clock.millis());
        if (markers.effect(entry.key().host(), stamp) == PurgeMarkers.Effect.GONE) {
            body.release();
            return false;
        }
        Variant variant = new Variant(entry, body, stamp);
        cache.asMap().compute(entry.key(), (k, set) -> {
            VariantSet live = unexpired(set);
            return reindex(k, set, live == null ? new VariantSet(List.of(variant)) : live.with(variant));
        });
        return true;
    }

    private final class Writer implements ObjectWriter {
        private final CacheEntry entry;
        /** Taken now: a purge of everything while this fill is in flight covers it. */
        private final long stamp = stamps.incrementAndGet();
        private final List<byte[]> chunks = new ArrayList<>();
        private ByteArrayOutputStream current = new ByteArrayOutputStream();
        /** Where the body streams once it is known to reach file-min-size; null while it gathers in the heap. */
        private FileBody.Filling file;
        /**
         * The body's file after a write to it failed: it keeps the body's first bytes (read along, and copied into
         * the stored body at the commit) and the rest gathers in the heap; null while nothing failed.
         */
        private FileBody.Filling spilled;
        private long size;
        /** Bytes of this fill counted in {@link #fillingBytes}. */
        private long counted;
        /** Read by {@link #growingBody} from any thread. */
        private volatile boolean abandoned;
        private boolean finished;
        /** The body as it fills, for a body of known length (see {@link GrowingMemoryBody}); else null. */
        private final GrowingMemoryBody growing;

        Writer(CacheEntry entry) {
            this.entry = entry;
            if (entry.bodyLength() >= 0) {
                growing = new GrowingMemoryBody(entry.key().asString(), entry.bodyLength(), fillsReadable::remove);
                fillsReadable.add(growing);
            } else {
                growing = null;
            }
        }

        @Override
        public StoredBody growingBody() {
            return growing == null || abandoned || growing.isDropped() ? null : growing;
        }

        @Override
        public void write(ByteBuffer chunk) {
            if (abandoned || finished) {
                return;
            }
            int n = chunk.remaining();
            size += n;
            if (size > maxObjectSize) {
                abort("it is larger than cache.memory.max-object-size");
                return;
            }
            counted += n;
            filling(n);
            if (file == null && spilled == null && wantsFile(Math.max(size, entry.bodyLength()))) {
                file = startFile(); // null: it gathers in the heap, as a small body does
            }
            if (file != null) {
                long before = file.length();
                try {
                    if (before + n > fileRoomForTests) {
                        file.append(chunk.duplicate().limit(chunk.position() + (int) (fileRoomForTests - before)));
                        throw new IOException("No space left on device (a test's limit)");
                    }
                    file.append(chunk);
                    if (growing != null) {
                        growing.fileAppended(file.length());
                    }
                    return;
                } catch (IOException | RuntimeException e) {
                    // the memory filesystem is full: the file keeps what it has, the rest gathers in the heap, and
                    // the object goes to direct buffers at the commit (nobody reading along is cut)
                    fileFailed(e);
                    spilled = file;
                    file = null;
                    if (growing != null) {
                        growing.fileFailed(spilled.length());
                    }
                    chunk = chunk.duplicate().position(chunk.position() + (int) (spilled.length() - before));
                    n = chunk.remaining();
                }
            }
            ByteBuffer src = chunk.duplicate();
            byte[] tmp = new byte[n];
            src.get(tmp);
            current.write(tmp, 0, n);
            if (current.size() >= CHUNK) {
                gathered(current.toByteArray());
                current = new ByteArrayOutputStream();
            }
        }

        /** {@code chunk} is the next part of the body in the heap. */
        private void gathered(byte[] chunk) {
            chunks.add(chunk);
            if (growing != null) {
                growing.heapChunk(chunk);
            }
        }

        /** A file holding what gathered so far, or null (counted, logged) when it cannot be written. */
        private FileBody.Filling startFile() {
            List<byte[]> gathered = new ArrayList<>(chunks);
            gathered.add(current.toByteArray());
            FileBody.Filling started;
            try {
                started = FileBody.Filling.start(files.dir(), fileBytes, gathered, entry.bodyLength());
            } catch (IOException | RuntimeException e) {
                fileFailed(e);
                return null;
            }
            chunks.clear();
            current = new ByteArrayOutputStream();
            if (growing != null) {
                growing.fileStarted(started.channel(), started.length());
            }
            return started;
        }

        @Override
        public CompletableFuture<Boolean> commit() {
            if (abandoned || finished) {
                return CompletableFuture.completedFuture(false);
            }
            finished = true;
            if (current.size() > 0) {
                gathered(current.toByteArray());
            }
            if (entry.bodyLength() >= 0 && entry.bodyLength() != size) {
                abort("its body ended at " + size + " of the " + entry.bodyLength() + " bytes it declared");
                return CompletableFuture.completedFuture(false);
            }
            CacheEntry complete = new CacheEntry(entry.key(), entry.variantKey(), entry.varyNames(), entry.status(),
                    entry.headers(), entry.requestTime(), entry.responseTime(), entry.initialAge(), entry.policy(),
                    size, entry.invalidated());
            TierBody body;
            if (file != null) {
                body = file.complete();
                file = null;
                fileWritten();
            } else if (spilled != null) {
                List<byte[]> all;
                try {
                    all = readBack(spilled);
                } catch (IOException | RuntimeException e) {
                    abort("its partial file could not be read back: " + e);
                    return CompletableFuture.completedFuture(false);
                }
                all.addAll(chunks);
                body = hold(all.toArray(new byte[0][]), size);
            } else {
                body = hold(chunks.toArray(new byte[0][]), size);
            }
            chunks.clear();
            uncount(); // before the insert: the object's own weight takes over from here
            if (growing != null) {
                growing.complete(body); // every byte is there: its readers finish whatever becomes of the object
            }
            if (spilled != null) {
                spilled.discard(); // after the readers moved to the stored body
                spilled = null;
            }
            if (body == null) {
                abandoned = true;
                return CompletableFuture.completedFuture(false);
            }
            return CompletableFuture.completedFuture(insert(complete, body, stamp));
        }

        @Override
        public void abort() {
            abort("its fill was given up");
        }

        private void abort(String why) {
            if (growing != null) {
                growing.drop(why); // before the file goes: its readers fail as dropped, not on a closed file
            }
            uncount();
            abandoned = true;
            chunks.clear();
            current = new ByteArrayOutputStream();
            if (file != null) {
                file.discard();
                file = null;
            }
            if (spilled != null) {
                spilled.discard();
                spilled = null;
            }
        }

        /** This fill's bytes no longer count as in flight. */
        private void uncount() {
            if (counted != 0) {
                filling(-counted);
                counted = 0;
            }
        }

        /** The bytes of a partial body file, in chunks. */
        private List<byte[]> readBack(FileBody.Filling partial) throws IOException {
            List<byte[]> out = new ArrayList<>();
            for (long at = 0; at < partial.length(); ) {
                ByteBuffer piece = ByteBuffer.allocate((int) Math.min(CHUNK, partial.length() - at));
                FileBody.readFully(partial.channel(), piece, at);
                out.add(piece.array());
                at += piece.capacity();
            }
            return out;
        }

        @Override
        public boolean isAbandoned() {
            return abandoned;
        }
    }

    private record Variant(CacheEntry entry, TierBody body, Set<String> tags, long stamp) {
        Variant(CacheEntry entry, TierBody body, long stamp) {
            this(entry, body, Set.copyOf(SurrogateKeys.of(entry.headers())), stamp);
        }

        Variant invalidated() {
            return new Variant(entry.asInvalidated(), body, tags, stamp);
        }

        long bytes() {
            return entry.metadataBytes() + body.length() + body.heapBytes();
        }
    }

    /** The variants of one primary key, newest first; immutable. */
    private static final class VariantSet {
        final List<Variant> variants;
        final long bytes;
        /** Every tag of every variant. */
        final Set<String> tags;
        /** The variants as a lookup answers them when no purge marker touches any, in the same order. */
        final List<StoredObject> served;
        /** When no variant can serve anything; set by {@link #reindex} before the map holds this set. */
        ExpiryQueue.Deadline<CacheKey> deadline;

        VariantSet(List<Variant> variants) {
            this.variants = List.copyOf(variants);
            long b = 64;
            Set<String> t = variants.size() == 1 ? variants.get(0).tags : new HashSet<>();
            for (Variant v : variants) {
                b += v.bytes();
                if (variants.size() > 1) {
                    t.addAll(v.tags);
                }
            }
            this.bytes = b;
            this.tags = t;
            StoredObject[] asServed = new StoredObject[this.variants.size()];
            for (int i = 0; i < asServed.length; i++) {
                Variant v = this.variants.get(i);
                asServed[i] = new StoredObject(v.entry, v.body, StoredObject.Tier.MEMORY);
            }
            this.served = List.of(asServed);
        }

        long bytes() {
            return bytes;
        }

        VariantSet with(Variant v) {
            List<Variant> next = new ArrayList<>(variants.size() + 1);
            next.add(v);
            for (Variant old : variants) {
                if (!old.entry.variantKey().equals(v.entry.variantKey()) && next.size() < MAX_VARIANTS) {
                    next.add(old);
                }
            }
            return new VariantSet(next);
        }

        /** With {@code updated} replacing its variant, restamped; unchanged when that variant is gone. */
        VariantSet replaceEntry(CacheEntry updated, long stamp, PurgeMarkers markers) {
            List<Variant> next = new ArrayList<>(variants.size());
            boolean found = false;
            for (Variant old : variants) {
                if (!found && old.entry.variantKey().equals(updated.variantKey())
                        && old.entry.sameRepresentationAs(updated)
                        && markers.effect(updated.key().host(), old.stamp) != PurgeMarkers.Effect.GONE) {
                    next.add(new Variant(updated, old.body, stamp));
                    found = true;
                } else {
                    next.add(old);
                }
            }
            return found ? new VariantSet(next) : this;
        }

        /** Without the variants a purge of everything removed; null when nothing is left. */
        VariantSet withoutGone(PurgeMarkers markers, String host) {
            List<Variant> next = new ArrayList<>(variants.size());
            for (Variant v : variants) {
                if (markers.effect(host, v.stamp) != PurgeMarkers.Effect.GONE) {
                    next.add(v);
                }
            }
            return next.isEmpty() ? null : next.size() == variants.size() ? this : new VariantSet(next);
        }

        VariantSet without(String variantKey) {
            List<Variant> next = new ArrayList<>(variants.size());
            for (Variant old : variants) {
                if (!old.entry.variantKey().equals(variantKey)) {
                    next.add(old);
                }
            }
            return next.size() == variants.size() ? this : new VariantSet(next);
        }

        Instant usefulUntil(long grace) {
            Instant max = Instant.MIN;
            for (Variant v : variants) {
                Instant u = v.entry.usefulUntil(grace);
                if (u.isAfter(max)) {
                    max = u;
                }
            }
            return max;
        }
    }
}
