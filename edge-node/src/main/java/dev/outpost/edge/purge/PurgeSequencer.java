package dev.outpost.edge.purge;

import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.storage.CacheStorage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of this edge's purge sequence (docs/purge-protocol.md, ARCHITECTURE §4). Every purge
 * the edge applies, pushed with a sequence, pushed by hand without one, or read from the purge-api's
 * catch-up feed, goes through one queue: a single thread, so purges never interleave and
 * {@code lastApplied} only moves forward by one applied purge at a time. {@code lastApplied} is the
 * highest sequence such that it and every sequence below it are applied; it is persisted through a
 * {@link SequenceStore} (the disk tier's RocksDB when there is one) after the purge reached every tier,
 * so a crash in between replays one idempotent purge.
 *
 * <p><b>Pushes.</b> {@code sequence ≤ lastApplied}: nothing to do. {@code lastApplied + 1}: applied,
 * then recorded. Above that (a gap): the edge catches up from the feed, which holds this purge too, and
 * answers after; if the feed cannot be read, the pushed purge is applied anyway (removing too much is
 * safe, too little is not), {@code lastApplied} stays, and the catch-up is retried in the background.
 *
 * <p><b>Catch-up</b> ({@link PurgeFeed}): pages of entries after {@code lastApplied} until the log's
 * {@code last}. When the log no longer reaches back ({@code lastApplied + 1 < first}), or holds a hole, or
 * its {@code last} is below {@code lastApplied} (the purge-api's log was replaced), the purges in between
 * are unknown: the whole cache is dropped (a global hard purge: a generation bump on disk) with one WARN
 * line saying why, and the catch-up goes on from there. So is an entry this edge cannot read (a purge type
 * from a newer purge-api, a value its key policy refuses): removing too much is safe, and stopping there
 * would leave the edge behind, its disk fenced, for good. It runs at start, on a gap, every
 * {@code poll-interval}, and after a failure with exponential backoff and jitter ({@link Backoff}, capped
 * at the poll interval). Feed reads block, so they run on this thread, never on an event loop, and
 * belong to no client request.
 *
 * <p><b>Start-up.</b> A cache that starts empty (memory only, or a disk store that holds nothing and never
 * recorded a sequence) does not care about past purges: before traffic is served the edge reads the bounds
 * once ({@code limit=0}) and takes {@code lastApplied = last}; if that fails it catches up from 0 later.
 * With a disk tier that may hold objects, the disk tier stays fenced ({@link #diskUsable}: neither read nor
 * written) and the edge unready until the first catch-up succeeds; with {@code startup-grace} the edge
 * becomes ready after that long, serving from memory with the disk still fenced. Without a feed there is
 * nothing to catch up from: ready at once.
 *
 * <p><b>Gaps while running.</b> A sequence above {@code lastApplied + 1} (pushed, or the feed's
 * {@code last}) opens a gap, which stays open until {@code lastApplied} reaches it. While it is open the
 * disk tier is fenced again and an edge with a disk tier reports not ready, naming the missing sequences.
 * When the catch-up cannot fill it at once, the memory tier is soft-purged of everything (O(1), once per
 * gap): its objects may have been purged by the missing purges, so each is revalidated with the origin
 * before it is served again (stale-while-revalidate and stale-if-error still apply, as to any soft-purged
 * object); objects fetched during the gap are not affected. The purge that revealed the gap was applied
 * to both tiers already.
 */
public final class PurgeSequencer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeSequencer.class);

    /** Where {@code lastApplied} is kept. */
    public interface SequenceStore {
        /** The recorded sequence, or -1 when none was ever recorded. Called once, at construction. */
        long load();

        /** Records {@code sequence}; blocking, called on the sequencer's thread after the purge was applied. */
        void save(long sequence);

        /** A store that keeps nothing across restarts (memory-only edges: their cache does not survive either). */
        static SequenceStore none() {
            return new SequenceStore() {
                @Override
                public long load() {
                    return -1;
                }

                @Override
                public void save(long sequence) {
                }
            };
        }
    }

    /**
     * @param pollInterval   how often the feed is read while running; also the longest retry backoff
     * @param startupGrace   with a fenced disk: how long to stay unready before serving from memory only
     * @param initialBackoff the first retry's wait after a failed catch-up
     * @param pageSize       entries asked for per feed read
     */
    public record Settings(Duration pollInterval, Optional<Duration> startupGrace, Duration initialBackoff,
            int pageSize) {
    }

    /** The answer to one applied (or skipped) purge: {@code purged} variants, the push's sequence. */
    public record Applied(int purged, Long sequence, long lastApplied) {
    }

    private final CacheStorage storage;
    private final PurgeFeed feed;
    private final SequenceStore store;
    private final boolean fencesDisk;
    private final boolean startsEmpty;
    private final Settings settings;
    private final MeterRegistry registry;
    private final ScheduledThreadPoolExecutor thread;
    private final Backoff backoff;
    private final AtomicBoolean diskUsable = new AtomicBoolean();
    /** Soft-purges everything in the memory tier (see "Gaps while running"). */
    private final Runnable distrustMemory;
    /** The highest sequence seen above {@code lastApplied + 1}; the gap is open while lastApplied is below it. */
    private volatile long gapTo;
    /** Sequencer thread only: the memory tier was soft-purged for the gap open now. */
    private boolean memoryDistrusted;

    private volatile long lastApplied;
    /** The highest sequence this edge has heard of (pushes, the feed's last). */
    private volatile long highestSeen;
    /** The first catch-up (or bounds read) succeeded. */
    private volatile boolean synced;
    private volatile boolean graceOver;
    private volatile String problem = "the first catch-up has not finished yet";
    private volatile boolean closed;
    /** Sequencer thread only. */
    private boolean retryScheduled;

    private final Counter catchUpSuccesses;
    private final Counter catchUpFailures;
    private final Counter feedEntries;
    /** Whole-cache drops by reason (every reason registered at start, so each series exists from 0). */
    private final Map<String, Counter> cacheDrops = new HashMap<>();
    private final Counter purgedObjects;
    private final Timer duration;
    private final ConcurrentHashMap<String, Counter> purgesByType = new ConcurrentHashMap<>();

    /**
     * @param storage       every tier, through the purge fence
     * @param feed          the catch-up feed, or null without {@code purge.api-url}
     * @param store         where lastApplied is kept; loaded here (blocking)
     * @param diskTier      the cache has a disk tier whose objects survive restarts (fenced until caught up)
     * @param cacheIsEmpty  the cache holds nothing at start
     * @param distrustMemory soft-purges everything in the memory tier only, called when a gap cannot be
     *                       filled at once
     */
    public PurgeSequencer(CacheStorage storage, PurgeFeed feed, SequenceStore store, boolean diskTier,
            boolean cacheIsEmpty, Settings settings, MeterRegistry registry, Runnable distrustMemory) {
        this.storage = storage;
        this.distrustMemory = distrustMemory;
        this.feed = feed;
        this.store = store;
        this.settings = settings;
        this.registry = registry;
        long persisted = store.load();
        this.lastApplied = Math.max(0, persisted);
        this.highestSeen = lastApplied;
        this.fencesDisk = diskTier && feed != null;
        this.startsEmpty = cacheIsEmpty && persisted < 0;
        this.diskUsable.set(!fencesDisk);
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "outpost-purge");
            t.setDaemon(true);
            return t;
        });
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        thread.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        this.backoff = new Backoff(settings.initialBackoff(), settings.pollInterval(),
                () -> ThreadLocalRandom.current().nextDouble());

        Gauge.builder("outpost.purge.last.applied", this, s -> s.lastApplied)
                .description("Highest purge sequence applied with every one below it").register(registry);
        Gauge.builder("outpost.purge.caught.up", this, s -> s.caughtUp() ? 1 : 0)
                .description("1 when every purge sequence this edge heard of is applied").register(registry);
        this.catchUpSuccesses = Counter.builder("outpost.purge.catchups").tag("result", "success")
                .description("Catch-ups from the purge-api's feed").register(registry);
        this.catchUpFailures = Counter.builder("outpost.purge.catchups").tag("result", "failure")
                .description("Catch-ups from the purge-api's feed").register(registry);
        this.feedEntries = Counter.builder("outpost.purge.catchup.entries")
                .description("Purges applied from the catch-up feed").register(registry);

        for (String reason : List.of("log-truncated", "log-hole", "log-replaced", "unreadable-entry")) {
            cacheDrops.put(reason, Counter.builder("outpost.purge.cache.drops").tag("reason", reason)
                    .description("Whole-cache drops because purges are unknown: the log no longer reaches back"
                            + " (log-truncated), has a hole (log-hole), was replaced (log-replaced), or holds an"
                            + " entry this edge cannot read (unreadable-entry)")
                    .register(registry));
        }
        this.purgedObjects = Counter.builder("outpost.purged.objects")
                .description("Stored variants removed or invalidated by purges").register(registry);
        this.duration = Timer.builder("outpost.purge.duration")
                .description("Time to apply one purge to storage").register(registry);
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Starts catching up. Completes once traffic may be served: for a cache that starts empty after the
     * one bounds read (successful or not); otherwise at once, the catch-up going on in the background.
     */
    public CompletableFuture<Void> start() {
        if (feed == null) {
            synced = true;
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> first = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                if (startsEmpty) {
                    readBaseline();
                } else {
                    runCatchUp("start");
                }
            } finally {
                first.complete(null);
            }
        });
        long poll = settings.pollInterval().toMillis();
        thread.scheduleWithFixedDelay(() -> runCatchUp("poll"), poll, poll, TimeUnit.MILLISECONDS);
        if (fencesDisk && settings.startupGrace().isPresent()) {
            thread.schedule(this::graceOver, settings.startupGrace().get().toMillis(), TimeUnit.MILLISECONDS);
        }
        return startsEmpty ? first : CompletableFuture.completedFuture(null);
    }

    /** Stops taking purges (later submissions fail) and waits a little for the one being applied. */
    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void graceOver() {
        if (!synced) {
            graceOver = true;
            LOG.warn("not caught up on purges after purge.startup-grace {}: serving from memory only, the disk"
                    + " tier stays fenced until the catch-up succeeds ({})", settings.startupGrace().get(), problem);
        }
    }

    // ---------------------------------------------------------------- state

    /**
     * True while the disk tier may be read and written: the first catch-up succeeded (or there is nothing
     * to catch up from) and no gap in the sequences is open.
     */
    public boolean diskUsable() {
        return diskUsable.get() && !(fencesDisk && gapOpen());
    }

    /** A sequence above {@code lastApplied} is known (a push beyond the next one, or the feed's last) and not applied. */
    private boolean gapOpen() {
        return gapTo > lastApplied;
    }

    /** Sequencer thread: {@code seen} is known and above {@code lastApplied + 1} (or, from the feed, above lastApplied). */
    private void gapSeen(long seen) {
        if (seen > gapTo) {
            if (!gapOpen()) {
                LOG.warn("purge sequence gap: #{} seen while the last applied is #{}{}", seen, lastApplied,
                        fencesDisk ? "; the disk tier is fenced until the missing purges are applied" : "");
            }
            gapTo = seen;
        }
    }

    /** Sequencer thread, after {@code lastApplied} moved or a catch-up succeeded: closes a filled gap. */
    private void gapFilled() {
        if (gapTo != 0 && gapTo <= lastApplied) {
            LOG.info("purge sequence gap up to #{} filled: last applied #{}{}", gapTo, lastApplied,
                    fencesDisk && diskUsable.get() ? "; the disk tier is in use again" : "");
            gapTo = 0;
            memoryDistrusted = false;
        }
    }

    /**
     * Sequencer thread: the gap could not be filled now. Once per gap, every memory object stored before
     * is soft-purged: the missing purges may have covered any of them.
     */
    private void gapStaysOpen() {
        if (gapOpen() && !memoryDistrusted) {
            memoryDistrusted = true;
            distrustMemory.run();
            LOG.warn("purges #{}..#{} are not known yet: every object in the memory tier is revalidated before it"
                    + " is served again", lastApplied + 1, gapTo - 1);
        }
    }

    public long lastApplied() {
        return lastApplied;
    }

    /** Every sequence this edge has heard of is applied (and the first catch-up is done). */
    public boolean caughtUp() {
        return synced && lastApplied >= highestSeen;
    }

    /** Null when the edge may report ready; otherwise why not. */
    public String notReadyReason() {
        if (!fencesDisk) {
            return null;
        }
        long to = gapTo;
        long last = lastApplied;
        if (synced && to > last) {
            String p = problem;
            return "purge sequence gap: #" + to + " was seen but purges #" + (last + 1) + "..#" + (to - 1)
                    + " are not applied; catching up from " + feed.uri() + " before the disk tier is used again"
                    + (p == null ? "" : ": " + p);
        }
        if (synced || graceOver) {
            return null;
        }
        return "catching up on purges from " + feed.uri() + " after sequence " + lastApplied
                + " before the disk tier is used: " + problem;
    }

    // ---------------------------------------------------------------- purges

    /**
     * Applies one purge in queue order; completes with what was done, or fails with
     * {@link RejectedExecutionException} once the sequencer is closed.
     */
    public CompletableFuture<Applied> submit(PurgeCommand command) {
        CompletableFuture<Applied> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new RejectedExecutionException("the edge is shutting down"));
            return done;
        }
        try {
            thread.execute(() -> {
                try {
                    done.complete(command.sequence() == null ? new Applied(apply(command), null, lastApplied)
                            : pushed(command));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    private Applied pushed(PurgeCommand command) {
        long s = command.sequence();
        highestSeen = Math.max(highestSeen, s);
        if (s <= lastApplied) {
            return new Applied(0, s, lastApplied);
        }
        if (s == lastApplied + 1) {
            int n = apply(command);
            advance(s);
            return new Applied(n, s, lastApplied);
        }
        gapSeen(s);
        if (feed != null) {
            LOG.info("purge #{} pushed while the last applied is #{}: catching up from {}", s, lastApplied,
                    feed.uri());
            try {
                Integer n = catchUp(s);
                if (lastApplied >= s) {
                    return new Applied(n == null ? 0 : n, s, lastApplied);
                }
            } catch (IOException e) {
                failed(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int n = apply(command); // the gap stays open: lastApplied does not move
        gapStaysOpen();
        LOG.warn("purge #{} applied out of order: purges #{}..#{} are not known yet{}", s, lastApplied + 1, s - 1,
                feed == null ? " (no purge.api-url to catch up from)" : "; the catch-up is retried in the background");
        return new Applied(n, s, lastApplied);
    }

    /** Applies a purge to every tier (blocking on this thread); returns the variants affected. */
    private int apply(PurgeCommand command) {
        long start = System.nanoTime();
        int n = 0;
        for (Purge p : command.purges()) {
            n += storage.purge(p).join();
        }
        duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        purgedObjects.increment(n);
        purgesByType.computeIfAbsent(command.type() + command.soft(), k -> Counter.builder("outpost.purges")
                .description("Purges applied, by type").tag("type", command.type().toLowerCase(Locale.ROOT))
                .tag("soft", Boolean.toString(command.soft())).register(registry))
                .increment(command.purges().size());
        LOG.info("purge applied: {} ({} variants)", command, n);
        return n;
    }

    private void advance(long sequence) {
        lastApplied = sequence;
        highestSeen = Math.max(highestSeen, sequence);
        store.save(sequence);
        gapFilled();
    }

    // ---------------------------------------------------------------- catch-up

    private void readBaseline() {
        try {
            PurgeFeed.Page bounds = feed.read(0, 0);
            if (!synced) {
                lastApplied = bounds.last();
                highestSeen = Math.max(highestSeen, bounds.last());
                store.save(bounds.last());
                caughtUpNow("the cache starts empty: past purges do not matter; lastApplied = " + bounds.last());
            }
        } catch (IOException e) {
            failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runCatchUp(String why) {
        if (closed) {
            return;
        }
        LOG.debug("purge catch-up ({}) after #{}", why, lastApplied);
        try {
            catchUp(-1);
        } catch (IOException | RuntimeException e) {
            failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads and applies the feed after {@code lastApplied} until its {@code last}. Returns the variants
     * purged by the entry {@code wanted}, if it was applied here.
     */
    private Integer catchUp(long wanted) throws IOException, InterruptedException {
        Integer wantedCount = null;
        int applied = 0;
        while (true) {
            PurgeFeed.Page page = feed.read(lastApplied, settings.pageSize());
            highestSeen = Math.max(highestSeen, page.last());
            if (synced && page.last() > lastApplied) {
                gapSeen(page.last()); // known purges not applied here: fenced until they are
            }
            if (page.last() < lastApplied) {
                dropCache("log-replaced", "the purge log's last sequence is " + page.last()
                        + " but this edge applied up to "
                        + lastApplied + " (the purge-api's log was replaced)", page.last());
                highestSeen = page.last();
            } else if (lastApplied + 1 < page.first()) {
                dropCache("log-truncated", "the purge log starts at " + page.first()
                        + " but this edge applied only up to "
                        + lastApplied + ": purges " + (lastApplied + 1) + ".." + (page.first() - 1)
                        + " are no longer retained", page.first() - 1);
            }
            for (PurgeFeed.Entry e : page.entries()) {
                if (e.sequence() <= lastApplied) {
                    continue;
                }
                if (e.sequence() > lastApplied + 1) {
                    dropCache("log-hole", "the purge log has no entries " + (lastApplied + 1) + ".."
                            + (e.sequence() - 1),
                            e.sequence() - 1);
                }
                if (e.command() == null) {
                    dropCache("unreadable-entry", "purge #" + e.sequence()
                            + " in the purge log cannot be read by this edge ("
                            + e.unreadable() + ")", e.sequence());
                    continue;
                }
                int n = apply(e.command());
                advance(e.sequence());
                feedEntries.increment();
                applied++;
                if (e.sequence() == wanted) {
                    wantedCount = n;
                }
            }
            if (lastApplied >= page.last()) {
                break;
            }
            if (page.entries().isEmpty()) {
                throw new IOException(feed.uri() + " returned no entries after " + lastApplied
                        + " although its last sequence is " + page.last());
            }
        }
        catchUpSuccesses.increment();
        backoff.reset();
        if (gapTo > lastApplied) { // the log was replaced: what was seen before is not coming
            gapTo = lastApplied;
        }
        gapFilled();
        if (applied > 0) {
            LOG.info("caught up on {} purges from {}: last applied #{}", applied, feed.uri(), lastApplied);
        }
        if (!synced) {
            caughtUpNow("caught up on purges to #" + lastApplied);
        }
        return wantedCount;
    }

    private void caughtUpNow(String how) {
        synced = true;
        problem = null;
        if (fencesDisk) {
            diskUsable.set(true);
            LOG.info("{}: the disk tier is in use{}", how, graceOver ? "" : ", ready");
        } else {
            LOG.info("{}", how);
        }
    }

    /** The purges up to {@code coveredUpTo} are unknown: drops everything, a global hard purge. */
    private void dropCache(String reason, String why, long coveredUpTo) {
        int n = storage.purge(new Purge.All(null, false)).join();
        cacheDrops.get(reason).increment();
        LOG.warn("dropping the whole cache ({} variants): {}", n, why);
        advance(coveredUpTo);
    }

    private void failed(Exception e) {
        catchUpFailures.increment();
        problem = e.getMessage() == null ? e.toString() : e.getMessage();
        gapStaysOpen();
        if (retryScheduled || closed) {
            return;
        }
        Duration wait = backoff.next();
        LOG.warn("purge catch-up failed (attempt {}), retrying in {} ms: {}", backoff.failures(), wait.toMillis(),
                problem);
        retryScheduled = true;
        try {
            thread.schedule(() -> {
                retryScheduled = false;
                runCatchUp("retry");
            }, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            retryScheduled = false;
        }
    }
}
