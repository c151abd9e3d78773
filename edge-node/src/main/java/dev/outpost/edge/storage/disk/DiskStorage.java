package dev.outpost.edge.storage.disk;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.storage.ByteWeigher;
import dev.outpost.edge.http.SurrogateKeys;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.PurgeMarkers;
import dev.outpost.edge.storage.UsefulLifeExpiry;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileManager;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier (ARCHITECTURE §3): RocksDB for the bytes, a Caffeine index in memory for the
 * accounting and the eviction policy RocksDB does not have.
 *
 * <h2>Layout</h2>
 * Four column families ({@link Keys} has the exact key formats):
 * <ul>
 * <li>{@code default}: {@code format} (int, {@link #STORE_FORMAT}), {@code generation} (long),
 *     {@code purge-sequence} (long: the last purge sequence applied to this store, see
 *     {@link #recordPurgeSequence}), {@code purge-markers} ({@link PurgeMarkers}: the soft and per-host
 *     purges of everything, compared with each record's stamp), {@code tag-index}, and
 *     {@code pending/<objectId>} intents of objects whose chunks are being written.</li>
 * <li>{@code meta}: one record per stored variant, key {@code url 0x00 variantKey}, value
 *     {@link EntryCodec} (entry, objectId, length, CRC32C per chunk, generation).</li>
 * <li>{@code chunks}: key {@code objectId(8 BE) chunkIndex(4 BE)}, value up to {@link #CHUNK_SIZE}
 *     bytes of body. Every stored version of an object gets a fresh, monotonic objectId, so the chunks
 *     of an old and a new version never mix and one {@code deleteRange} drops an object.</li>
 * <li>{@code tags}: the tag index (tag → variant) used by tag purges: one empty-valued key per tag of
 *     each stored variant ({@link SurrogateKeys}: Surrogate-Key, Cache-Tag, Cache-Groups), written in
 *     the batch that commits the variant's meta record and deleted in every batch that deletes or
 *     replaces it (removal, eviction, expiry, purge, a newer version), so index and objects agree after
 *     any crash. Keys start with the generation, so a generation bump drops the old entries with one
 *     range delete. Older stores are indexed once at open ({@code tag-index} key).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * No RocksDB call ever runs on the caller's thread (a Vert.x event loop). Every mutation runs on one
 * dedicated write thread, in submission order; point reads (meta records, chunks) run on a small
 * read pool. Body chunks queued for writing are bounded ({@link Settings#writeQueueChunks()}, 64 ×
 * 64 KiB = 4 MiB by default), with back-pressure ({@link ObjectWriter#writeQueueFull()}): writers
 * report full once half the bound is queued (all writers share the queue) and call their drain
 * handlers once it is down to a quarter, on the write thread. A writer that keeps writing past the
 * whole bound abandons its object instead of blocking or buffering. Futures complete on these storage
 * threads; callers hop back to their own context.
 *
 * <h2>Full disks</h2>
 * {@link FreeSpaceGuard} keeps {@code min-free} bytes free on the volume: below it objects are not
 * stored (counted with the write failures, logged once per episode) and the bound shrinks so eviction
 * makes room. RocksDB is thus kept away from ENOSPC, after which a failed WAL append would leave it
 * read-only until reopened; should it happen anyway (another process filling the volume), writes fail,
 * are counted and logged once, and reads go on. An {@code SstFileManager} is installed so RocksDB can
 * recover by itself from a full disk met during a flush or compaction.
 *
 * <h2>Crash safety</h2>
 * An object is visible only through its meta record, and that record is written in one WriteBatch
 * after every chunk of the object, on the same thread, with the WAL on. RocksDB recovers a prefix of
 * the write sequence, so a recovered meta record implies its chunks. The batch that commits also
 * deletes the previous version of that variant (meta replaced, chunks range-deleted) and the
 * object's {@code pending/} intent. The intent is written together with the object's first chunk
 * (objects of one chunk are a single batch and never need one), and every other removal (abort,
 * eviction, expiry, purge) deletes meta, chunks and intent in one batch (or, for an object with readers
 * open, meta and an intent in place of the chunks, which go with the last reader: a response under way is
 * never cut by a removal), so the invariant is: every chunk belongs to a meta record or to an intent. Start-up therefore collects the chunks of a write
 * interrupted by a crash by reading the intents only, without scanning the chunks. Reads verify each
 * chunk's length and CRC32C; a damaged object fails the read (the caller goes to the origin) and is
 * dropped.
 *
 * <h2>Accounting and eviction</h2>
 * The index is a Caffeine cache from URL to its variants (objectId, generation, bytes, useful-until),
 * weighed by the real bytes stored (meta key + record + body + per-chunk key overhead), bounded by
 * {@code maxSize} (W-TinyLFU: recency and frequency), each URL expiring once none of its variants can
 * serve anything ({@link CacheEntry#usefulUntil}, as in the memory tier), on the injected clock. Its
 * removal listener runs on the write thread and deletes evicted/expired objects from RocksDB; explicit
 * removals did their own deletes. Lookups consult the index first, so a miss costs no I/O and no
 * thread hop. The index is rebuilt from the {@code meta} family at start-up.
 *
 * <h2>Format and generation</h2>
 * A store whose {@code format} differs from {@link #STORE_FORMAT} is dropped with one WARN line.
 * Each record carries the generation it was written in; {@link #bumpGeneration()} makes every older
 * record invisible at once and sweeps them away in the background (and at start-up).
 *
 * <h2>RocksDB options (why)</h2>
 * <ul>
 * <li>{@code chunks}: integrated BlobDB ({@code enable_blob_files}, min blob 4 KiB, 256 MiB blob files,
 *     blob GC with age cut-off 0.5): 64 KiB values stay out of the LSM, so compaction rewrites only
 *     small key/blob-reference entries instead of the bodies (write amplification near 2 instead of
 *     ~10 on a store that churns all the time). No compression: bodies are mostly already compressed
 *     (images, video, gzip/br); LZ4 would burn one of the two cores for nothing. No bloom filter:
 *     chunks are only read by keys known to exist.</li>
 * <li>{@code meta}: LZ4 (headers compress well, cheap to decode), bloom filter 10 bits/key (the commit
 *     looks up a usually-absent previous version), 16 KiB blocks.</li>
 * <li>One 32 MiB LRU block cache shared by all families, with index and filter blocks in it (bounded
 *     native memory; bodies are cached by the memory tier and the OS page cache, not here).</li>
 * <li>Modest memtables (chunks 32 MiB × 2, meta 16 MiB × 2, others 4 MiB), {@code max_total_wal_size}
 *     128 MiB so the slow meta family gets flushed and the WAL stays short (fast restart), two
 *     background jobs for a 2-core box, {@code bytes_per_sync} 1 MiB to smooth write-back,
 *     {@code max_open_files} 1024 (bounded descriptors next to client sockets).</li>
 * <li>WAL on, not synced per write: a process crash (kill -9) loses nothing the OS already has, and the
 *     prefix recovery gives the visibility argument above. The format and generation keys are written
 *     with sync. Close syncs the WAL.</li>
 * </ul>
 */
public final class DiskStorage implements CacheStorage {

    private static final Logger LOG = LoggerFactory.getLogger(DiskStorage.class);

    /** Body chunk size; the last chunk of an object may be shorter. */
    public static final int CHUNK_SIZE = 64 * 1024;
    /** Layout version of the whole store (keys, families, codec); a different one is dropped at open. */
    static final int STORE_FORMAT = 1;
    static final int MAX_VARIANTS = 16;
    static final String CF_META = "meta";
    static final String CF_CHUNKS = "chunks";
    static final String CF_TAGS = "tags";
    /** Accounted bytes per chunk beyond its value: key, blob reference, SST overhead. */
    private static final long CHUNK_OVERHEAD = 32;
    /** The free space is checked at an object's first chunk and every 1 MiB after. */
    private static final int CHUNKS_PER_SPACE_CHECK = 16;
    private static final long URL_OVERHEAD = 64;
    private static final int SWEEP_BATCH = 1000;

    static {
        RocksDB.loadLibrary();
    }

    /**
     * What to open.
     *
     * @param dir               the store's directory (created if missing)
     * @param maxSize           bytes accounted at most ({@code cache.disk.max-size})
     * @param maxObjectSize     bodies above this are refused (declared) or abandoned (streamed)
     * @param clock             time for expiry
     * @param revalidationGrace how long a stale entry with a validator is kept for revalidation
     * @param writeQueueChunks  body chunks that may wait for the write thread before writers give up;
     *                          writers report full at half of it and drain at a quarter
     * @param readThreads       threads of the read pool
     * @param minFree           bytes kept free on the volume ({@link FreeSpaceGuard}); 0 = not watched
     */
    /** Receives the time RocksDB calls take (nanoseconds); called on the storage threads. */
    public interface LatencyListener {
        LatencyListener NONE = new LatencyListener() {
            @Override
            public void chunkRead(long nanos) {
            }

            @Override
            public void chunkWrite(long nanos) {
            }
        };

        void chunkRead(long nanos);

        void chunkWrite(long nanos);
    }

    private volatile LatencyListener latency = LatencyListener.NONE;

    /** Reports the latency of chunk reads and writes (e.g. to histograms). */
    public void measureLatency(LatencyListener listener) {
        this.latency = Objects.requireNonNull(listener);
    }

    public record Settings(Path dir, long maxSize, long maxObjectSize, Clock clock, Duration revalidationGrace,
            int writeQueueChunks, int readThreads, long minFree) {

        public Settings {
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(revalidationGrace, "revalidationGrace");
            if (maxSize <= 0 || maxObjectSize <= 0 || writeQueueChunks <= 0 || readThreads <= 0) {
                throw new IllegalArgumentException("sizes, queue and threads must be positive");
            }
        }

        public Settings(Path dir, long maxSize, long maxObjectSize, Clock clock, Duration revalidationGrace) {
            this(dir, maxSize, maxObjectSize, clock, revalidationGrace, 64, 2, 0);
        }

        public Settings withMinFree(long bytes) {
            return new Settings(dir, maxSize, maxObjectSize, clock, revalidationGrace, writeQueueChunks, readThreads,
                    bytes);
        }
    }

    private final Settings settings;
    private final ByteWeigher weigher;
    private final FreeSpaceGuard freeSpace;
    private final LongAdder spaceRefusals = new LongAdder();
    private final Clock clock;
    private final long graceSeconds;
    private final Native rocks;
    private final Cache<String, Slots> index;
    private final ThreadPoolExecutor writeExecutor;
    private final ThreadPoolExecutor readExecutor;
    private volatile Thread writeThread;
    private final AtomicLong generation = new AtomicLong();
    /**
     * Object ids, and the stamps of records ({@link PurgeMarkers}): a record's stamp is its objectId
     * (taken when its writer was created) until a metadata update gives it a fresh number from here.
     * Monotonic across restarts: the rebuild starts it above every id and stamp stored and every marker.
     */
    private final AtomicLong nextObjectId = new AtomicLong(1);
    /** Purges of everything but the global hard one (a generation bump); persisted under {@code purge-markers}. */
    private final PurgeMarkers markers;
    /** Stored records purges have looked at (tests: purges of everything look at none). */
    private final LongAdder purgeVisits = new LongAdder();
    private final AtomicInteger queuedChunks = new AtomicInteger();
    /** Writers report full from this many queued chunks on... */
    private final int highWater;
    /** ...and their drain handlers run once the queue is down to this many. */
    private final int lowWater;
    /** Drain handlers of writers that saw the queue full; each runs once. */
    private final ConcurrentLinkedQueue<Runnable> drainWaiters = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Bodies handed out by {@link Writer#growingBody} and not committed or dropped yet: closing fails their reads. */
    private final Set<GrowingBody> growing = ConcurrentHashMap.newKeySet();
    /**
     * Open readers of committed objects (disk hits, and requests reading a fill along since its commit), by
     * object id: removing one of these objects (a purge, an eviction, a newer version) leaves its chunks until
     * they are done ({@link #deleteChunks}), as Varnish keeps an object's body for the deliveries under way.
     */
    private final ConcurrentHashMap<Long, OpenReaders> openReaders = new ConcurrentHashMap<>();
    /**
     * Removed objects whose chunks wait for their readers, with their bytes; each has an intent on disk once its
     * removal is written. Those bytes count against {@code max-size} ({@link #applyBound}) from the end of the
     * write task that removed the object ({@link #settleDeferrals}: its batch written, the index updated, so
     * they are never counted twice), and the store evicts others to make room for them.
     */
    private final ConcurrentHashMap<Long, Long> deferredChunkDeletes = new ConcurrentHashMap<>();
    /** Write thread only: deferrals made by the current write task, settled when it ends. */
    private final List<Long> deferralsToSettle = new ArrayList<>();
    /** Write thread only: deferrals whose bytes are counted in {@link #deferredChunkBytes}. */
    private final Set<Long> countedDeferrals = new HashSet<>();
    /** The bytes of the counted deferrals. */
    private final AtomicLong deferredChunkBytes = new AtomicLong();
    /** The bound on stored bytes: {@code max-size}, or less while the volume is short of space. */
    private volatile long bound;
    private final Set<String> loggedConditions = ConcurrentHashMap.newKeySet();
    /** Write thread only: the last write failed. */
    private boolean writesFailing;

    private final LongAdder writeFailures = new LongAdder();
    private final LongAdder readFailures = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder writeQueueOverflows = new LongAdder();
    private volatile long rebuildMillis;
    private volatile long rebuiltEntries;
    /** Variants in {@link #index}, kept by {@link #counted} and the eviction listener. */
    private final LongAdder variants = new LongAdder();
    private volatile long collectedGarbage;

    /** Opens (or creates) the store at {@code dir}; see {@link Settings}. */
    public static DiskStorage open(Path dir, long maxSize, long maxObjectSize, Clock clock, Duration revalidationGrace)
            throws IOException {
        return open(new Settings(dir, maxSize, maxObjectSize, clock, revalidationGrace));
    }

    /**
     * Opens (or creates) the store, drops it if it was written in another format, and rebuilds the
     * index from it. Blocks for the rebuild: call it at start-up, not on an event loop.
     */
    public static DiskStorage open(Settings settings) throws IOException {
        try {
            Files.createDirectories(settings.dir());
        } catch (IOException e) {
            throw new IOException("cannot create disk store directory " + settings.dir() + ": " + e.getMessage(), e);
        }
        Native rocks;
        try {
            rocks = Native.open(settings.dir());
        } catch (RocksDBException e) {
            throw new IOException("cannot open disk store at " + settings.dir() + ": " + e.getMessage(), e);
        }
        DiskStorage storage = null;
        try {
            rocks = checkFormat(rocks, settings.dir());
            storage = new DiskStorage(settings, rocks);
            storage.rebuild();
            storage.checkFreeSpace(); // a volume short of space from the start is known before the first write
            return storage;
        } catch (RocksDBException | RuntimeException e) {
            if (storage != null) {
                storage.close();
            } else {
                rocks.close();
            }
            throw new IOException("cannot open disk store at " + settings.dir() + ": " + e.getMessage(), e);
        }
    }

    private DiskStorage(Settings settings, Native rocks) throws RocksDBException {
        this.settings = settings;
        this.bound = settings.maxSize();
        this.weigher = ByteWeigher.forMaxObjectSize(settings.maxObjectSize());
        try {
            this.freeSpace = FreeSpaceGuard.forDirectory(settings.dir(), settings.minFree());
        } catch (IOException e) {
            throw new RocksDBException("cannot read the free space of " + settings.dir() + ": " + e.getMessage());
        }
        this.clock = settings.clock();
        this.graceSeconds = settings.revalidationGrace().toSeconds();
        this.rocks = rocks;
        this.highWater = Math.max(1, settings.writeQueueChunks() / 2);
        this.lowWater = Math.min(highWater - 1, settings.writeQueueChunks() / 4);
        this.writeExecutor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "outpost-disk-write");
            t.setDaemon(true);
            writeThread = t;
            return t;
        }) {
            @Override
            protected void afterExecute(Runnable task, Throwable thrown) {
                if (!deferralsToSettle.isEmpty()) {
                    settleDeferrals();
                }
            }
        };
        AtomicInteger readThreadNo = new AtomicInteger();
        this.readExecutor = new ThreadPoolExecutor(settings.readThreads(), settings.readThreads(), 0,
                TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(4096), r -> {
                    Thread t = new Thread(r, "outpost-disk-read-" + readThreadNo.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        byte[] gen = rocks.db.get(rocks.defaultCf, Keys.GENERATION);
        if (gen == null) {
            rocks.db.put(rocks.defaultCf, rocks.syncWrite, Keys.GENERATION, Keys.longValue(0));
        } else {
            generation.set(Keys.getLong(gen, 0));
        }
        this.markers = loadMarkers(rocks, settings.dir());
        Ticker ticker = () -> clock.millis() * 1_000_000L;
        Executor maintenance = r -> {
            try {
                writeExecutor.execute(r);
            } catch (RejectedExecutionException closing) {
                // closed: evictions not applied now are found again at the next start
            }
        };
        this.index = Caffeine.newBuilder()
                .maximumWeight(weigher.maximumWeight(settings.maxSize()))
                .weigher((String url, Slots s) -> weigher.weigh(s.weight))
                .expireAfter(new UsefulLifeExpiry<String, Slots>(clock, s -> s.usefulUntil))
                .ticker(ticker)
                .executor(maintenance)
                .removalListener(this::onRemoval)
                // atomically with the eviction (the removal listener runs later, on the write thread)
                .evictionListener((String url, Slots s, RemovalCause cause) -> variants.add(-size(s)))
                .build();
    }

    /**
     * The persisted purge markers; when they cannot be read, what was purged is unknown: a new generation
     * drops everything stored (the rebuild deletes it) and the markers start empty.
     */
    private PurgeMarkers loadMarkers(Native rocks, Path dir) throws RocksDBException {
        byte[] marks = rocks.db.get(rocks.defaultCf, Keys.PURGE_MARKERS);
        if (marks != null) {
            try {
                return PurgeMarkers.decode(marks);
            } catch (IOException | RuntimeException e) {
                LOG.warn("disk store at {}: its purge markers cannot be read ({}): dropping every stored object",
                        dir, e.getMessage());
                long next = generation.incrementAndGet();
                rocks.db.put(rocks.defaultCf, rocks.syncWrite, Keys.GENERATION, Keys.longValue(next));
                rocks.db.delete(rocks.defaultCf, rocks.syncWrite, Keys.PURGE_MARKERS);
            }
        }
        return new PurgeMarkers();
    }

    // ---------------------------------------------------------------- lookup and read

    @Override
    public CompletableFuture<List<StoredObject>> lookup(CacheKey key) {
        if (closed.get()) {
            return CompletableFuture.completedFuture(List.of());
        }
        String url = key.asString();
        Slots slots = index.getIfPresent(url);
        long gen = generation.get();
        if (slots == null || !slots.hasVisible(gen, markers, key.host())) {
            return CompletableFuture.completedFuture(List.of());
        }
        try {
            return CompletableFuture.supplyAsync(() -> readVariants(url, slots, gen), readExecutor);
        } catch (RejectedExecutionException e) {
            readFailures.increment();
            logOnce("read-queue", "disk read queue is full or closed: lookups miss until it drains", null);
            return CompletableFuture.completedFuture(List.of());
        }
    }

    private List<StoredObject> readVariants(String url, Slots slots, long gen) {
        List<EntryCodec.Record> found = new ArrayList<>(slots.slots.length);
        try {
            for (Slot s : slots.slots) {
                if (s.generation != gen) {
                    continue;
                }
                maybeFail(Op.READ);
                EntryCodec.Record r = EntryCodec.decode(rocks.db.get(rocks.metaCf, Keys.meta(url, s.variantKey)));
                if (r != null && r.generation() == gen && r.entry().key().asString().equals(url)) {
                    switch (markers.effect(r.entry().key().host(), r.stamp())) {
                        case LIVE -> found.add(r);
                        case INVALIDATED -> found.add(invalidated(r));
                        case GONE -> dropIfCurrent(url, r.entry().variantKey(), r.objectId()); // lazily
                    }
                }
            }
        } catch (RocksDBException e) {
            readFailures.increment();
            logOnce("read:" + code(e), "disk lookup failed, serving from the origin: " + e.getMessage(), e);
            return List.of();
        }
        List<StoredObject> objects = new ArrayList<>(found.size());
        for (EntryCodec.Record r : found) {
            objects.add(new StoredObject(r.entry(), new DiskBody(url, r), StoredObject.Tier.DISK));
        }
        return objects;
    }

    /** A body on disk; each chunk is read (and verified) on the read pool when the reader asks for it. */
    private final class DiskBody implements StoredBody {
        private final String url;
        private final String variantKey;
        private final long objectId;
        private final long length;
        private final int[] crcs;

        DiskBody(String url, EntryCodec.Record r) {
            this.url = url;
            this.variantKey = r.entry().variantKey();
            this.objectId = r.objectId();
            this.length = r.bodyLength();
            this.crcs = r.crcs();
        }

        @Override
        public boolean onDisk() {
            return true;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public Reader open(long first, long last) {
            Reader reader = chunkReader(length, first, last,
                    (chunk, chunkLength, offset, len) -> readChunk(this, chunk, chunkLength, offset, len));
            readerOpened(objectId, length);
            return onClose(reader, () -> readerClosed(objectId));
        }
    }

    /** {@code reader}, running {@code closed} once when it is first closed. */
    private static StoredBody.Reader onClose(StoredBody.Reader reader, Runnable closed) {
        return new StoredBody.Reader() {
            private boolean done;

            @Override
            public CompletableFuture<ByteBuffer> next() {
                return reader.next();
            }

            @Override
            public void close() {
                if (!done) {
                    done = true;
                    reader.close();
                    closed.run();
                }
            }
        };
    }

    /** How many readers of a committed object are open, and the object's bytes (for {@link #deferredChunkBytes}). */
    private record OpenReaders(int count, long bytes) {
    }

    /** A reader of committed object {@code objectId}, of {@code bytes} bytes, opened: its chunks stay until it is closed. */
    private void readerOpened(long objectId, long bytes) {
        openReaders.merge(objectId, new OpenReaders(1, bytes), (a, b) -> new OpenReaders(a.count() + 1, a.bytes()));
    }

    /**
     * A reader of committed object {@code objectId} closed: after the last one, chunks whose deletion waited
     * for it go. Decided under the map's lock for that id, as {@link #deleteChunks} decides to wait.
     */
    private void readerClosed(long objectId) {
        boolean[] deletionWaits = {false};
        openReaders.computeIfPresent(objectId, (id, open) -> {
            if (open.count() > 1) {
                return new OpenReaders(open.count() - 1, open.bytes());
            }
            deletionWaits[0] = deferredChunkDeletes.containsKey(id);
            return null;
        });
        if (!deletionWaits[0]) {
            return;
        }
        try {
            writeExecutor.execute(() -> deleteDeferredChunks(objectId));
        } catch (RejectedExecutionException closed) {
            // the intent written with the deferral makes the next start collect the chunks
        }
    }

    /** Reads part of a chunk: {@code len} bytes from {@code offset} of chunk {@code chunk}, {@code chunkLength} long. */
    @FunctionalInterface
    private interface ChunkRead {
        CompletableFuture<ByteBuffer> read(int chunk, int chunkLength, int offset, int len);
    }

    /** A reader over bytes {@code first..last} of a body of {@code length} bytes in chunks of CHUNK_SIZE. */
    private static StoredBody.Reader chunkReader(long length, long first, long last, ChunkRead read) {
        if (first < 0 || last >= length || first > last + 1) {
            throw new IndexOutOfBoundsException("range " + first + "-" + last + " of " + length);
        }
        return new StoredBody.Reader() {
            long pos = first;

            @Override
            public CompletableFuture<ByteBuffer> next() {
                if (pos > last) {
                    return CompletableFuture.completedFuture(null);
                }
                int chunk = (int) (pos / CHUNK_SIZE);
                long chunkStart = (long) chunk * CHUNK_SIZE;
                int chunkLength = (int) Math.min(CHUNK_SIZE, length - chunkStart);
                int offset = (int) (pos - chunkStart);
                int len = (int) Math.min(chunkLength - offset, last - pos + 1);
                pos += len;
                return read.read(chunk, chunkLength, offset, len);
            }

            @Override
            public void close() {
                pos = last + 1;
            }
        };
    }

    private CompletableFuture<ByteBuffer> readChunk(DiskBody body, int chunk, int chunkLength, int offset, int len) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new DiskReadException("disk store is closed", false, null));
        }
        CompletableFuture<ByteBuffer> result = new CompletableFuture<>();
        try {
            readExecutor.execute(() -> {
                try {
                    maybeFail(Op.READ);
                    long started = System.nanoTime();
                    byte[] value = rocks.db.get(rocks.chunksCf, Keys.chunk(body.objectId, chunk));
                    latency.chunkRead(System.nanoTime() - started);
                    String problem = null;
                    if (value == null) {
                        if (!stillStored(body)) {
                            result.completeExceptionally(new DiskReadException("object " + body.url
                                    + " was removed from disk while it was read", false, null));
                            return;
                        }
                        problem = "chunk " + chunk + " is missing";
                    } else if (value.length != chunkLength) {
                        problem = "chunk " + chunk + " has " + value.length + " bytes, expected " + chunkLength;
                    } else if (crc(value, value.length) != body.crcs[chunk]) {
                        problem = "chunk " + chunk + " fails its CRC32C";
                    }
                    if (problem != null) {
                        readFailures.increment();
                        logOnce("corrupt", "corrupt object on disk, dropped it and serving from the origin: "
                                + body.url + " " + problem, null);
                        dropIfCurrent(body.url, body.variantKey, body.objectId);
                        result.completeExceptionally(new DiskReadException("disk object " + body.url + ": "
                                + problem, true, null));
                        return;
                    }
                    result.complete(ByteBuffer.wrap(value, offset, len).slice().asReadOnlyBuffer());
                } catch (RocksDBException | RuntimeException e) {
                    readFailures.increment();
                    logOnce("read:" + code(e), "disk read failed, serving from the origin: " + e.getMessage(), e);
                    result.completeExceptionally(new DiskReadException("disk read of " + body.url + " failed: "
                            + e.getMessage(), false, e));
                }
            });
        } catch (RejectedExecutionException e) {
            readFailures.increment();
            logOnce("read-queue", "disk read queue is full or closed: reads fail until it drains", null);
            result.completeExceptionally(new DiskReadException("disk read queue is full", false, e));
        }
        return result;
    }

    private boolean stillStored(DiskBody body) throws RocksDBException {
        long[] ids = EntryCodec.peekIds(rocks.db.get(rocks.metaCf, Keys.meta(body.url, body.variantKey)));
        return ids != null && ids[1] == body.objectId;
    }

    /**
     * An object's body while its {@link Writer} streams it in ({@link ObjectWriter#growingBody}). The write
     * thread puts the chunks in order, so the chunks put so far are a prefix: a read of one of them goes to
     * the read pool at once (from the memtable or the page cache, the bytes having just been written), a
     * read further on is parked until the write thread has put it (the last, partial chunk is put by the
     * commit). Every chunk but the last is {@link #CHUNK_SIZE} long, so a body whose length is not known yet
     * (a chunked response) is read chunk by chunk too, and ends where the commit says. Chunks are not
     * verified against a CRC (it is computed as they are put, and only the commit records it): they are the
     * bytes this process just wrote. While readers open at the commit are still reading, removing the object
     * (a purge that overtook the fill, an eviction, a newer version) leaves its chunks in place until the last
     * of them is done ({@link #deleteChunks}), so they read it whole, as a stream from the origin would have
     * gone on (Varnish keeps a busy object's body for its readers the same way). A chunk that is gone when read
     * (the object was given up before its commit) and every read parked when the object is given up or the
     * store closes fail with {@link StoredBody.BodyDropped}.
     */
    private final class GrowingBody implements StoredBody {
        /** Chunks kept for readers that ask for them after another did: 256 KiB a body at most. */
        private static final int SHARED_CHUNKS = 4;

        private final String url;
        private final long objectId;
        /** The declared length, or -1 when not known. */
        private final long length;
        /** Guarded by this: chunks put so far (all of them once committed). */
        private int put;
        /** Guarded by this: the commit put the last chunk; {@link #put} is the chunk count. */
        private boolean committed;
        /** Guarded by this: why the object will not be complete, once it will not. */
        private String dropped;
        /** Guarded by this: reads of chunks not put yet. */
        private final List<ParkedRead> parked = new ArrayList<>();
        /** Guarded by this: the last {@link #SHARED_CHUNKS} chunks read, least recently asked for first. */
        private final Map<Integer, CompletableFuture<byte[]>> recentChunks = new LinkedHashMap<>(8, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, CompletableFuture<byte[]>> eldest) {
                return size() > SHARED_CHUNKS;
            }
        };
        /** Guarded by this: readers not closed yet. */
        private int readers;
        /** Guarded by this: committed; readers open from then on are counted in {@link #openReaders}. */
        private boolean countedAsStored;

        /** A read of {@code len} bytes from {@code offset} of a chunk; {@code len} -1: to the chunk's end. */
        private record ParkedRead(int chunk, int offset, int len, CompletableFuture<ByteBuffer> result) {
        }

        GrowingBody(String url, long objectId, long length) {
            this.url = url;
            this.objectId = objectId;
            this.length = length;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public boolean onDisk() {
            return true;
        }

        @Override
        public Reader open(long first, long last) {
            Reader reader = uncounted(first, last);
            synchronized (this) {
                readers++;
                if (countedAsStored) {
                    readerOpened(objectId, storedBytes());
                }
            }
            return onClose(reader, () -> {
                boolean counted;
                synchronized (GrowingBody.this) {
                    if (--readers == 0) {
                        recentChunks.clear(); // nobody left to share them with
                    }
                    counted = countedAsStored;
                }
                if (counted) {
                    readerClosed(objectId);
                }
            });
        }

        private Reader uncounted(long first, long last) {
            if (length >= 0) {
                return chunkReader(length, first, last,
                        (chunk, chunkLength, offset, len) -> read(chunk, offset, len));
            }
            if (first < 0 || last != Long.MAX_VALUE) {
                throw new IndexOutOfBoundsException("a body of unknown length is read from a position to its end,"
                        + " not " + first + "-" + last);
            }
            return new Reader() { // every chunk but the last is CHUNK_SIZE long: one chunk per call, to the end
                int chunk = (int) (first / CHUNK_SIZE);
                int offset = (int) (first % CHUNK_SIZE);
                boolean closed;

                @Override
                public CompletableFuture<ByteBuffer> next() {
                    if (closed) {
                        return CompletableFuture.completedFuture(null);
                    }
                    CompletableFuture<ByteBuffer> read = read(chunk++, offset, -1);
                    offset = 0;
                    return read;
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }

        private CompletableFuture<ByteBuffer> read(int chunk, int offset, int len) {
            synchronized (this) {
                if (chunk >= put) {
                    if (committed) {
                        return CompletableFuture.completedFuture(null); // past the end of a body of unknown length
                    }
                    if (dropped != null) {
                        return CompletableFuture.failedFuture(new BodyDropped(dropped));
                    }
                    CompletableFuture<ByteBuffer> later = new CompletableFuture<>();
                    parked.add(new ParkedRead(chunk, offset, len, later));
                    return later;
                }
            }
            return readPut(chunk, offset, len);
        }

        /** Part of a chunk that was put: sliced from the chunk as read (once for every reader, see below). */
        private CompletableFuture<ByteBuffer> readPut(int chunk, int offset, int len) {
            return chunkBytes(chunk).thenApply(value -> {
                int n = len < 0 ? (value == null ? 0 : value.length - offset) : len;
                if (value == null || n < 0 || offset + n > value.length) {
                    throw new BodyDropped("object " + url + " was dropped from disk while it was read along its fill");
                }
                return ByteBuffer.wrap(value, offset, n).slice().asReadOnlyBuffer();
            });
        }

        /**
         * A chunk that was put, read on the read pool, or null when it is gone. The last few chunks read are
         * shared by every reader asking for them: a crowd reading one fill along (the usual case: they wait at
         * the same place, the fill's end) costs one RocksDB read a chunk, not one a reader.
         */
        private CompletableFuture<byte[]> chunkBytes(int chunk) {
            CompletableFuture<byte[]> result;
            synchronized (this) {
                CompletableFuture<byte[]> shared = recentChunks.get(chunk);
                if (shared != null) {
                    return shared;
                }
                if (closed.get()) {
                    return CompletableFuture.failedFuture(new BodyDropped("disk store is closed"));
                }
                result = new CompletableFuture<>();
                recentChunks.put(chunk, result);
            }
            try {
                readExecutor.execute(() -> {
                    byte[] value = null;
                    DiskReadException failed = null;
                    try {
                        maybeFail(Op.READ);
                        long started = System.nanoTime();
                        value = rocks.db.get(rocks.chunksCf, Keys.chunk(objectId, chunk));
                        latency.chunkRead(System.nanoTime() - started);
                    } catch (RocksDBException | RuntimeException e) {
                        readFailures.increment();
                        logOnce("read:" + code(e), "disk read failed, serving from the origin: " + e.getMessage(), e);
                        failed = new DiskReadException("disk read of " + url + " failed: " + e.getMessage(), false, e);
                    }
                    if (failed != null || value == null) {
                        unshare(chunk, result); // a later reader reads again
                    }
                    if (failed != null) {
                        result.completeExceptionally(failed);
                    } else {
                        result.complete(value);
                    }
                });
            } catch (RejectedExecutionException e) {
                unshare(chunk, result);
                result.completeExceptionally(new BodyDropped("disk store is closed or its read queue is full"));
            }
            return result;
        }

        /** A read that failed or found nothing is not given to later readers. */
        private synchronized void unshare(int chunk, CompletableFuture<byte[]> read) {
            recentChunks.remove(chunk, read);
        }

        /**
         * Write thread, right after the commit (before any later write can remove the object): the readers open
         * now, and those opened from now on, count as readers of the stored object.
         */
        private void countReadersAsStored() {
            synchronized (this) {
                countedAsStored = true;
                for (int i = 0; i < readers; i++) {
                    readerOpened(objectId, storedBytes());
                }
            }
        }

        /** Guarded by this: the object's bytes as committed. */
        private long storedSize;

        /** Guarded by this, once committed: the object's bytes. */
        private long storedBytes() {
            return storedSize;
        }

        /** Write thread: chunks {@code 0..count-1} are put. */
        void put(int count) {
            settle(count, false);
        }

        /** Write thread: committed; every chunk is put, reads past the last one end the body. */
        void committed(int chunkCount, long size) {
            synchronized (this) {
                storedSize = size;
            }
            countReadersAsStored();
            settle(chunkCount, true);
            growing.remove(this);
        }

        private void settle(int count, boolean commit) {
            List<ParkedRead> ready = new ArrayList<>();
            int upTo;
            synchronized (this) {
                if (count > put) {
                    put = count;
                }
                committed |= commit;
                upTo = put;
                parked.removeIf(r -> (r.chunk() < upTo || committed) && ready.add(r));
            }
            for (ParkedRead r : ready) {
                CompletableFuture<ByteBuffer> read = r.chunk() < upTo ? readPut(r.chunk(), r.offset(), r.len())
                        : CompletableFuture.completedFuture(null); // past the end of a body of unknown length
                read.whenComplete((chunk, err) -> {
                    if (err != null) {
                        r.result().completeExceptionally(err);
                    } else {
                        r.result().complete(chunk);
                    }
                });
            }
        }

        /** The object will not be complete: parked reads, and reads of chunks not put, fail. Idempotent. */
        void drop(String why) {
            List<ParkedRead> failed;
            synchronized (this) {
                if (dropped != null || committed) {
                    return;
                }
                dropped = why;
                failed = new ArrayList<>(parked);
                parked.clear();
            }
            growing.remove(this);
            BodyDropped err = new BodyDropped(why);
            failed.forEach(r -> r.result().completeExceptionally(err));
        }
    }

    // ---------------------------------------------------------------- writes

    @Override
    public ObjectWriter writer(CacheEntry entry) {
        if (closed.get() || entry.bodyLength() > settings.maxObjectSize()) {
            return ObjectWriter.DISCARD;
        }
        return new Writer(entry, nextObjectId.getAndIncrement(), generation.get());
    }

    /**
     * Streams one object. Called from one thread at a time (the caller's); fields marked "write
     * thread" are only touched by tasks on the write thread, which run in order.
     */
    private final class Writer implements ObjectWriter {
        private final CacheEntry entry;
        private final long objectId;
        private final long generationAtStart;
        private byte[] staging;
        private int staged;
        private int chunksSubmitted;
        private long size;
        /** commit() handed the object to the write thread: abort() no longer applies. */
        private boolean committing;
        private volatile boolean abandoned;
        private boolean cleanupQueued;
        /** Chunks the write thread has put (written by it only). */
        private volatile int chunksPut;
        /** Handed out by {@link #growingBody}, once; null before. */
        private volatile GrowingBody growingBody;
        // write thread only
        private boolean intentWritten;
        private int[] crcs = new int[4];

        Writer(CacheEntry entry, long objectId, long generationAtStart) {
            this.entry = entry;
            this.objectId = objectId;
            this.generationAtStart = generationAtStart;
        }

        /**
         * Offered for a body of known length or not, the same one on every call; not while the volume is short
         * of free space (the object would be refused at its first chunk, and its readers cut).
         */
        @Override
        public synchronized StoredBody growingBody() {
            if (growingBody == null && entry.bodyLength() != 0 && !freeSpace.isShort()) {
                GrowingBody g = new GrowingBody(entry.key().asString(), objectId, entry.bodyLength());
                growing.add(g);
                growingBody = g;
                g.put(chunksPut); // chunks put before this call (callers ask first; this keeps it right anyway)
                if (abandoned) {
                    g.drop("the object was given up before it was read along");
                }
            }
            return abandoned ? null : growingBody;
        }

        /** The object will not be complete: reads along it fail. */
        private void dropGrowing(String why) {
            GrowingBody g = growingBody;
            if (g != null) {
                g.drop(why);
            }
        }

        @Override
        public void write(ByteBuffer chunk) {
            if (abandoned || committing) {
                return;
            }
            int n = chunk.remaining();
            size += n;
            if (size > settings.maxObjectSize() || entry.bodyLength() >= 0 && size > entry.bodyLength()) {
                abandon();
                return;
            }
            ByteBuffer src = chunk.duplicate();
            while (src.hasRemaining()) {
                int take = Math.min(src.remaining(), CHUNK_SIZE - staged);
                ensureStaging(staged + take);
                src.get(staging, staged, take);
                staged += take;
                if (staged == CHUNK_SIZE) {
                    byte[] full = staging;
                    staging = null;
                    staged = 0;
                    submitChunk(full, chunksSubmitted++);
                    if (abandoned) {
                        return;
                    }
                }
            }
        }

        private void ensureStaging(int needed) {
            if (staging != null && staging.length >= needed) {
                return;
            }
            int cap;
            if (staging == null) {
                // a declared length sizes the buffer exactly; otherwise start small and double
                long declaredLeft = entry.bodyLength() - (long) chunksSubmitted * CHUNK_SIZE;
                cap = entry.bodyLength() >= 0 ? (int) Math.min(CHUNK_SIZE, declaredLeft) : 8192;
            } else {
                cap = Math.min(CHUNK_SIZE, staging.length * 2);
            }
            cap = Math.max(cap, needed);
            staging = staging == null ? new byte[cap] : Arrays.copyOf(staging, cap);
        }

        private void submitChunk(byte[] full, int chunkIndex) {
            if (queuedChunks.incrementAndGet() > settings.writeQueueChunks()) {
                chunkDone();
                writeQueueOverflows.increment();
                logOnce("write-queue", "disk write queue is full (" + settings.writeQueueChunks()
                        + " chunks) and a writer did not wait for it to drain: that object is not stored", null);
                abandon();
                return;
            }
            try {
                writeExecutor.execute(() -> {
                    try {
                        if (abandoned) {
                            return;
                        }
                        if (chunkIndex % CHUNKS_PER_SPACE_CHECK == 0 && !roomFor()) {
                            abandoned = true;
                            dropGrowing("not stored: the disk is short of free space");
                            deleteObject(objectId, intentWritten);
                            return;
                        }
                        byte[] key = Keys.chunk(objectId, chunkIndex);
                        maybeFail(Op.WRITE);
                        long started = System.nanoTime();
                        if (!intentWritten) {
                            try (WriteBatch b = new WriteBatch()) {
                                b.put(rocks.defaultCf, Keys.pending(objectId), new byte[0]);
                                b.put(rocks.chunksCf, key, full);
                                rocks.db.write(rocks.write, b);
                            }
                            intentWritten = true;
                        } else {
                            rocks.db.put(rocks.chunksCf, rocks.write, key, full);
                        }
                        latency.chunkWrite(System.nanoTime() - started);
                        addCrc(chunkIndex, crc(full, full.length));
                        chunksPut = chunkIndex + 1;
                        GrowingBody g = growingBody;
                        if (g != null) {
                            g.put(chunkIndex + 1);
                        }
                    } catch (RocksDBException | RuntimeException e) {
                        writeFailed(e);
                        abandoned = true;
                        dropGrowing("not stored: a disk write failed");
                        deleteObject(objectId, intentWritten);
                    } finally {
                        chunkDone();
                    }
                });
            } catch (RejectedExecutionException e) {
                chunkDone();
                abandon();
            }
        }

        private void addCrc(int chunkIndex, int crc) {
            if (chunkIndex >= crcs.length) {
                crcs = Arrays.copyOf(crcs, Math.max(crcs.length * 2, chunkIndex + 1));
            }
            crcs[chunkIndex] = crc;
        }

        @Override
        public CompletableFuture<Boolean> commit() {
            if (abandoned || committing || entry.bodyLength() >= 0 && entry.bodyLength() != size) {
                abandon();
                return CompletableFuture.completedFuture(false);
            }
            committing = true;
            byte[] last = staged == 0 ? null : Arrays.copyOf(staging, staged);
            staging = null;
            CompletableFuture<Boolean> done = new CompletableFuture<>();
            try {
                writeExecutor.execute(() -> done.complete(commitOnWriteThread(last)));
            } catch (RejectedExecutionException e) {
                // closed: an intent, if written, makes the next start collect the chunks
                abandoned = true;
                dropGrowing("disk store is closed");
                done.complete(false);
            }
            return done;
        }

        private boolean commitOnWriteThread(byte[] last) {
            long gen = generation.get();
            if (abandoned || generationAtStart != gen
                    || markers.effect(entry.key().host(), objectId) == PurgeMarkers.Effect.GONE) {
                abandoned = true;
                dropGrowing("not stored: purged or dropped while it was filled");
                deleteObject(objectId, intentWritten);
                return false;
            }
            int chunkCount = chunksSubmitted + (last == null ? 0 : 1);
            if (last != null) {
                addCrc(chunksSubmitted, crc(last, last.length));
            }
            int[] chunkCrcs = Arrays.copyOf(crcs, chunkCount);
            CacheEntry complete = new CacheEntry(entry.key(), entry.variantKey(), entry.varyNames(), entry.status(),
                    entry.headers(), entry.requestTime(), entry.responseTime(), entry.initialAge(), entry.policy(),
                    size, entry.invalidated());
            String url = entry.key().asString();
            byte[] metaKey = Keys.meta(url, entry.variantKey());
            byte[] value = EntryCodec.encode(new EntryCodec.Record(gen, objectId, size, chunkCrcs, complete));
            Slot slot = newSlot(complete, objectId, objectId, gen, metaKey.length + value.length, size, chunkCount);
            try (WriteBatch b = new WriteBatch()) {
                if (last != null) {
                    b.put(rocks.chunksCf, Keys.chunk(objectId, chunksSubmitted), last);
                }
                b.put(rocks.metaCf, metaKey, value);
                if (intentWritten) {
                    b.delete(rocks.defaultCf, Keys.pending(objectId));
                }
                byte[] previousValue = rocks.db.get(rocks.metaCf, metaKey);
                long[] previous = EntryCodec.peekIds(previousValue);
                if (previous != null && previous[1] != objectId) {
                    deleteChunks(b, previous[1]);
                }
                deleteTagsOf(b, metaKey, previousValue);
                putTags(b, gen, metaKey, complete); // after the deletes: the batch applies in order
                Slots current = index.asMap().get(url);
                if (current != null) {
                    for (Slot dropped : current.droppedBy(slot)) {
                        deleteIfCurrent(b, url, dropped);
                    }
                }
                maybeFail(Op.WRITE);
                rocks.db.write(rocks.write, b);
            } catch (RocksDBException | RuntimeException e) {
                writeFailed(e);
                abandoned = true;
                dropGrowing("not stored: a disk write failed");
                deleteObject(objectId, intentWritten);
                return false;
            }
            index.asMap().compute(url, counted((k, s) -> s == null ? new Slots(new Slot[] {slot}) : s.with(slot)));
            writesRecovered();
            GrowingBody g = growingBody;
            if (g != null) {
                g.committed(chunkCount, size);
            }
            return true;
        }

        /**
         * Gives the object up (no-op once commit() took it); chunks already queued are deleted on the
         * write thread, after them.
         */
        void abandon() {
            if (committing) {
                return;
            }
            abandoned = true;
            dropGrowing("not stored: the fill was given up");
            staging = null;
            if (chunksSubmitted > 0 && !cleanupQueued) {
                cleanupQueued = true;
                try {
                    writeExecutor.execute(() -> deleteObject(objectId, intentWritten));
                } catch (RejectedExecutionException e) {
                    // closed: the intent, if written, makes the next start collect the chunks
                }
            }
        }

        @Override
        public void abort() {
            abandon();
        }

        @Override
        public boolean isAbandoned() {
            return abandoned;
        }

        @Override
        public boolean writeQueueFull() {
            return !abandoned && !committing && queuedChunks.get() >= highWater;
        }

        @Override
        public void drainHandler(Runnable onDrain) {
            if (abandoned || committing || closed.get() || queuedChunks.get() <= lowWater) {
                onDrain.run();
                return;
            }
            drainWaiters.add(onDrain);
            // the write thread may have drained the queue between the check above and the add
            if (queuedChunks.get() <= lowWater || closed.get()) {
                runDrainWaiters();
            }
        }
    }

    /** A queued chunk was written, dropped or refused: wakes waiting writers once the queue is low. */
    private void chunkDone() {
        if (queuedChunks.decrementAndGet() <= lowWater && !drainWaiters.isEmpty()) {
            runDrainWaiters();
        }
    }

    /**
     * Runs the drain handlers registered so far, each once (whichever thread polls one runs it), while
     * the queue is still low. Only those present at the start: a writer resumed by its handler may
     * fill the queue and register again at once, and running that one too would keep the write
     * thread here instead of draining the queue (a livelock that ends in an overflow).
     */
    private void runDrainWaiters() {
        int present = drainWaiters.size();
        for (Runnable r; present-- > 0 && (closed.get() || queuedChunks.get() <= lowWater)
                && (r = drainWaiters.poll()) != null;) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("disk store at {}: a drain handler failed", settings.dir(), e);
            }
        }
    }

    /**
     * Write thread: deletes the chunks and the intent of a removed object whose readers are done, when its
     * removal was written (its intent is there: a removal whose batch failed left the object stored, and its
     * chunks with it). A reader opened since (it looked the object up before the removal) defers it again.
     */
    private void deleteDeferredChunks(long objectId) {
        Long bytes = openReaders.containsKey(objectId) ? null : deferredChunkDeletes.remove(objectId);
        if (bytes == null) {
            return;
        }
        if (countedDeferrals.remove(objectId)) {
            deferredChunkBytes.addAndGet(-bytes);
            applyBound();
        }
        byte[] intent = Keys.pending(objectId);
        try (WriteBatch b = new WriteBatch()) {
            if (rocks.db.get(rocks.defaultCf, intent) == null) {
                return;
            }
            deleteChunksNow(b, objectId); // not deferred again: a reader opening now finds the object gone,
            b.delete(rocks.defaultCf, intent); // as before a removal
            rocks.db.write(rocks.write, b);
        } catch (RocksDBException | RuntimeException e) {
            writeFailed(e); // the intent stays: the next start collects the chunks
        }
    }

    /** Write thread: deletes the chunks (and the intent) of an object that never became visible. */
    private void deleteObject(long objectId, boolean intent) {
        try (WriteBatch b = new WriteBatch()) {
            deleteChunks(b, objectId);
            if (intent) {
                b.delete(rocks.defaultCf, Keys.pending(objectId));
            }
            rocks.db.write(rocks.write, b);
        } catch (RocksDBException | RuntimeException e) {
            writeFailed(e);
        }
    }

    /**
     * Adds the deletion of an object's chunks to {@code b}; for an object with open readers
     * ({@link #openReaders}: disk hits, fills read along), an intent instead (so that a crash before they are
     * done collects the chunks at the next start), the chunks going once the last reader is done.
     */
    private void deleteChunks(WriteBatch b, long objectId) throws RocksDBException {
        boolean[] readersOpen = {false};
        long[] deferred = {0};
        openReaders.computeIfPresent(objectId, (id, open) -> { // under the lock readerClosed decides under
            if (deferredChunkDeletes.putIfAbsent(id, open.bytes()) == null) {
                deferred[0] = open.bytes();
            }
            readersOpen[0] = true;
            return open;
        });
        if (readersOpen[0]) {
            b.put(rocks.defaultCf, Keys.pending(objectId), new byte[0]);
            if (deferred[0] > 0) {
                deferralsToSettle.add(objectId); // counted once this task's writes are done: see settleDeferrals
            }
            return;
        }
        deleteChunksNow(b, objectId);
    }

    /**
     * Write thread, at the end of a task that deferred chunk deletions: counts the bytes of those whose removal
     * was written (its intent is on disk; the index no longer holds the object), so the store makes room for
     * them; forgets those whose batch failed (the object is still stored, its chunks with it).
     */
    private void settleDeferrals() {
        boolean changed = false;
        for (Long id : deferralsToSettle) {
            Long bytes = deferredChunkDeletes.get(id);
            if (bytes == null || countedDeferrals.contains(id)) {
                continue;
            }
            boolean written;
            try {
                written = rocks.db.get(rocks.defaultCf, Keys.pending(id)) != null;
            } catch (RocksDBException | RuntimeException e) {
                written = true; // cannot tell: count it (a bound too small for a while, never too large)
            }
            if (written) {
                countedDeferrals.add(id);
                deferredChunkBytes.addAndGet(bytes);
                changed = true;
            } else {
                deferredChunkDeletes.remove(id, bytes);
            }
        }
        deferralsToSettle.clear();
        if (changed) {
            applyBound();
        }
    }

    /** Sets the index's bound: {@link #bound} less the chunks that wait for their readers. */
    private void applyBound() {
        long indexBound = Math.max(0, bound - deferredChunkBytes.get());
        index.policy().eviction().ifPresent(e -> e.setMaximum(weigher.maximumWeight(indexBound)));
    }

    /** Adds the deletion of every chunk of {@code objectId} to {@code b}, readers or not. */
    private void deleteChunksNow(WriteBatch b, long objectId) throws RocksDBException {
        b.deleteRange(rocks.chunksCf, Keys.chunk(objectId, 0), Keys.chunkEnd(objectId));
    }

    /** Adds to {@code b} the deletion of a variant, if its meta record still names that object. */
    private void deleteIfCurrent(WriteBatch b, String url, Slot slot) throws RocksDBException {
        byte[] metaKey = Keys.meta(url, slot.variantKey);
        byte[] value = rocks.db.get(rocks.metaCf, metaKey);
        long[] ids = EntryCodec.peekIds(value);
        if (ids != null && ids[1] == slot.objectId) {
            b.delete(rocks.metaCf, metaKey);
            deleteTagsOf(b, metaKey, value);
        }
        deleteChunks(b, slot.objectId);
    }

    // ---------------------------------------------------------------- tag index

    private static final byte[] NO_VALUE = new byte[0];

    /** Adds to {@code b} the tag entries of the variant at {@code metaKey}, written in generation {@code gen}. */
    private void putTags(WriteBatch b, long gen, byte[] metaKey, CacheEntry entry) throws RocksDBException {
        for (String tag : SurrogateKeys.of(entry.headers())) {
            b.put(rocks.tagsCf, Keys.tag(gen, tag, metaKey), NO_VALUE);
        }
    }

    /** Adds to {@code b} the deletion of the tag entries of the encoded meta record {@code value}, if any. */
    private void deleteTagsOf(WriteBatch b, byte[] metaKey, byte[] value) throws RocksDBException {
        EntryCodec.Record r = EntryCodec.decode(value);
        if (r != null) {
            deleteTags(b, r.generation(), metaKey, r.entry());
        }
    }

    private void deleteTags(WriteBatch b, long gen, byte[] metaKey, CacheEntry entry) throws RocksDBException {
        for (String tag : SurrogateKeys.of(entry.headers())) {
            b.delete(rocks.tagsCf, Keys.tag(gen, tag, metaKey));
        }
    }

    private Slot newSlot(CacheEntry e, long objectId, long stamp, long gen, long metaBytes, long bodyLength,
            int chunkCount) {
        long useful = e.usefulUntil(graceSeconds).toEpochMilli();
        return new Slot(e.variantKey(), objectId, stamp, gen, weight(metaBytes, bodyLength, chunkCount), useful);
    }

    /** What one stored variant weighs against {@code max-size}: its record, its body and its chunks' overhead. */
    private static long weight(long metaBytes, long bodyLength, int chunkCount) {
        return metaBytes + bodyLength + chunkCount * CHUNK_OVERHEAD;
    }

    // ---------------------------------------------------------------- update and remove

    @Override
    public CompletableFuture<Boolean> updateEntry(CacheEntry updated) {
        return onWriteThread(() -> {
            String url = updated.key().asString();
            Slots slots = index.asMap().get(url);
            Slot old = slots == null ? null : slots.find(updated.variantKey());
            long gen = generation.get();
            if (old == null || old.generation != gen) {
                return false;
            }
            byte[] metaKey = Keys.meta(url, updated.variantKey());
            EntryCodec.Record r = EntryCodec.decode(rocks.db.get(rocks.metaCf, metaKey));
            if (r == null || r.generation() != gen || r.objectId() != old.objectId
                    || !r.entry().sameRepresentationAs(updated)
                    || markers.effect(updated.key().host(), r.stamp()) == PurgeMarkers.Effect.GONE) {
                return false;
            }
            long stamp = nextObjectId.getAndIncrement(); // newer than the purges of everything so far
            CacheEntry e = new CacheEntry(updated.key(), updated.variantKey(), updated.varyNames(), updated.status(),
                    updated.headers(), updated.requestTime(), updated.responseTime(), updated.initialAge(),
                    updated.policy(), r.bodyLength(), updated.invalidated());
            byte[] value = EntryCodec.encode(new EntryCodec.Record(r.generation(), r.objectId(), r.bodyLength(),
                    r.crcs(), e, stamp));
            try (WriteBatch b = new WriteBatch()) {
                b.put(rocks.metaCf, metaKey, value);
                deleteTags(b, r.generation(), metaKey, r.entry()); // a 304 may change the tags
                putTags(b, r.generation(), metaKey, e);
                rocks.db.write(rocks.write, b);
            }
            Slot slot = newSlot(e, r.objectId(), stamp, r.generation(), metaKey.length + value.length,
                    r.bodyLength(), r.chunkCount());
            index.asMap().computeIfPresent(url, counted((k, s) -> s.replace(slot)));
            return true;
        }, false);
    }

    @Override
    public CompletableFuture<Integer> remove(CacheKey key) {
        return onWriteThread(() -> {
            String url = key.asString();
            index.asMap().computeIfPresent(url, counted((k, s) -> null));
            byte[] prefix = Keys.urlPrefix(url);
            long gen = generation.get();
            int removed = 0;
            try (WriteBatch b = new WriteBatch(); RocksIterator it = rocks.db.newIterator(rocks.metaCf)) {
                for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
                    long[] ids = EntryCodec.peekIds(it.value());
                    b.delete(rocks.metaCf, it.key());
                    deleteTagsOf(b, it.key(), it.value());
                    if (ids != null) {
                        deleteChunks(b, ids[1]);
                        if (ids[0] == gen) {
                            removed++;
                        }
                    }
                }
                it.status();
                rocks.db.write(rocks.write, b);
            }
            return removed;
        }, 0);
    }

    @Override
    public CompletableFuture<Boolean> removeVariant(CacheKey key, String variantKey) {
        return onWriteThread(() -> {
            String url = key.asString();
            byte[] metaKey = Keys.meta(url, variantKey);
            index.asMap().computeIfPresent(url, counted((k, s) -> s.without(variantKey)));
            byte[] value = rocks.db.get(rocks.metaCf, metaKey);
            long[] ids = EntryCodec.peekIds(value);
            if (ids == null) {
                return false;
            }
            try (WriteBatch b = new WriteBatch()) {
                b.delete(rocks.metaCf, metaKey);
                deleteTagsOf(b, metaKey, value);
                deleteChunks(b, ids[1]);
                rocks.db.write(rocks.write, b);
            }
            return ids[0] == generation.get();
        }, false);
    }

    /** The record with its entry invalidated (a soft purge of everything covers it). */
    private static EntryCodec.Record invalidated(EntryCodec.Record r) {
        return r.entry().invalidated() ? r : new EntryCodec.Record(r.generation(), r.objectId(), r.bodyLength(),
                r.crcs(), r.entry().asInvalidated(), r.stamp());
    }

    /** Stored records purges have looked at so far. */
    long purgeVisits() {
        return purgeVisits.sum();
    }

    /** Removes a variant found damaged (or gone by a purge marker), unless it has been replaced since. */
    private void dropIfCurrent(String url, String variantKey, long objectId) {
        onWriteThread(() -> {
            index.asMap().computeIfPresent(url, counted((k, s) -> s.withoutObject(variantKey, objectId)));
            try (WriteBatch b = new WriteBatch()) {
                deleteIfCurrent(b, url, new Slot(variantKey, objectId, 0, 0, 0, 0));
                rocks.db.write(rocks.write, b);
            }
            return true;
        }, false);
    }

    // ---------------------------------------------------------------- purge

    /**
     * Applies a purge on the write thread. A hard purge of everything is a generation bump (O(1)); the
     * other purges of everything (soft, or of one host) are {@link PurgeMarkers} (O(1)), effective for
     * lookups at once and persisted (synced) under {@code purge-markers} before the purge completes.
     * Both report the variants the store holds (an upper bound for one host: they are not visited to be
     * counted). A tag purge reads the {@code tags} index (proportional to the variants carrying the tag).
     * Url and prefix purges scan the {@code meta} records under {@code url 0x00} or
     * {@code host + pathPrefix}, decoding each record to match it. Matching variants are deleted (meta,
     * tags and chunks, one batch) or rewritten invalidated; the index follows once the batch is written.
     */
    @Override
    public CompletableFuture<Integer> purge(Purge purge) {
        if (closed.get()) {
            return CompletableFuture.completedFuture(0);
        }
        if (purge instanceof Purge.All all) {
            int count = (int) Math.min(Integer.MAX_VALUE, entryCount());
            if (all.hostOrNull() == null && !all.soft()) {
                return bumpGeneration().thenApply(g -> g < 0 ? 0 : count);
            }
            markers.mark(all.hostOrNull(), all.soft(), nextObjectId.get() - 1); // every id and stamp so far
            return onWriteThread(() -> {
                rocks.db.put(rocks.defaultCf, rocks.syncWrite, Keys.PURGE_MARKERS, markers.encode());
                return count;
            }, 0);
        }
        if (purge instanceof Purge.Tag tag) {
            return onWriteThread(() -> purgeTagOnWriteThread(tag), 0);
        }
        byte[] prefix;
        if (purge instanceof Purge.Url u) {
            prefix = Keys.urlPrefix(u.key());
        } else if (purge instanceof Purge.Prefix p) {
            prefix = (p.host() + p.pathPrefix()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException("unknown purge " + purge);
        }
        return onWriteThread(() -> purgeOnWriteThread(purge, prefix), 0);
    }

    private int purgeOnWriteThread(Purge purge, byte[] prefix) throws RocksDBException {
        long gen = generation.get();
        PurgeBatch batch = new PurgeBatch(purge);
        try (RocksIterator it = rocks.db.newIterator(rocks.metaCf)) {
            for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
                byte[] value = it.value();
                long[] ids = EntryCodec.peekIds(value);
                if (ids == null || ids[0] != gen) {
                    continue;
                }
                EntryCodec.Record r = EntryCodec.decode(value);
                if (r != null) {
                    batch.visit(it.key(), r);
                }
            }
            it.status();
            return batch.finish();
        } finally {
            batch.close();
        }
    }

    /**
     * A tag purge through the {@code tags} index: each entry under {@code generation tag 0x00 [host/]}
     * names a variant, whose record is read and matched again (an entry left behind by a record that
     * could not be decoded when it was deleted is dropped here).
     */
    private int purgeTagOnWriteThread(Purge.Tag purge) throws RocksDBException {
        long gen = generation.get();
        byte[] prefix = Keys.tagPrefix(gen, purge.tag(), purge.hostOrNull());
        int prefixLength = Keys.tagPrefix(gen, purge.tag(), null).length;
        PurgeBatch batch = new PurgeBatch(purge);
        try (RocksIterator it = rocks.db.newIterator(rocks.tagsCf)) {
            for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
                byte[] metaKey = Keys.metaKeyOfTag(it.key(), prefixLength);
                EntryCodec.Record r = EntryCodec.decode(rocks.db.get(rocks.metaCf, metaKey));
                if (r == null || r.generation() != gen || !purge.matches(r.entry())) {
                    batch.writes.delete(rocks.tagsCf, it.key());
                    continue;
                }
                batch.visit(metaKey, r);
            }
            it.status();
            return batch.finish();
        } finally {
            batch.close();
        }
    }

    /** The writes of one purge on the write thread, flushed every SWEEP_BATCH operations. */
    private final class PurgeBatch implements AutoCloseable {
        private final Purge purge;
        private final List<Runnable> indexUpdates = new ArrayList<>();
        WriteBatch writes = new WriteBatch();
        private int affected;

        PurgeBatch(Purge purge) {
            this.purge = purge;
        }

        /**
         * One stored record under the purge's prefix: removed when a purge of everything already did (not
         * counted), else matched (as invalidated when a soft purge of everything covers it) and applied.
         */
        void visit(byte[] metaKey, EntryCodec.Record stored) throws RocksDBException {
            purgeVisits.increment();
            PurgeMarkers.Effect effect = markers.effect(stored.entry().key().host(), stored.stamp());
            if (effect == PurgeMarkers.Effect.GONE) {
                remove(metaKey, stored);
                return;
            }
            EntryCodec.Record r = effect == PurgeMarkers.Effect.INVALIDATED ? invalidated(stored) : stored;
            if (purge.matches(r.entry())) {
                affected++;
                if (purge.soft()) {
                    invalidate(metaKey, r);
                } else {
                    remove(metaKey, r);
                }
            }
        }

        /** Rewrites one variant invalidated (no-op when it is already). */
        private void invalidate(byte[] metaKey, EntryCodec.Record r) throws RocksDBException {
            if (r.entry().invalidated()) {
                return; // invalidated already, by its record or by a soft purge of everything
            }
            String url = r.entry().key().asString();
            long objectId = r.objectId();
            CacheEntry e = r.entry().asInvalidated();
            byte[] next = EntryCodec.encode(new EntryCodec.Record(r.generation(), objectId, r.bodyLength(),
                    r.crcs(), e, r.stamp()));
            writes.put(rocks.metaCf, metaKey, next);
            Slot slot = newSlot(e, objectId, r.stamp(), r.generation(), metaKey.length + next.length,
                    r.bodyLength(), r.chunkCount());
            indexUpdates.add(() -> index.asMap().computeIfPresent(url, counted((k, s) -> s.replace(slot))));
            flushWhenFull();
        }

        /** Deletes one variant (meta, tags, chunks). */
        private void remove(byte[] metaKey, EntryCodec.Record r) throws RocksDBException {
            String url = r.entry().key().asString();
            String variantKey = r.entry().variantKey();
            long objectId = r.objectId();
            writes.delete(rocks.metaCf, metaKey);
            deleteTags(writes, r.generation(), metaKey, r.entry());
            deleteChunks(writes, objectId);
            indexUpdates.add(() -> index.asMap().computeIfPresent(url,
                    counted((k, s) -> s.withoutObject(variantKey, objectId))));
            flushWhenFull();
        }

        private void flushWhenFull() throws RocksDBException {
            if (writes.count() >= SWEEP_BATCH) {
                flush();
            }
        }

        private void flush() throws RocksDBException {
            rocks.db.write(rocks.write, writes);
            writes.close();
            writes = new WriteBatch();
            indexUpdates.forEach(Runnable::run);
            indexUpdates.clear();
        }

        int finish() throws RocksDBException {
            flush();
            return affected;
        }

        @Override
        public void close() {
            writes.close();
        }
    }

    // ---------------------------------------------------------------- purge sequence

    /**
     * The purge sequence last recorded by {@link #recordPurgeSequence} (docs/purge-protocol.md
     * {@code lastApplied}), or -1 when this store never recorded one (a new store, or one written before
     * sequences existed). Blocking read: call it at start-up.
     */
    public long purgeSequence() {
        try {
            byte[] v = rocks.db.get(rocks.defaultCf, Keys.PURGE_SEQUENCE);
            return v == null || v.length != 8 ? -1 : Keys.getLong(v, 0);
        } catch (RocksDBException e) {
            LOG.warn("disk store at {}: cannot read the purge sequence ({}); catching up from the start",
                    settings.dir(), e.getMessage());
            return -1;
        }
    }

    /**
     * Records {@code sequence} as applied to this store. It goes through the write thread after every
     * write queued before it, so it is never durable before the purges it covers (RocksDB recovers a
     * prefix of the writes after a crash). Not synced: a crash may lose it together with those purges,
     * which are then applied again (they are idempotent). Completes with false when it could not be
     * written.
     */
    public CompletableFuture<Boolean> recordPurgeSequence(long sequence) {
        return onWriteThread(() -> {
            rocks.db.put(rocks.defaultCf, rocks.write, Keys.PURGE_SEQUENCE, Keys.longValue(sequence));
            return true;
        }, false);
    }

    // ---------------------------------------------------------------- generation

    /** The current generation: only entries written in it are visible. */
    public long generation() {
        return generation.get();
    }

    /**
     * Makes every stored entry invisible at once (purge everything): lookups and commits of writers
     * started before see the new generation immediately; the new value is persisted (synced) and the
     * old entries are deleted by a background sweep (resumed at the next start if interrupted).
     * Completes with the new generation once it is durable.
     */
    public CompletableFuture<Long> bumpGeneration() {
        long next = generation.incrementAndGet();
        return onWriteThread(() -> {
            try (WriteBatch b = new WriteBatch()) {
                b.put(rocks.defaultCf, Keys.GENERATION, Keys.longValue(next));
                b.deleteRange(rocks.tagsCf, Keys.tagsOfGeneration(0), Keys.tagsOfGeneration(next));
                rocks.db.write(rocks.syncWrite, b);
            }
            for (String url : index.asMap().keySet()) {
                index.asMap().computeIfPresent(url, counted((k, s) -> s.keepGeneration(next)));
            }
            try {
                writeExecutor.execute(() -> sweepOldGenerations(null, next));
            } catch (RejectedExecutionException closing) {
                // the rebuild at the next start deletes older generations
            }
            return next;
        }, -1L);
    }

    /** Write thread: deletes up to SWEEP_BATCH records older than {@code gen}, then queues the rest. */
    private void sweepOldGenerations(byte[] from, long gen) {
        if (closed.get() || generation.get() != gen) {
            return;
        }
        byte[] resume = null;
        try (WriteBatch b = new WriteBatch(); RocksIterator it = rocks.db.newIterator(rocks.metaCf)) {
            if (from == null) {
                it.seekToFirst();
            } else {
                it.seek(from);
            }
            int n = 0;
            for (; it.isValid(); it.next()) {
                if (n++ == SWEEP_BATCH) {
                    resume = it.key();
                    break;
                }
                long[] ids = EntryCodec.peekIds(it.value());
                if (ids == null || ids[0] != gen) {
                    b.delete(rocks.metaCf, it.key());
                    if (ids != null) {
                        deleteChunks(b, ids[1]);
                    }
                }
            }
            it.status();
            rocks.db.write(rocks.write, b);
        } catch (RocksDBException | RuntimeException e) {
            writeFailed(e);
            return;
        }
        if (resume != null) {
            byte[] next = resume;
            try {
                writeExecutor.execute(() -> sweepOldGenerations(next, gen));
            } catch (RejectedExecutionException closing) {
                // resumed by the rebuild at the next start
            }
        }
    }

    // ---------------------------------------------------------------- index

    private void onRemoval(String url, Slots slots, RemovalCause cause) {
        if (!cause.wasEvicted() || url == null || slots == null || closed.get() && !onWriteThread()) {
            return;
        }
        evictions.add(slots.slots.length);
        try (WriteBatch b = new WriteBatch()) {
            for (Slot s : slots.slots) {
                deleteIfCurrent(b, url, s);
            }
            rocks.db.write(rocks.write, b);
        } catch (RocksDBException | RuntimeException e) {
            writeFailed(e);
        }
    }

    private boolean onWriteThread() {
        return Thread.currentThread() == writeThread;
    }

    /** Keeps each URL while any of its variants can still serve something. */

    /** One stored variant in the index. */
    record Slot(String variantKey, long objectId, long stamp, long generation, long weight, long usefulUntil) {
    }

    /** The variants of one URL, newest first; immutable. */
    static final class Slots {
        final Slot[] slots;
        final long weight;
        final long usefulUntil;

        Slots(Slot[] slots) {
            this.slots = slots;
            long w = URL_OVERHEAD;
            long u = Long.MIN_VALUE;
            for (Slot s : slots) {
                w += s.weight;
                u = Math.max(u, s.usefulUntil);
            }
            this.weight = w;
            this.usefulUntil = u;
        }

        /** Some variant is of generation {@code gen} and not removed by a purge marker. */
        boolean hasVisible(long gen, PurgeMarkers markers, String host) {
            for (Slot s : slots) {
                if (s.generation == gen && markers.effect(host, s.stamp) != PurgeMarkers.Effect.GONE) {
                    return true;
                }
            }
            return false;
        }

        /** Without {@code variantKey} if it still holds {@code objectId} (not replaced since); null when empty. */
        Slots withoutObject(String variantKey, long objectId) {
            Slot slot = find(variantKey);
            return slot != null && slot.objectId == objectId ? without(variantKey) : this;
        }

        Slot find(String variantKey) {
            for (Slot s : slots) {
                if (s.variantKey.equals(variantKey)) {
                    return s;
                }
            }
            return null;
        }

        /** The slots that adding {@code slot} pushes out (over the variant cap). */
        List<Slot> droppedBy(Slot slot) {
            List<Slot> dropped = new ArrayList<>(0);
            int kept = 1;
            for (Slot s : slots) {
                if (!s.variantKey.equals(slot.variantKey)) {
                    if (kept < MAX_VARIANTS) {
                        kept++;
                    } else {
                        dropped.add(s);
                    }
                }
            }
            return dropped;
        }

        Slots with(Slot slot) {
            List<Slot> next = new ArrayList<>(slots.length + 1);
            next.add(slot);
            for (Slot s : slots) {
                if (!s.variantKey.equals(slot.variantKey) && next.size() < MAX_VARIANTS) {
                    next.add(s);
                }
            }
            return new Slots(next.toArray(new Slot[0]));
        }

        Slots replace(Slot slot) {
            Slot[] next = slots.clone();
            for (int i = 0; i < next.length; i++) {
                if (next[i].variantKey.equals(slot.variantKey) && next[i].objectId == slot.objectId) {
                    next[i] = slot;
                    return new Slots(next);
                }
            }
            return this;
        }

        /** Without that variant; null when nothing is left. */
        Slots without(String variantKey) {
            List<Slot> next = new ArrayList<>(slots.length);
            for (Slot s : slots) {
                if (!s.variantKey.equals(variantKey)) {
                    next.add(s);
                }
            }
            return next.isEmpty() ? null : next.size() == slots.length ? this : new Slots(next.toArray(new Slot[0]));
        }

        /** Only the variants of generation {@code gen}; null when nothing is left. */
        Slots keepGeneration(long gen) {
            List<Slot> next = new ArrayList<>(slots.length);
            for (Slot s : slots) {
                if (s.generation == gen) {
                    next.add(s);
                }
            }
            return next.isEmpty() ? null : next.size() == slots.length ? this : new Slots(next.toArray(new Slot[0]));
        }
    }

    // ---------------------------------------------------------------- start-up

    private static Native checkFormat(Native rocks, Path dir) throws RocksDBException {
        byte[] format = rocks.db.get(rocks.defaultCf, Keys.FORMAT);
        String found = null;
        if (format == null) {
            if (!isEmpty(rocks)) {
                found = "an unknown format (no format key)";
            }
        } else if (format.length != 4 || ByteBuffer.wrap(format).getInt() != STORE_FORMAT) {
            found = "format v" + (format.length == 4 ? ByteBuffer.wrap(format).getInt() : "?");
        }
        if (found != null) {
            LOG.warn("disk store at {} was written by {}, this build reads v{}: dropping it", dir, found, STORE_FORMAT);
            rocks.close();
            try (Options options = new Options()) {
                RocksDB.destroyDB(dir.toString(), options);
            }
            rocks = Native.open(dir);
        }
        if (format == null || found != null) {
            rocks.db.put(rocks.defaultCf, rocks.syncWrite, Keys.FORMAT, ByteBuffer.allocate(4).putInt(STORE_FORMAT).array());
        }
        return rocks;
    }

    private static boolean isEmpty(Native rocks) {
        for (ColumnFamilyHandle cf : List.of(rocks.defaultCf, rocks.metaCf, rocks.chunksCf, rocks.tagsCf)) {
            try (RocksIterator it = rocks.db.newIterator(cf)) {
                it.seekToFirst();
                if (it.isValid()) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Rebuilds the index from the meta family (grouping the adjacent variants of each URL), deletes
     * records of older generations and unreadable ones, collects the chunks of interrupted writes
     * (their intents), and sets the next object id above every id in use.
     */
    private void rebuild() throws RocksDBException {
        long start = System.nanoTime();
        long gen = generation.get();
        long maxId = 0;
        long entries = 0;
        long dropped = 0;
        long garbage = 0;
        WriteBatch deletes = new WriteBatch();
        try (ReadOptions scan = new ReadOptions().setFillCache(false).setReadaheadSize(4 << 20);
                RocksIterator it = rocks.db.newIterator(rocks.metaCf, scan)) {
            String groupUrl = null;
            List<Slot> group = new ArrayList<>(2);
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                byte[] value = it.value();
                EntryCodec.IndexFields r = EntryCodec.indexFields(value, graceSeconds); // headers not decoded
                if (r != null) {
                    maxId = Math.max(maxId, r.stamp());
                }
                if (r == null || r.generation() != gen
                        || markers.effect(r.host(), r.stamp()) == PurgeMarkers.Effect.GONE) {
                    long[] ids = EntryCodec.peekIds(value);
                    deletes.delete(rocks.metaCf, key);
                    EntryCodec.Record purged = r != null && r.generation() == gen ? EntryCodec.decode(value) : null;
                    if (purged != null) {
                        deleteTags(deletes, gen, key, purged.entry()); // gone by a purge marker
                    }
                    if (ids != null) {
                        deleteChunks(deletes, ids[1]);
                        maxId = Math.max(maxId, ids[1]);
                    }
                    dropped++;
                    continue;
                }
                maxId = Math.max(maxId, r.objectId());
                String url = r.url();
                if (!url.equals(groupUrl)) {
                    maxId = Math.max(maxId, putGroup(groupUrl, group, deletes));
                    groupUrl = url;
                    group.clear();
                }
                group.add(new Slot(r.variantKey(), r.objectId(), r.stamp(), r.generation(),
                        weight(key.length + value.length, r.bodyLength(), r.chunkCount()), r.usefulUntilMillis()));
                entries++;
                if (deletes.count() >= SWEEP_BATCH) {
                    rocks.db.write(rocks.write, deletes);
                    deletes.close();
                    deletes = new WriteBatch();
                }
            }
            it.status();
            putGroup(groupUrl, group, deletes);
        }
        try (RocksIterator it = rocks.db.newIterator(rocks.defaultCf)) {
            for (it.seek(Keys.PENDING_PREFIX); it.isValid() && Keys.startsWith(it.key(), Keys.PENDING_PREFIX);
                    it.next()) {
                long id = Keys.pendingObjectId(it.key());
                maxId = Math.max(maxId, id);
                deletes.delete(rocks.defaultCf, it.key());
                deleteChunks(deletes, id);
                garbage++;
            }
            it.status();
        }
        try (RocksIterator it = rocks.db.newIterator(rocks.chunksCf)) {
            it.seekToLast();
            if (it.isValid()) {
                maxId = Math.max(maxId, Keys.chunkObjectId(it.key()));
            }
        }
        try {
            rocks.db.write(rocks.write, deletes);
        } finally {
            deletes.close();
        }
        rebuildTagIndex(gen);
        nextObjectId.set(Math.max(maxId, markers.highest()) + 1);
        index.cleanUp(); // apply the weights now, so that byteSize() is exact when open() returns
        rebuildMillis = (System.nanoTime() - start) / 1_000_000;
        rebuiltEntries = entries;
        collectedGarbage = garbage;
        LOG.info("disk store at {}: index rebuilt in {} ms, {} entries ({} bytes), generation {}, {} stale records"
                + " dropped, {} interrupted writes collected", settings.dir(), rebuildMillis, entries, byteSize(), gen,
                dropped, garbage);
    }

    /**
     * Drops the tag entries of older generations (a bump interrupted before its range delete) and, in a
     * store written before the tag index existed, indexes every record once.
     */
    private void rebuildTagIndex(long gen) throws RocksDBException {
        rocks.db.deleteRange(rocks.tagsCf, rocks.write, Keys.tagsOfGeneration(0), Keys.tagsOfGeneration(gen));
        if (rocks.db.get(rocks.defaultCf, Keys.TAG_INDEX_BUILT) != null) {
            return;
        }
        long indexed = 0;
        WriteBatch b = new WriteBatch();
        try (ReadOptions scan = new ReadOptions().setFillCache(false);
                RocksIterator it = rocks.db.newIterator(rocks.metaCf, scan)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                EntryCodec.Record r = EntryCodec.decode(it.value());
                if (r != null && r.generation() == gen) {
                    putTags(b, gen, it.key(), r.entry());
                    indexed++;
                }
                if (b.count() >= SWEEP_BATCH) {
                    rocks.db.write(rocks.write, b);
                    b.close();
                    b = new WriteBatch();
                }
            }
            it.status();
            b.put(rocks.defaultCf, Keys.TAG_INDEX_BUILT, Keys.longValue(1));
            rocks.db.write(rocks.syncWrite, b);
        } finally {
            b.close();
        }
        LOG.info("disk store at {}: tag index built for {} stored variants", settings.dir(), indexed);
    }

    /** Puts one URL's variants (newest first, capped) in the index; returns the largest id seen. */
    private long putGroup(String url, List<Slot> group, WriteBatch deletes) throws RocksDBException {
        if (url == null || group.isEmpty()) {
            return 0;
        }
        group.sort(Comparator.comparingLong(Slot::objectId).reversed());
        long maxId = group.get(0).objectId;
        if (group.size() > MAX_VARIANTS) {
            for (Slot s : group.subList(MAX_VARIANTS, group.size())) {
                deletes.delete(rocks.metaCf, Keys.meta(url, s.variantKey));
                deleteChunks(deletes, s.objectId);
            }
            group = group.subList(0, MAX_VARIANTS);
        }
        Slots slots = new Slots(group.toArray(new Slot[0]));
        index.asMap().compute(url, counted((k, s) -> slots));
        return maxId;
    }

    // ---------------------------------------------------------------- counters, maintenance, close

    /** Stored variants; O(1) (walking the index took half a second at a million objects, on every scrape). */
    @Override
    public long entryCount() {
        index.cleanUp(); // expire what is due, so that expired variants are not counted
        return variants.sum();
    }

    /**
     * {@code change} of one URL's variants, counting them in {@link #variants}: every change of the index goes
     * through one of these (evictions through the eviction listener).
     */
    private BiFunction<String, Slots, Slots> counted(BiFunction<String, Slots, Slots> change) {
        return (url, before) -> {
            Slots after = change.apply(url, before);
            variants.add(size(after) - size(before));
            return after;
        };
    }

    private static int size(Slots s) {
        return s == null ? 0 : s.slots.length;
    }

    /** Bytes of the stored objects, and of removed ones whose chunks wait for their readers. */
    @Override
    public long byteSize() {
        index.cleanUp(); // Caffeine applies pending writes to the weight lazily; settle them first
        return weigher.bytes(index.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L))
                + deferredChunkBytes.get();
    }

    /** Bytes of removed objects whose chunks wait for their readers (part of {@link #byteSize}). */
    public long deferredChunkBytes() {
        return deferredChunkBytes.get();
    }

    public long maxObjectSize() {
        return settings.maxObjectSize();
    }

    /** RocksDB write errors (the object was not stored). */
    public long writeFailures() {
        return writeFailures.sum();
    }

    /** Failed lookups and chunk reads, including corrupt objects. */
    public long readFailures() {
        return readFailures.sum();
    }

    /** Variants evicted for size or expired. */
    public long evictions() {
        return evictions.sum();
    }

    /** Objects abandoned because the write queue was full (their writer did not wait for it to drain). */
    public long writeQueueOverflows() {
        return writeQueueOverflows.sum();
    }

    /** How long the last start-up took to rebuild the index. */
    public long rebuildMillis() {
        return rebuildMillis;
    }

    /** Entries found by the last rebuild. */
    public long rebuiltEntries() {
        return rebuiltEntries;
    }

    /** Interrupted writes whose chunks the last start-up collected. */
    public long collectedGarbage() {
        return collectedGarbage;
    }

    /**
     * Runs pending index maintenance (eviction, expiry) and waits until the write thread has applied
     * it and every write queued before. Blocking: for tests, shutdown and metrics threads, never for
     * an event loop.
     */
    public void cleanUp() {
        index.cleanUp();
        awaitWrites();
    }

    /** Waits until every write queued so far has been applied. Blocking (see {@link #cleanUp()}). */
    void awaitWrites() {
        for (int i = 0; i < 2; i++) {
            CompletableFuture<Void> barrier = new CompletableFuture<>();
            try {
                writeExecutor.execute(() -> barrier.complete(null));
            } catch (RejectedExecutionException e) {
                return;
            }
            barrier.join();
        }
    }

    /**
     * Applies every queued write (commits and deletions), syncs the WAL and releases every native
     * handle. Writers still open are not committed: their intents make the next start collect them.
     */
    @Override
    public void close() {
        shutdown(true);
    }

    /** Test hook: stop without syncing the WAL (what a process crash leaves is the same). */
    void closeAsIfCrashed() {
        shutdown(false);
    }

    private void shutdown(boolean graceful) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writeExecutor.shutdown();
        readExecutor.shutdown();
        runDrainWaiters(); // writers paused on the queue go on (and find the store closed)
        List.copyOf(growing).forEach(g -> g.drop("disk store is closed")); // nobody left parked for good
        boolean stopped;
        try {
            stopped = writeExecutor.awaitTermination(60, TimeUnit.SECONDS)
                    && readExecutor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        if (!stopped) {
            LOG.warn("disk store at {}: storage threads did not stop, leaving RocksDB open", settings.dir());
            return;
        }
        if (graceful) {
            try {
                rocks.db.syncWal();
            } catch (RocksDBException e) {
                LOG.warn("disk store at {}: WAL sync at close failed: {}", settings.dir(), e.getMessage());
            }
        }
        rocks.close();
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    private interface RocksTask<T> {
        T run() throws RocksDBException;
    }

    /** Runs a RocksDB task on the write thread; failures complete with {@code fallback}, never throw. */
    private <T> CompletableFuture<T> onWriteThread(RocksTask<T> task, T fallback) {
        Supplier<T> guarded = () -> {
            try {
                return task.run();
            } catch (RocksDBException | RuntimeException e) {
                writeFailed(e);
                return fallback;
            }
        };
        try {
            return CompletableFuture.supplyAsync(guarded, writeExecutor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(fallback);
        }
    }

    /**
     * Write thread: whether the volume still has {@code min-free} bytes free (see {@link FreeSpaceGuard}).
     * On entering a shortage the bound shrinks by the missing bytes, once, so eviction makes room while
     * RocksDB compacts; when space is back the configured bound returns.
     */
    private boolean roomFor() {
        if (checkFreeSpace()) {
            spaceRefusals.increment();
            return false;
        }
        return true;
    }

    /**
     * Write thread (or the opening thread, before any write): checks the free space, adjusts the bound and logs
     * when that changed; true when the volume is short.
     */
    private boolean checkFreeSpace() {
        switch (freeSpace.check()) {
            case BECAME_SHORT -> {
                long missing = freeSpace.minFree() - freeSpace.lastUsable();
                bound = Math.max(0, byteSize() - missing);
                applyBound();
                LOG.warn("disk store at {}: free space on the volume is {} bytes, below min-free ({}); new objects "
                        + "are not stored on disk and the store shrinks to {} bytes until space is back",
                        settings.dir(), freeSpace.lastUsable(), freeSpace.minFree(), bound);
            }
            case RECOVERED -> {
                bound = settings.maxSize();
                applyBound();
                LOG.info("disk store at {}: free space is back above min-free ({} bytes free); storing objects "
                        + "again, bound {} bytes", settings.dir(), freeSpace.lastUsable(), settings.maxSize());
            }
            case NONE -> {
            }
        }
        return freeSpace.isShort();
    }

    /** Objects not stored because the volume was below {@code min-free}. */
    public long spaceRefusals() {
        return spaceRefusals.sum();
    }

    private void writeFailed(Exception e) {
        writesFailing = true;
        writeFailures.increment();
        logOnce("write:" + code(e), "disk write failed, objects are not stored on disk while it lasts: "
                + e.getMessage(), e);
    }

    /**
     * Write thread, after a commit: when writes had been failing (a full disk that RocksDB's
     * SstFileManager has since seen freed, a transient I/O error), says they work again and lets the
     * next failure be logged once more.
     */
    private void writesRecovered() {
        if (writesFailing) {
            writesFailing = false;
            loggedConditions.removeIf(c -> c.startsWith("write:"));
            LOG.info("disk store at {}: writes succeed again; objects are stored on disk", settings.dir());
        }
    }

    private void logOnce(String condition, String message, Throwable e) {
        if (loggedConditions.add(condition)) {
            LOG.warn("disk store at {}: {} (logged once; further occurrences are only counted)", settings.dir(),
                    message, e);
        }
    }

    private static String code(Exception e) {
        if (e instanceof RocksDBException r && r.getStatus() != null) {
            return r.getStatus().getCode().name();
        }
        return e.getClass().getSimpleName();
    }

    static int crc(byte[] bytes, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, length);
        return (int) c.getValue();
    }

    // ---------------------------------------------------------------- test hooks

    /** What an injected fault applies to: meta and chunk gets, or chunk puts and commit batches. */
    enum Op { READ, WRITE }

    /**
     * Test hook: consulted before each RocksDB get of a lookup or chunk read ({@link Op#READ}) and each
     * chunk put or commit batch ({@link Op#WRITE}); when it answers true the call fails with an
     * {@code IOError} {@link RocksDBException}, as a failing device would. Null in production: one
     * volatile read per call.
     */
    private volatile java.util.function.Predicate<Op> faults;

    /** Installs (or, with null, removes) the fault hook; tests only. */
    void injectFaults(java.util.function.Predicate<Op> hook) {
        this.faults = hook;
    }

    /** Makes the next {@code count} operations of kind {@code op} fail (replaces any other hook); tests only. */
    void failNext(Op op, int count) {
        AtomicInteger left = new AtomicInteger(count);
        injectFaults(o -> o == op && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0);
    }

    private void maybeFail(Op op) throws RocksDBException {
        java.util.function.Predicate<Op> f = faults;
        if (f != null && f.test(op)) {
            throw new RocksDBException("injected " + op.name().toLowerCase(java.util.Locale.ROOT) + " fault",
                    new org.rocksdb.Status(org.rocksdb.Status.Code.IOError, org.rocksdb.Status.SubCode.None,
                            "injected"));
        }
    }

    /** Test hook: removed objects whose chunks wait for their readers. */
    int deferredChunkDeletes() {
        return deferredChunkDeletes.size();
    }

    /** Chunk keys currently in RocksDB (scans the family: tests only). */
    long chunkKeyCount() {
        return countKeys(() -> rocks.chunksCf);
    }

    /** Tag index entries currently in RocksDB (tests only). */
    long tagKeyCount() {
        return countKeys(() -> rocks.tagsCf);
    }

    /** Makes the store look written before the tag index existed (tests only). */
    void forgetTagIndex() {
        onWriteThread(() -> {
            rocks.db.delete(rocks.defaultCf, rocks.write, Keys.TAG_INDEX_BUILT);
            rocks.db.deleteRange(rocks.tagsCf, rocks.write, Keys.tagsOfGeneration(0),
                    Keys.tagsOfGeneration(Long.MAX_VALUE));
            return true;
        }, false).join();
    }

    private long countKeys(Supplier<ColumnFamilyHandle> family) {
        return onWriteThread(() -> {
            long n = 0;
            try (RocksIterator it = rocks.db.newIterator(family.get())) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    n++;
                }
            }
            return n;
        }, -1L).join();
    }

    /** Meta records currently in RocksDB (tests only). */
    long metaRecordCount() {
        return countKeys(() -> rocks.metaCf);
    }

    /** Overwrites one stored chunk (tests only: simulates a damaged file). */
    void overwriteChunk(CacheKey key, String variantKey, int chunk, byte[] value) {
        onWriteThread(() -> {
            long[] ids = EntryCodec.peekIds(rocks.db.get(rocks.metaCf, Keys.meta(key, variantKey)));
            rocks.db.put(rocks.chunksCf, rocks.write, Keys.chunk(ids[1], chunk), value);
            return true;
        }, false).join();
    }

    /** Runs {@code r} on the write thread (tests only: e.g. to hold it up). */
    void runOnWriteThread(Runnable r) {
        writeExecutor.execute(r);
    }

    // ---------------------------------------------------------------- native resources

    /** The RocksDB instance and every native object it needs, closed together. */
    static final class Native implements AutoCloseable {
        final List<AutoCloseable> owned = new ArrayList<>();
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        ColumnFamilyHandle defaultCf;
        ColumnFamilyHandle metaCf;
        ColumnFamilyHandle chunksCf;
        ColumnFamilyHandle tagsCf;
        WriteOptions write;
        WriteOptions syncWrite;

        private <T extends AutoCloseable> T own(T resource) {
            owned.add(resource);
            return resource;
        }

        static Native open(Path dir) throws RocksDBException {
            Native n = new Native();
            try {
                n.openIn(dir);
                return n;
            } catch (RocksDBException | RuntimeException e) {
                n.close();
                throw e;
            }
        }

        private void openIn(Path dir) throws RocksDBException {
            LRUCache blockCache = own(new LRUCache(32L << 20));
            BloomFilter bloom = own(new BloomFilter(10));

            BlockBasedTableConfig metaTable = new BlockBasedTableConfig()
                    .setBlockCache(blockCache)
                    .setFilterPolicy(bloom)
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    .setBlockSize(16 * 1024);
            BlockBasedTableConfig plainTable = new BlockBasedTableConfig()
                    .setBlockCache(blockCache)
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    .setBlockSize(16 * 1024);

            ColumnFamilyOptions defaultOptions = own(new ColumnFamilyOptions())
                    .setWriteBufferSize(4L << 20)
                    .setCompressionType(CompressionType.NO_COMPRESSION)
                    .setTableFormatConfig(plainTable);
            ColumnFamilyOptions metaOptions = own(new ColumnFamilyOptions())
                    .setWriteBufferSize(16L << 20)
                    .setMaxWriteBufferNumber(2)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setTableFormatConfig(metaTable);
            ColumnFamilyOptions chunkOptions = own(new ColumnFamilyOptions())
                    .setWriteBufferSize(32L << 20)
                    .setMaxWriteBufferNumber(2)
                    .setCompressionType(CompressionType.NO_COMPRESSION)
                    .setTableFormatConfig(plainTable)
                    .setEnableBlobFiles(true)
                    .setMinBlobSize(4096)
                    .setBlobFileSize(256L << 20)
                    .setBlobCompressionType(CompressionType.NO_COMPRESSION)
                    .setEnableBlobGarbageCollection(true)
                    .setBlobGarbageCollectionAgeCutoff(0.5);
            ColumnFamilyOptions tagOptions = own(new ColumnFamilyOptions())
                    .setWriteBufferSize(4L << 20)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setTableFormatConfig(metaTable);

            // With an SstFileManager, RocksDB recovers by itself from a full disk once space is freed
            // (it polls the free space); without one the DB stays read-only until reopened.
            SstFileManager files = own(new SstFileManager(Env.getDefault()));
            DBOptions dbOptions = own(new DBOptions())
                    .setSstFileManager(files)
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setMaxOpenFiles(1024)
                    .setMaxBackgroundJobs(2)
                    .setBytesPerSync(1L << 20)
                    .setMaxTotalWalSize(128L << 20)
                    .setKeepLogFileNum(3)
                    .setMaxLogFileSize(8L << 20)
                    .setInfoLogLevel(InfoLogLevel.INFO_LEVEL);
            write = own(new WriteOptions());
            syncWrite = own(new WriteOptions().setSync(true));

            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, defaultOptions),
                    new ColumnFamilyDescriptor(Keys.ascii(CF_META), metaOptions),
                    new ColumnFamilyDescriptor(Keys.ascii(CF_CHUNKS), chunkOptions),
                    new ColumnFamilyDescriptor(Keys.ascii(CF_TAGS), tagOptions));
            db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            defaultCf = handles.get(0);
            metaCf = handles.get(1);
            chunksCf = handles.get(2);
            tagsCf = handles.get(3);
        }

        @Override
        public void close() {
            for (ColumnFamilyHandle h : handles) {
                h.close();
            }
            handles.clear();
            if (db != null) {
                try {
                    db.closeE();
                } catch (RocksDBException e) {
                    LOG.warn("closing RocksDB failed: {}", e.getMessage());
                }
                db = null;
            }
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    LOG.debug("closing a RocksDB resource failed", e);
                }
            }
            owned.clear();
        }
    }
}
