package dev.outpost.edge.server;

import dev.outpost.config.ByteSize;
import dev.outpost.config.EdgeConfig;
import dev.outpost.config.MemoryTierConfig;
import dev.outpost.config.OriginConfig;
import dev.outpost.edge.cache.Purge;
import dev.outpost.edge.cache.CacheKeyPolicy;
import dev.outpost.edge.cache.CacheLock;
import dev.outpost.edge.cache.StoragePolicy;
import dev.outpost.edge.http.Freshness;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.http.AcceptEncoding;
import dev.outpost.edge.proxy.Origin;
import dev.outpost.edge.proxy.OriginClient;
import dev.outpost.edge.proxy.OriginRouter;
import dev.outpost.edge.purge.PurgeEndpoint;
import dev.outpost.edge.purge.PurgeFeed;
import dev.outpost.edge.purge.PurgeSequencer;
import dev.outpost.edge.proxy.ProxyPipeline;
import dev.outpost.config.DiskTierConfig;
import dev.outpost.edge.storage.CacheStorage;
import dev.outpost.edge.storage.FencedTier;
import dev.outpost.edge.storage.PurgeFencedStorage;
import dev.outpost.edge.storage.TieredStorage;
import dev.outpost.edge.storage.disk.DiskStorage;
import dev.outpost.edge.storage.memory.MemoryStorage;
import dev.outpost.edge.storage.memory.TmpfsMount;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object graph of one edge node, built from its configuration: storage, engine, pipeline,
 * traffic and admin servers. Starts and stops as a unit; used by {@code EdgeNode} and by tests,
 * which start it in-process on ephemeral ports with a test clock.
 */
public final class EdgeRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeRuntime.class);

    private final EdgeConfig config;
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    /** How long a stale object with a validator is kept for revalidation after its stale windows. */
    private static final Duration REVALIDATION_GRACE = Duration.ofHours(1);

    private final MemoryStorage memory;
    private final DiskStorage disk;
    private final OriginClient origins;
    private final ProxyPipeline pipeline;
    private final EdgeServer traffic;
    private final AdminServer admin;
    private final PurgeSequencer sequencer;
    /** Both ports are bound and the edge is not draining. */
    private final AtomicBoolean serving = new AtomicBoolean();
    private volatile boolean started;
    private final JvmGcMetrics gcMetrics;
    private int trafficPort;
    private int adminPort;

    public EdgeRuntime(EdgeConfig config, Clock clock) {
        this.config = config;
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("node", config.node().id(), "region", config.node().region());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);

        EdgeMetrics metrics = new EdgeMetrics(registry);
        var cache = config.cache();
        warnIfDirectMemoryTooSmall(cache.memory().maxSize());
        this.memory = new MemoryStorage(cache.memory().maxSize(), cache.memory().maxObjectSize(), clock,
                REVALIDATION_GRACE, Runnable::run, bodyFiles(cache.memory()));
        metrics.bindMemoryTier(memory);
        this.disk = cache.disk().map(d -> openDisk(d, clock)).orElse(null);
        CacheStorage storage = memory;
        if (disk != null) {
            metrics.bindDiskTier(disk);
            // fenced until the edge has caught up on the purges it missed while it was down
            TieredStorage tiers = new TieredStorage(memory, new FencedTier(disk, this::diskUsable));
            metrics.bindTiers(tiers);
            storage = tiers;
        }
        // purges also reach fills that were in flight when they were issued
        storage = new PurgeFencedStorage(storage);
        var heuristic = new Freshness.Heuristic(cache.heuristic().fraction(), cache.heuristic().max());
        StoragePolicy storagePolicy = new StoragePolicy(cache.targetedFields(), heuristic);
        var oc = config.originClient();
        // a leader may try each of its origin's servers in turn before it sends its request
        int servers = config.origins().stream().mapToInt(o -> o.urls().size()).max().orElse(1);
        CacheLock lock = new CacheLock(cache.collapse().waitTimeout(),
                oc.connectTimeout().multipliedBy(servers).plus(oc.firstByteTimeout()), cache.collapse().uncacheableTtl(),
                clock);
        this.origins = new OriginClient(vertx, new OriginClient.Settings(oc.connectTimeout(), oc.firstByteTimeout(),
                oc.idleTimeout(), oc.maxConnectionsPerOrigin()));
        List<Origin> routes = new ArrayList<>();
        for (OriginConfig o : config.origins()) {
            routes.add(Origin.of(o.host(), o.urls()));
        }
        this.sequencer = purgeSequencer(config, storage, disk, registry, memory);
        this.pipeline = new ProxyPipeline(vertx, clock,
                new ProxyPipeline.Settings(config.node().id(), config.server().outermost(),
                        cache.stripSurrogateHeaders(), config.accessLog().enabled(), cache.targetedFields(),
                        oc.downHold(), AcceptEncoding.of(cache.acceptEncoding().normalise(),
                                cache.acceptEncoding().codings()), cache.memory().maxObjectSize()),
                new OriginRouter(routes), new CacheKeyPolicy(), storagePolicy, storage, lock, origins, metrics,
                sequencer::lastApplied);
        this.traffic = new EdgeServer(vertx, config.node().id(), config.server(), pipeline, metrics);
        this.admin = new AdminServer(vertx, registry, this::notReadyReason);
        new PurgeEndpoint(sequencer, new CacheKeyPolicy(), config.node().id(), config.admin().token(), registry)
                .mount(admin.router());
    }

    /** How long the catch-up feed may take to connect, and to answer one page. */
    private static final Duration FEED_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FEED_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /** The sequencer over every tier; with a disk tier, lastApplied lives in the disk store. */
    private static PurgeSequencer purgeSequencer(EdgeConfig config, CacheStorage storage, DiskStorage disk,
            PrometheusMeterRegistry registry, MemoryStorage memory) {
        var purge = config.purge();
        PurgeFeed feed = purge.apiUrl().map(url -> new PurgeFeed(url, purge.apiToken(), new CacheKeyPolicy(),
                FEED_CONNECT_TIMEOUT, FEED_REQUEST_TIMEOUT)).orElse(null);
        PurgeSequencer.SequenceStore store = disk == null ? PurgeSequencer.SequenceStore.none()
                : new PurgeSequencer.SequenceStore() {
                    @Override
                    public long load() {
                        return disk.purgeSequence();
                    }

                    @Override
                    public void save(long sequence) {
                        if (!disk.recordPurgeSequence(sequence).join()) {
                            LOG.warn("could not record purge sequence {} on disk; it is applied again after a"
                                    + " restart", sequence);
                        }
                    }
                };
        if (disk != null && feed == null) {
            LOG.warn("cache.disk is set without purge.api-url: purges sent while this edge is down never reach its "
                    + "disk tier, so after a restart it serves objects purged in the meantime; set purge.api-url "
                    + "(and purge.api-token) so that it catches up before it serves from disk");
        }
        boolean empty = disk == null || disk.rebuiltEntries() == 0; // nothing written yet: the edge is not serving
        return new PurgeSequencer(storage, feed, store, disk != null, empty,
                new PurgeSequencer.Settings(purge.pollInterval(), purge.startupGrace(), Duration.ofMillis(250), 1000),
                registry, () -> memory.purge(new Purge.All(null, true)).join());
    }

    private boolean diskUsable() {
        return sequencer != null && sequencer.diskUsable();
    }

    /** Null when ready; otherwise why not (for {@code /readyz}). */
    private String notReadyReason() {
        if (!serving.get()) {
            return started ? "draining: the edge is shutting down" : "starting";
        }
        return sequencer.notReadyReason();
    }

    /** Binds both ports; completes when the edge is serving. */
    public Future<EdgeRuntime> start() {
        return admin.listen(config.admin().host(), config.admin().port())
                .compose(a -> {
                    adminPort = a;
                    return Future.fromCompletionStage(sequencer.start());
                })
                .compose(v -> traffic.listen())
                .map(t -> {
                    trafficPort = t;
                    started = true;
                    serving.set(true);
                    LOG.info("edge {} ({}) serving on {}:{}, admin on {}:{}", config.node().id(),
                            config.node().region(), config.server().host(), trafficPort, config.admin().host(),
                            adminPort);
                    return this;
                });
    }

    /**
     * Stops accepting, lets in-flight requests finish for up to {@code grace}, then closes everything.
     * Blocks the calling thread (never call it from an event loop).
     */
    public void stop(Duration grace) {
        serving.set(false);
        started = true;
        awaitQuietly(traffic.shutdown(grace), grace.plusSeconds(5));
        awaitQuietly(admin.close(), Duration.ofSeconds(5));
        sequencer.close();
        origins.close();
        memory.close();
        if (disk != null) {
            disk.close();
        }
        gcMetrics.close();
        awaitQuietly(vertx.close(), Duration.ofSeconds(10));
    }

    private static void awaitQuietly(Future<?> f, Duration limit) {
        try {
            f.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown step did not complete cleanly: {}", e.toString());
        }
    }

    public int trafficPort() {
        return trafficPort;
    }

    public int adminPort() {
        return adminPort;
    }

    public boolean isReady() {
        return notReadyReason() == null;
    }

    public PurgeSequencer sequencer() {
        return sequencer;
    }

    /**
     * Opens the disk tier (blocking: the index is rebuilt before the edge serves). A store that cannot
     * be opened (corrupt files, a store RocksDB refuses) is moved aside to {@code PATH.broken-TIME} for
     * inspection and a fresh one is created: a cache can always be refilled, and the edge keeps
     * serving. Only when no store can be created at all does the start fail, with a clear message.
     */
    private static DiskStorage openDisk(DiskTierConfig d, Clock clock) {
        try {
            return opened(d, DiskStorage.open(diskSettings(d, clock)));
        } catch (IOException first) {
            Path aside = d.path().resolveSibling(d.path().getFileName() + ".broken-"
                    + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(java.time.ZoneOffset.UTC)
                            .format(clock.instant()));
            LOG.error("disk store at {} cannot be opened ({}); moving it to {} and starting with an empty disk tier",
                    d.path(), first.getMessage(), aside);
            try {
                Files.move(d.path(), aside);
                return opened(d, DiskStorage.open(diskSettings(d, clock)));
            } catch (IOException second) {
                throw new IllegalStateException("cache.disk: " + second.getMessage(), second);
            }
        }
    }

    /**
     * Says whether the tmpfs of the body files gives them large folios ({@code huge=within_size}), which makes
     * each large hit's {@code sendfile} cheaper, and warns when it may give a small file a whole 2 MiB folio
     * ({@code huge=always}); a hint only, so an unreadable mount table is no error.
     */
    private static void logLargeFolios(Path dir) {
        Optional<TmpfsMount> mount;
        String host;
        try {
            mount = TmpfsMount.of(dir.toRealPath(),
                    Files.readAllLines(PROC_MOUNTS, StandardCharsets.ISO_8859_1));
            host = Files.isReadable(HOST_SHMEM_ENABLED)
                    ? Files.readString(HOST_SHMEM_ENABLED, StandardCharsets.ISO_8859_1)
                    : "";
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read the mount options of {}: {}", dir, e.toString());
            return;
        }
        mount.ifPresent(m -> {
            String huge = m.effectiveHuge(host);
            String setting = huge.equals(m.huge()) ? "huge=" + huge
                    : "huge=" + m.huge() + ", " + HOST_SHMEM_ENABLED + " " + host.trim();
            switch (huge) {
                case "within_size" -> LOG.info("memory tier: {} is a tmpfs with {}: body files of a known length get "
                        + "large folios", m.mountPoint(), setting);
                case "always" -> LOG.warn("memory tier: {} is a tmpfs with {}: a body file of any size may take a "
                        + "whole 2 MiB folio, memory that cache.memory.max-size does not count; mount it with "
                        + "huge=within_size instead", m.mountPoint(), setting);
                default -> LOG.info("memory tier: {} is a tmpfs with {}: body files are sent from 4 KiB pages; a tmpfs "
                        + "mounted with huge=within_size took 14-16% less CPU per large hit on Linux 6.18 (see "
                        + "config/examples/edge.yaml, file-dir)", m.mountPoint(), setting);
            }
        });
    }

    /**
     * Where the memory tier keeps large bodies, or null (all in direct buffers); says which in the log, and
     * warns when the directory is not a memory filesystem, has less room than the tier may fill, or the
     * process may open fewer files than the tier may hold bodies in files (one open file each).
     */
    private static MemoryStorage.BodyFiles bodyFiles(MemoryTierConfig memory) {
        if (!memory.filesEnabled()) {
            LOG.info("memory tier: every body in direct buffers (cache.memory.file-min-size is 0, or no file-dir "
                    + "was set and {} is not a directory here)", MemoryTierConfig.DEFAULT_FILE_DIR);
            return null;
        }
        Path dir = memory.fileDir().orElseThrow();
        if (memory.fileMinSize() > memory.maxObjectSize()) {
            LOG.warn("cache.memory.file-min-size {} is above cache.memory.max-object-size {}: no body is kept in a "
                    + "file", ByteSize.format(memory.fileMinSize()), ByteSize.format(memory.maxObjectSize()));
        }
        try {
            Files.createDirectories(dir);
            FileStore store = Files.getFileStore(dir);
            long free = store.getUsableSpace();
            LOG.info("memory tier: bodies of {} and more in files under {} ({}, {} free); fresh hits answered on "
                    + "the connection send them with sendfile", ByteSize.format(memory.fileMinSize()), dir,
                    store.type(), ByteSize.format(free));
            if (!"tmpfs".equals(store.type())) {
                LOG.warn("cache.memory.file-dir {} is on a {} filesystem, not tmpfs: the memory tier's large bodies "
                        + "are written through to its device. Point it at a tmpfs directory such as /dev/shm", dir,
                        store.type());
            } else {
                logLargeFolios(dir);
            }
            if (free < memory.maxSize()) {
                LOG.warn("cache.memory.file-dir {} has {} free, less than cache.memory.max-size {}: large bodies "
                        + "that find no room there are kept in direct memory instead (a container's /dev/shm is "
                        + "64MiB unless its shm_size or a memory-backed volume says otherwise)", dir,
                        ByteSize.format(free), ByteSize.format(memory.maxSize()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cache.memory.file-dir " + dir + " cannot be used: " + e, e);
        }
        long mostFiles = memory.maxSize() / memory.fileMinSize();
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean os
                && os.getMaxFileDescriptorCount() < mostFiles + FILES_BESIDES_BODIES) {
            LOG.warn("the process may open {} files, but the memory tier may hold up to {} bodies in files (one open "
                    + "file each: cache.memory.max-size / file-min-size) besides its connections: raise the limit "
                    + "(ulimit -n, LimitNOFILE, the container's nofile) or raise cache.memory.file-min-size",
                    os.getMaxFileDescriptorCount(), mostFiles);
        }
        return new MemoryStorage.BodyFiles(dir, memory.fileMinSize());
    }

    /** The mount table, for the body files' tmpfs options. */
    private static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");
    /** The host's switch over every tmpfs's huge= option ({@code deny}, {@code force}). */
    private static final Path HOST_SHMEM_ENABLED =
            Path.of("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
    /** Open files an edge needs besides its body files: connections, RocksDB, jars (a generous guess). */
    private static final long FILES_BESIDES_BODIES = 16_384;

    /**
     * Memory-tier bodies live in direct buffers, bounded by the JVM's direct memory limit
     * ({@code -XX:MaxDirectMemorySize}, by default the heap's maximum). Say so at start when the tier
     * could outgrow it, instead of failing later under load.
     */
    private static void warnIfDirectMemoryTooSmall(long memoryTierBytes) {
        long limit = Runtime.getRuntime().maxMemory();
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:MaxDirectMemorySize=")) {
                try {
                    limit = dev.outpost.config.ByteSize.parse(arg.substring(arg.indexOf('=') + 1)
                            .toUpperCase(java.util.Locale.ROOT).replaceAll("([KMGT])$", "$1iB"));
                } catch (IllegalArgumentException e) {
                    return;
                }
            }
        }
        long needed = memoryTierBytes + memoryTierBytes / 4 + (64L << 20);
        if (needed > limit) {
            LOG.warn("cache.memory.max-size is {} but the JVM may use only {} of direct memory for bodies and "
                    + "network buffers; start it with -XX:MaxDirectMemorySize={}m or more",
                    dev.outpost.config.ByteSize.format(memoryTierBytes), dev.outpost.config.ByteSize.format(limit),
                    needed >> 20);
        }
    }

    /** The disk tier's settings; {@code min-free} is resolved against the size of the volume. */
    private static DiskStorage.Settings diskSettings(DiskTierConfig d, Clock clock) throws IOException {
        Files.createDirectories(d.path());
        long volume = Files.getFileStore(d.path()).getTotalSpace();
        return new DiskStorage.Settings(d.path(), d.maxSize(), d.maxObjectSize(), clock, REVALIDATION_GRACE)
                .withMinFree(d.minFreeOn(volume));
    }

    private static DiskStorage opened(DiskTierConfig d, DiskStorage store) {
        LOG.info("disk tier at {}: {} objects, {} bytes, index rebuilt in {} ms", d.path(), store.rebuiltEntries(),
                store.byteSize(), store.rebuildMillis());
        return store;
    }

    /** The disk tier, or null when the configuration has no cache.disk section. */
    public DiskStorage disk() {
        return disk;
    }

    public MemoryStorage memory() {
        return memory;
    }

    public ProxyPipeline pipeline() {
        return pipeline;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
