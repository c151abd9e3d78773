package dev.outpost.purge.log;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.outpost.config.RetentionConfig;
import dev.outpost.purge.PurgeCommand;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable purge log of the purge-api (ARCHITECTURE §4, docs/purge-protocol.md "Sequences"):
 * every accepted purge with its sequence, plus what each edge did with it.
 *
 * <h2>Layout (RocksDB column families)</h2>
 * <ul>
 * <li>{@code default}: {@code format} (int), {@code first} and {@code last} (long, big-endian): the lowest
 *     retained and the highest assigned sequence.</li>
 * <li>{@code entries}: sequence (8 bytes BE) → {@link PurgeEntry} JSON. BE keys sort numerically, so the
 *     catch-up feed is one forward scan and retention one {@code deleteRange}.</li>
 * <li>{@code ids}: purge id → sequence (the {@code GET /v1/purges/{id}} index).</li>
 * <li>{@code deliveries}: sequence (8 BE) + edge id → {@link Delivery} JSON, written after push attempts.
 *     Sequence first, so retention drops them with the same range as the entries.</li>
 * <li>{@code acks}: edge id + 0x00 + lastApplied (8 BE) → the time the purge-api learned that the edge had
 *     applied every sequence up to lastApplied. The newest is the edge's watermark (where the fan-out resumes
 *     after a restart); the first one at or above a sequence says when that purge became applied there, even
 *     when the edge got it through its own catch-up rather than a push.</li>
 * </ul>
 *
 * <h2>One writer, group commit</h2>
 * Every write and every read that must see earlier writes (a purge's status) runs on one writer thread, in
 * submission order. Sequences are assigned there, so they increase by one with no holes: the thread takes
 * everything queued, gives the appended purges the next sequences, and writes them with their id index and
 * the new {@code last} in one WriteBatch, synced (fsync) once for the whole group, before any of them is
 * answered. A failed write assigns nothing ({@code last} stays). Delivery records and acks ride in the same
 * batches without asking for a sync (the WAL is ordered, so they are durable with the next synced batch or
 * the OS). The catch-up feed reads on a small reader pool from a RocksDB snapshot, so {@code first},
 * {@code last} and the entries it returns always agree, even while retention deletes.
 *
 * <h2>Retention</h2>
 * On the writer thread every {@code check-interval}: entries beyond {@code max-entries} or older than
 * {@code max-age} (by their accept time on the injected clock) are deleted from the low end with their
 * id index, delivery records and acks, and {@code first} moves up in the same batch, so it is right after a
 * crash or restart. An edge that asks for sequences below {@code first} learns that it missed purges and drops
 * its cache (the protocol's "log no longer reaches back").
 */
public final class PurgeLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeLog.class);

    static final int FORMAT = 1;
    private static final byte[] KEY_FORMAT = ascii("format");
    private static final byte[] KEY_FIRST = ascii("first");
    private static final byte[] KEY_LAST = ascii("last");
    /** Entries deleted per retention batch (each needs its id read to drop the index). */
    private static final int RETENTION_BATCH = 10_000;
    private static final int GROUP_MAX = 4096;

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final RetentionConfig retention;
    private final InstantSource clock;
    private final List<String> edgeIds;
    private final Native rocks;
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final ExecutorService readers;
    /** Recently appended entries: the fan-out reads each one once per edge. */
    private final Cache<Long, PurgeEntry> recent = Caffeine.newBuilder().maximumSize(10_000).build();
    private volatile long first;
    private volatile long last;
    private volatile boolean closed;
    private long nextRetention;

    private PurgeLog(Path dir, RetentionConfig retention, InstantSource clock, List<String> edgeIds, Native rocks)
            throws RocksDBException {
        this.dir = dir;
        this.retention = retention;
        this.clock = clock;
        this.edgeIds = List.copyOf(edgeIds);
        this.rocks = rocks;
        byte[] format = rocks.db.get(rocks.defaultCf, KEY_FORMAT);
        if (format == null) {
            rocks.db.put(rocks.defaultCf, rocks.syncWrite, KEY_FORMAT, ByteBuffer.allocate(4).putInt(FORMAT).array());
        } else if (ByteBuffer.wrap(format).getInt() != FORMAT) {
            throw new RocksDBException("the log has format " + ByteBuffer.wrap(format).getInt()
                    + " but this version reads format " + FORMAT);
        }
        this.last = longOr(rocks.db.get(rocks.defaultCf, KEY_LAST), 0);
        this.first = longOr(rocks.db.get(rocks.defaultCf, KEY_FIRST), 1);
        this.readers = Executors.newFixedThreadPool(2, r -> daemon(r, "purge-log-read"));
        this.nextRetention = System.nanoTime() + retention.checkInterval().toNanos();
        this.writer = daemon(this::writeLoop, "purge-log-write");
        writer.start();
    }

    /**
     * Opens (or creates) the log in {@code dir}.
     *
     * @param edgeIds the configured edges (their acks are trimmed by retention)
     * @throws IOException when RocksDB cannot open it (another process holds it, corrupt files, another format)
     */
    public static PurgeLog open(Path dir, RetentionConfig retention, InstantSource clock, List<String> edgeIds)
            throws IOException {
        Native rocks = null;
        try {
            rocks = Native.open(dir);
            PurgeLog log = new PurgeLog(dir, retention, clock, edgeIds, rocks);
            LOG.info("purge log at {}: sequences {} to {} retained", dir, log.first, log.last);
            return log;
        } catch (RocksDBException e) {
            if (rocks != null) {
                rocks.close();
            }
            throw new IOException("purge log at " + dir + " cannot be opened: " + e.getMessage(), e);
        }
    }

    /** The lowest sequence still retained ({@code last + 1} when none is). */
    public long first() {
        return first;
    }

    /** The highest sequence ever assigned; 0 before the first purge. */
    public long last() {
        return last;
    }

    // ---------------------------------------------------------------- writes

    /**
     * Gives {@code command} the next sequence and a fresh id and makes it durable (synced).
     * Completes once it is on disk, never before; on failure no sequence is used.
     */
    public CompletableFuture<PurgeEntry> append(PurgeCommand command) {
        Objects.requireNonNull(command, "command");
        CompletableFuture<PurgeEntry> done = new CompletableFuture<>();
        submit(new Append(command, done));
        return done;
    }

    /** Stores what happened to purge {@code sequence} on {@code edge} (not synced on its own). */
    public CompletableFuture<Void> recordDelivery(long sequence, String edge, Delivery delivery) {
        byte[] value = json(delivery.toJson());
        return write(batch -> batch.put(rocks.deliveriesCf, deliveryKey(sequence, edge), value));
    }

    /** Stores that {@code edge} had applied every sequence up to {@code lastApplied} at {@code at}. */
    public CompletableFuture<Void> recordAck(String edge, long lastApplied, Instant at) {
        byte[] value = ByteBuffer.allocate(8).putLong(at.toEpochMilli()).array();
        return write(batch -> batch.put(rocks.acksCf, ackKey(edge, lastApplied), value));
    }

    private CompletableFuture<Void> write(BatchWriter writer) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        submit(new Write(writer, done));
        return done;
    }

    /** Applies retention now (on the writer thread, after what is queued); completes when done. */
    public CompletableFuture<Void> applyRetention() {
        return query(() -> {
            retain();
            return null;
        });
    }

    // ---------------------------------------------------------------- reads

    /** The entry with this sequence, if retained. */
    public CompletableFuture<Optional<PurgeEntry>> entry(long sequence) {
        if (sequence < first || sequence > last) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        PurgeEntry cached = recent.getIfPresent(sequence);
        if (cached != null) {
            return CompletableFuture.completedFuture(Optional.of(cached));
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                byte[] value = rocks.db.get(rocks.entriesCf, seqKey(sequence));
                return Optional.ofNullable(value).map(PurgeLog::decodeEntry);
            } catch (RocksDBException e) {
                throw new IllegalStateException("reading purge " + sequence + ": " + e.getMessage(), e);
            }
        }, readers);
    }

    /** One page of the catch-up feed: bounds and entries read from one consistent snapshot. */
    public record Page(long first, long last, List<PurgeEntry> entries) {
    }

    /** Entries with sequence &gt; {@code after}, ascending, at most {@code limit}, with the log's bounds. */
    public CompletableFuture<Page> entriesAfter(long after, int limit) {
        return CompletableFuture.supplyAsync(() -> {
            Snapshot snapshot = rocks.db.getSnapshot();
            try (ReadOptions read = new ReadOptions().setSnapshot(snapshot)) {
                long snapFirst = longOr(rocks.db.get(rocks.defaultCf, read, KEY_FIRST), 1);
                long snapLast = longOr(rocks.db.get(rocks.defaultCf, read, KEY_LAST), 0);
                List<PurgeEntry> entries = new ArrayList<>(Math.min(limit, 1024));
                if (limit > 0 && after < snapLast) {
                    try (RocksIterator it = rocks.db.newIterator(rocks.entriesCf, read)) {
                        for (it.seek(seqKey(Math.max(after + 1, snapFirst))); it.isValid() && entries.size() < limit;
                                it.next()) {
                            if (longAt(it.key(), 0) > snapLast) {
                                break;
                            }
                            entries.add(decodeEntry(it.value()));
                        }
                        it.status();
                    }
                }
                return new Page(snapFirst, snapLast, entries);
            } catch (RocksDBException e) {
                throw new IllegalStateException("reading the log: " + e.getMessage(), e);
            } finally {
                rocks.db.releaseSnapshot(snapshot);
            }
        }, readers);
    }

    /** A purge with what each edge did with it, as stored. */
    public record Record(PurgeEntry entry, Map<String, Delivery> deliveries, Map<String, Instant> ackedAt) {
    }

    /**
     * The purge with this id, its delivery records and, per configured edge, when an ack first covered it;
     * read on the writer thread, so every write submitted before is visible.
     */
    public CompletableFuture<Optional<Record>> find(String id) {
        return query(() -> {
            byte[] seq = rocks.db.get(rocks.idsCf, id.getBytes(StandardCharsets.UTF_8));
            if (seq == null) {
                return Optional.empty();
            }
            byte[] value = rocks.db.get(rocks.entriesCf, seq);
            if (value == null) {
                return Optional.empty();
            }
            long sequence = longAt(seq, 0);
            Map<String, Delivery> deliveries = new HashMap<>();
            try (RocksIterator it = rocks.db.newIterator(rocks.deliveriesCf)) {
                for (it.seek(seq); it.isValid() && startsWith(it.key(), seq); it.next()) {
                    String edge = new String(it.key(), 8, it.key().length - 8, StandardCharsets.UTF_8);
                    deliveries.put(edge, Delivery.fromJson(new JsonObject(new String(it.value(), StandardCharsets.UTF_8))));
                }
            }
            Map<String, Instant> acked = new HashMap<>();
            for (String edge : edgeIds) {
                firstAckAtLeast(edge, sequence).ifPresent(at -> acked.put(edge, at));
            }
            return Optional.of(new Record(decodeEntry(value), deliveries, acked));
        });
    }

    /** What the fan-out resumes from after a restart. */
    public record Resume(Map<String, Long> watermarks, List<StoredDelivery> deliveries) {
    }

    /** A stored delivery record with its key. */
    public record StoredDelivery(long sequence, String edge, Delivery delivery) {
    }

    /**
     * Each configured edge's last acked sequence (0 if none), and every delivery record above the lowest of
     * them: enough to rebuild which purges each edge still needs.
     */
    public CompletableFuture<Resume> resume() {
        return query(() -> {
            Map<String, Long> watermarks = new HashMap<>();
            long lowest = Long.MAX_VALUE;
            for (String edge : edgeIds) {
                long w = watermark(edge);
                watermarks.put(edge, w);
                lowest = Math.min(lowest, w);
            }
            List<StoredDelivery> out = new ArrayList<>();
            try (RocksIterator it = rocks.db.newIterator(rocks.deliveriesCf)) {
                for (it.seek(seqKey(lowest == Long.MAX_VALUE ? 0 : lowest + 1)); it.isValid(); it.next()) {
                    byte[] k = it.key();
                    String edge = new String(k, 8, k.length - 8, StandardCharsets.UTF_8);
                    out.add(new StoredDelivery(longAt(k, 0), edge,
                            Delivery.fromJson(new JsonObject(new String(it.value(), StandardCharsets.UTF_8)))));
                }
                it.status();
            }
            return new Resume(watermarks, out);
        });
    }

    // ---------------------------------------------------------------- the writer thread

    private sealed interface Op permits Append, Write, Query {
    }

    private record Append(PurgeCommand command, CompletableFuture<PurgeEntry> done) implements Op {
    }

    @FunctionalInterface
    private interface BatchWriter {
        void addTo(WriteBatch batch) throws RocksDBException;
    }

    private record Write(BatchWriter writer, CompletableFuture<Void> done) implements Op {
    }

    @FunctionalInterface
    private interface ReadTask<T> {
        T run() throws RocksDBException;
    }

    private record Query(Runnable run, CompletableFuture<?> done) implements Op {
    }

    private <T> CompletableFuture<T> query(ReadTask<T> task) {
        CompletableFuture<T> done = new CompletableFuture<>();
        submit(new Query(() -> {
            try {
                done.complete(task.run());
            } catch (RocksDBException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, done));
        return done;
    }

    private void submit(Op op) {
        if (closed) {
            failed(op, new IllegalStateException("the purge log is closed"));
            return;
        }
        queue.add(op);
    }

    private void writeLoop() {
        List<Op> ops = new ArrayList<>();
        while (true) {
            try {
                long wait = closed ? 0 : Math.max(0, nextRetention - System.nanoTime());
                Op op = queue.poll(wait, TimeUnit.NANOSECONDS);
                if (op != null) {
                    ops.add(op);
                    queue.drainTo(ops, GROUP_MAX);
                    process(ops);
                    ops.clear();
                } else if (closed) {
                    return;
                }
                if (System.nanoTime() - nextRetention >= 0 && !closed) {
                    retain();
                    nextRetention = System.nanoTime() + retention.checkInterval().toNanos();
                }
            } catch (InterruptedException e) {
                if (closed && queue.isEmpty()) {
                    return;
                }
            } catch (RuntimeException | RocksDBException e) {
                LOG.error("purge log at {}: {}", dir, e.toString(), e);
                ops.forEach(o -> failed(o, e));
                ops.clear();
            }
        }
    }

    /** One group: writes batched and committed together; a query first commits what came before it. */
    private void process(List<Op> ops) throws RocksDBException {
        Group group = new Group();
        for (Op op : ops) {
            if (op instanceof Append a) {
                group.append(a);
            } else if (op instanceof Write w) {
                group.write(w);
            } else if (op instanceof Query q) {
                group.commit();
                q.run().run();
            }
        }
        group.commit();
    }

    /** Writes gathered for one WriteBatch, and what to complete once it is written. */
    private final class Group {
        private WriteBatch batch = new WriteBatch();
        private final List<Runnable> onCommit = new ArrayList<>();
        private final List<Op> members = new ArrayList<>();
        private long sequence = last;
        private boolean sync;

        void append(Append a) throws RocksDBException {
            long seq = ++sequence;
            PurgeEntry entry = new PurgeEntry(seq, UUID.randomUUID().toString(), a.command(), clock.instant());
            batch.put(rocks.entriesCf, seqKey(seq), json(entry.toJson()));
            batch.put(rocks.idsCf, entry.id().getBytes(StandardCharsets.UTF_8), seqKey(seq));
            sync = true;
            members.add(a);
            onCommit.add(() -> {
                recent.put(seq, entry);
                a.done().complete(entry);
            });
        }

        void write(Write w) {
            try {
                w.writer().addTo(batch);
            } catch (RocksDBException | RuntimeException e) {
                w.done().completeExceptionally(e);
                return;
            }
            members.add(w);
            onCommit.add(() -> w.done().complete(null));
        }

        void commit() {
            if (members.isEmpty()) {
                return;
            }
            try {
                if (sequence != last) {
                    batch.put(rocks.defaultCf, KEY_LAST, longBytes(sequence));
                }
                rocks.db.write(sync ? rocks.syncWrite : rocks.write, batch);
                last = sequence;
                onCommit.forEach(Runnable::run);
            } catch (RocksDBException | RuntimeException e) {
                LOG.error("purge log at {}: write failed, {} requests refused: {}", dir, members.size(), e.toString());
                members.forEach(o -> failed(o, e));
            } finally {
                batch.close();
                batch = new WriteBatch();
                onCommit.clear();
                members.clear();
                sequence = last;
                sync = false;
            }
        }
    }

    private static void failed(Op op, Throwable e) {
        if (op instanceof Append a) {
            a.done().completeExceptionally(e);
        } else if (op instanceof Write w) {
            w.done().completeExceptionally(e);
        } else if (op instanceof Query q) {
            q.done().completeExceptionally(e);
        }
    }

    /** Deletes what retention no longer keeps, batch by batch, moving {@code first} up with each. */
    private void retain() throws RocksDBException {
        Instant oldest = clock.instant().minus(retention.maxAge());
        while (true) {
            long from = first;
            long keepFrom = Math.max(from, last - retention.maxEntries() + 1);
            keepFrom = Math.min(keepFrom, from + RETENTION_BATCH);
            List<byte[]> ids = new ArrayList<>();
            try (RocksIterator it = rocks.db.newIterator(rocks.entriesCf)) {
                for (it.seek(seqKey(from)); it.isValid() && ids.size() < RETENTION_BATCH; it.next()) {
                    long seq = longAt(it.key(), 0);
                    PurgeEntry e = decodeEntry(it.value());
                    if (seq >= keepFrom && !e.acceptedAt().isBefore(oldest)) {
                        break;
                    }
                    keepFrom = Math.max(keepFrom, seq + 1);
                    ids.add(e.id().getBytes(StandardCharsets.UTF_8));
                }
                it.status();
            }
            if (keepFrom <= from) {
                return;
            }
            try (WriteBatch batch = new WriteBatch()) {
                for (byte[] id : ids) {
                    batch.delete(rocks.idsCf, id);
                }
                batch.deleteRange(rocks.entriesCf, seqKey(from), seqKey(keepFrom));
                batch.deleteRange(rocks.deliveriesCf, seqKey(from), seqKey(keepFrom));
                for (String edge : edgeIds) {
                    // keep the edge's newest ack (its watermark) even when it lags behind what is retained
                    long below = Math.min(keepFrom, watermark(edge));
                    batch.deleteRange(rocks.acksCf, ackKey(edge, 0), ackKey(edge, below));
                }
                batch.put(rocks.defaultCf, KEY_FIRST, longBytes(keepFrom));
                rocks.db.write(rocks.write, batch);
            }
            first = keepFrom;
            for (long s = from; s < keepFrom; s++) {
                recent.invalidate(s);
            }
            LOG.info("purge log retention: dropped sequences {} to {} (max-entries {}, max-age {})", from,
                    keepFrom - 1, retention.maxEntries(), retention.maxAge());
        }
    }

    /** The newest acked lastApplied of {@code edge}, 0 if none. */
    private long watermark(String edge) throws RocksDBException {
        byte[] prefix = ackPrefix(edge);
        try (RocksIterator it = rocks.db.newIterator(rocks.acksCf)) {
            it.seekForPrev(ackKey(edge, Long.MAX_VALUE));
            if (it.isValid() && startsWith(it.key(), prefix) && it.key().length == prefix.length + 8) {
                return longAt(it.key(), prefix.length);
            }
            it.status();
        }
        return 0;
    }

    private Optional<Instant> firstAckAtLeast(String edge, long sequence) throws RocksDBException {
        byte[] prefix = ackPrefix(edge);
        try (RocksIterator it = rocks.db.newIterator(rocks.acksCf)) {
            it.seek(ackKey(edge, sequence));
            if (it.isValid() && startsWith(it.key(), prefix) && it.key().length == prefix.length + 8) {
                return Optional.of(Instant.ofEpochMilli(longAt(it.value(), 0)));
            }
            it.status();
        }
        return Optional.empty();
    }

    /** Finishes what is queued, syncs the WAL and closes RocksDB. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.interrupt();
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Op> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(o -> failed(o, new IllegalStateException("the purge log is closed")));
        readers.shutdown();
        try {
            readers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            rocks.db.syncWal();
        } catch (RocksDBException e) {
            LOG.warn("purge log at {}: WAL sync at close failed: {}", dir, e.getMessage());
        }
        rocks.close();
    }

    // ---------------------------------------------------------------- keys and codecs

    static byte[] seqKey(long sequence) {
        return longBytes(sequence);
    }

    static byte[] deliveryKey(long sequence, String edge) {
        byte[] e = edge.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + e.length).putLong(sequence).put(e).array();
    }

    private static byte[] ackPrefix(String edge) {
        byte[] e = edge.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(e, e.length + 1); // edge id, 0x00
    }

    static byte[] ackKey(String edge, long lastApplied) {
        byte[] prefix = ackPrefix(edge);
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(lastApplied).array();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static long longOr(byte[] bytes, long fallback) {
        return bytes == null ? fallback : ByteBuffer.wrap(bytes).getLong();
    }

    private static long longAt(byte[] bytes, int offset) {
        return ByteBuffer.wrap(bytes, offset, 8).getLong();
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] json(JsonObject json) {
        return json.encode().getBytes(StandardCharsets.UTF_8);
    }

    private static PurgeEntry decodeEntry(byte[] value) {
        return PurgeEntry.fromJson(new JsonObject(new String(value, StandardCharsets.UTF_8)));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---------------------------------------------------------------- native resources

    /**
     * The RocksDB instance and every native object it needs, closed together. Options: small memtables
     * (the log is a few hundred bytes per purge), LZ4 for the JSON values, a bloom filter on {@code ids}
     * (point lookups by purge id), two background jobs for a 2-core box, WAL on and synced for appends.
     */
    private static final class Native implements AutoCloseable {
        final List<AutoCloseable> owned = new ArrayList<>();
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        ColumnFamilyHandle defaultCf;
        ColumnFamilyHandle entriesCf;
        ColumnFamilyHandle idsCf;
        ColumnFamilyHandle deliveriesCf;
        ColumnFamilyHandle acksCf;
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
            LRUCache blockCache = own(new LRUCache(16L << 20));
            BloomFilter bloom = own(new BloomFilter(10));
            BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(blockCache)
                    .setCacheIndexAndFilterBlocks(true);
            BlockBasedTableConfig bloomTable = new BlockBasedTableConfig().setBlockCache(blockCache)
                    .setCacheIndexAndFilterBlocks(true).setFilterPolicy(bloom);
            ColumnFamilyOptions small = own(new ColumnFamilyOptions()).setWriteBufferSize(4L << 20)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION).setTableFormatConfig(table);
            ColumnFamilyOptions values = own(new ColumnFamilyOptions()).setWriteBufferSize(16L << 20)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION).setTableFormatConfig(table);
            ColumnFamilyOptions ids = own(new ColumnFamilyOptions()).setWriteBufferSize(8L << 20)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION).setTableFormatConfig(bloomTable);
            DBOptions options = own(new DBOptions()).setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                    .setMaxBackgroundJobs(2).setMaxOpenFiles(256).setKeepLogFileNum(3)
                    .setMaxLogFileSize(8L << 20).setMaxTotalWalSize(64L << 20).setInfoLogLevel(InfoLogLevel.INFO_LEVEL);
            write = own(new WriteOptions());
            syncWrite = own(new WriteOptions().setSync(true));
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, small),
                    new ColumnFamilyDescriptor(ascii("entries"), values),
                    new ColumnFamilyDescriptor(ascii("ids"), ids),
                    new ColumnFamilyDescriptor(ascii("deliveries"), values),
                    new ColumnFamilyDescriptor(ascii("acks"), small));
            db = RocksDB.open(options, dir.toString(), descriptors, handles);
            defaultCf = handles.get(0);
            entriesCf = handles.get(1);
            idsCf = handles.get(2);
            deliveriesCf = handles.get(3);
            acksCf = handles.get(4);
        }

        @Override
        public void close() {
            handles.forEach(ColumnFamilyHandle::close);
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
