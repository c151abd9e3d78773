package dev.outpost.edge.metrics;

import dev.outpost.edge.storage.memory.MemoryStorage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * The edge's meters. Label values come only from enums, so every label set is small and fixed
 * (never a URL, host or header value).
 */
public final class EdgeMetrics {

    /** How a request was answered, the {@code cache} label of {@code outpost_requests_total}. */
    public enum Outcome {
        HIT, STALE, MISS, REVALIDATED, BYPASS, PASS, ERROR;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The {@code tier} label. */
    public enum TierLabel {
        MEMORY, DISK, NONE;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One description for both tiers' write failures (one Prometheus family). */
    private static final String WRITE_FAILURES = "Objects not stored because the tier failed (disk: I/O error, write "
            + "queue overflow, volume below min-free; memory: direct memory exhausted)";
    /** One description for both tiers' evictions. */
    private static final String EVICTIONS = "Objects evicted: to stay within max-size, or expired (past every stale "
            + "window and the revalidation grace)";

    private final MeterRegistry registry;
    private final Map<Outcome, Map<TierLabel, Counter>> requests = new EnumMap<>(Outcome.class);
    private final Map<TierLabel, Counter> bytesServed = new EnumMap<>(TierLabel.class);
    private final Timer originLatency;
    private final Counter originErrors;
    private final Counter collapsedWaits;
    private final Counter collapseTimeouts;
    private final Counter collapsedOriginTimeouts;
    private final Counter collapsedReadAlongs;
    private final Counter fillsClientBehind;
    private final Counter staleServed;
    private final Counter staleServedOriginHeld;
    private final Counter backgroundRevalidations;
    private final Counter rejectedRequests;
    private final Counter fastMemoryHits;

    public EdgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Outcome o : Outcome.values()) {
            Map<TierLabel, Counter> byTier = new EnumMap<>(TierLabel.class);
            for (TierLabel t : TierLabel.values()) {
                byTier.put(t, Counter.builder("outpost.requests")
                        .description("Client requests by how the cache answered them and which tier served them")
                        .tag("cache", o.label()).tag("tier", t.label()).register(registry));
            }
            requests.put(o, byTier);
        }
        for (TierLabel t : TierLabel.values()) {
            bytesServed.put(t, Counter.builder("outpost.bytes.served").baseUnit("bytes")
                    .description("Response body bytes sent to clients").tag("tier", t.label()).register(registry));
        }
        originLatency = Timer.builder("outpost.origin.latency")
                .description("Time from sending a request to an origin to receiving its response head")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        originErrors = Counter.builder("outpost.origin.errors").description("Origin fetches that failed (connect, timeout, reset)")
                .register(registry);
        collapsedWaits = Counter.builder("outpost.collapsed.waits")
                .description("Requests that waited for another request's origin fetch").register(registry);
        collapseTimeouts = Counter.builder("outpost.collapsed.timeouts")
                .description("Collapsed waits that timed out and went to the origin alone").register(registry);
        collapsedOriginTimeouts = Counter.builder("outpost.collapsed.origin.timeouts")
                .description("Collapsed requests whose leader's origin did not answer in time, answered as it was "
                        + "(stale-if-error or 504) instead of asking the origin again").register(registry);
        collapsedReadAlongs = Counter.builder("outpost.collapsed.read.alongs")
                .description("Collapsed requests served from the leader's fill while it streamed in").register(registry);
        fillsClientBehind = Counter.builder("outpost.fills.client.behind")
                .description("Fills whose own client fell behind the origin and was served the rest from the fill "
                        + "in storage, so the fill went on at the origin's pace").register(registry);
        staleServed = Counter.builder("outpost.stale.served")
                .description("Stale responses served (stale-while-revalidate, stale-if-error, max-stale)").register(registry);
        staleServedOriginHeld = Counter.builder("outpost.stale.served.origin.held")
                .description("Stale responses stale-if-error allows, served without asking an origin that had just "
                        + "failed (origin-client.down-hold); also counted in outpost_stale_served_total")
                .register(registry);
        backgroundRevalidations = Counter.builder("outpost.revalidations.background")
                .description("Background revalidations started for stale-while-revalidate").register(registry);
        fastMemoryHits = Counter.builder("outpost.requests.fast")
                .description("Fresh memory hits answered on the connection (server.fast-memory-hits); also counted"
                        + " in outpost.requests with cache=hit, tier=memory")
                .register(registry);
        rejectedRequests = Counter.builder("outpost.requests.rejected")
                .description("Requests refused before proxying (bad input, unknown host)").register(registry);
    }

    public void bindMemoryTier(MemoryStorage memory) {
        Gauge.builder("outpost.cache.bytes", memory, MemoryStorage::byteSize).baseUnit("bytes")
                .description("Bytes stored").tag("tier", "memory").register(registry);
        Gauge.builder("outpost.cache.entries", memory, MemoryStorage::entryCount)
                .description("Objects stored").tag("tier", "memory").register(registry);
        FunctionCounter.builder("outpost.cache.evictions", memory, MemoryStorage::evictions)
                .description(EVICTIONS).tag("tier", "memory").register(registry);
        FunctionCounter.builder("outpost.cache.write.failures", memory, MemoryStorage::writeFailures)
                .description(WRITE_FAILURES).tag("tier", "memory").register(registry);
        Gauge.builder("outpost.cache.filling.bytes", memory, MemoryStorage::fillingBytes).baseUnit("bytes")
                .description("Bytes of the memory tier's fills in flight (not yet stored); the tier evicts to make "
                        + "room for them, up to half of cache.memory.max-size").tag("tier", "memory").register(registry);
        Gauge.builder("outpost.cache.file.bytes", memory, MemoryStorage::fileBytes).baseUnit("bytes")
                .description("Bytes of the memory tier's body files in cache.memory.file-dir: bodies it holds (part "
                        + "of outpost_cache_bytes), bodies it dropped that are still being sent, fills streaming in")
                .tag("tier", "memory").register(registry);
        FunctionCounter.builder("outpost.cache.file.write.failures", memory, MemoryStorage::fileWriteFailures)
                .description("Body files that could not be written (file-dir full): the body was kept in direct "
                        + "memory (for a fill that failed part-way, from the commit on)")
                .tag("tier", "memory").register(registry);
    }

    /** Origins held after a failure ({@code origin-client.down-hold}). */
    public void bindOriginHold(dev.outpost.edge.proxy.OriginHold hold) {
        Gauge.builder("outpost.origins.held", hold, h -> h.held())
                .description("Origin servers (per request host) held after a failed request (origin-client.down-hold)")
                .register(registry);
    }

    /** Disk lookups given up as misses because the disk did not answer in time. */
    public void bindTiers(dev.outpost.edge.storage.TieredStorage tiers) {
        FunctionCounter.builder("outpost.cache.lookup.timeouts", tiers, t -> t.lowerLookupTimeouts())
                .description("Disk lookups that took longer than the deadline and were served as misses")
                .tag("tier", "disk").register(registry);
    }

    public void bindDiskTier(dev.outpost.edge.storage.disk.DiskStorage disk) {
        Gauge.builder("outpost.cache.bytes", disk, d -> d.byteSize()).baseUnit("bytes")
                .description("Bytes stored").tag("tier", "disk").register(registry);
        Gauge.builder("outpost.cache.entries", disk, d -> d.entryCount())
                .description("Objects stored").tag("tier", "disk").register(registry);
        FunctionCounter.builder("outpost.cache.evictions", disk, d -> d.evictions())
                .description(EVICTIONS).tag("tier", "disk").register(registry);
        FunctionCounter.builder("outpost.cache.write.failures", disk,
                        d -> d.writeFailures() + d.writeQueueOverflows() + d.spaceRefusals())
                .description(WRITE_FAILURES).tag("tier", "disk")
                .register(registry);
        FunctionCounter.builder("outpost.cache.read.failures", disk, d -> d.readFailures())
                .description("Reads that failed (I/O error, corrupt chunk); served from the origin instead")
                .tag("tier", "disk").register(registry);
        Timer reads = Timer.builder("outpost.cache.disk.read").description("RocksDB chunk read latency")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(1)).register(registry);
        Timer writes = Timer.builder("outpost.cache.disk.write").description("RocksDB chunk write latency")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(1)).register(registry);
        disk.measureLatency(new dev.outpost.edge.storage.disk.DiskStorage.LatencyListener() {
            @Override
            public void chunkRead(long nanos) {
                reads.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            }

            @Override
            public void chunkWrite(long nanos) {
                writes.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        });
        Gauge.builder("outpost.cache.rebuild.seconds", disk, d -> d.rebuildMillis() / 1000.0)
                .description("Time the disk index took to rebuild at start").tag("tier", "disk").register(registry);
        Gauge.builder("outpost.cache.garbage.collected", disk, d -> d.collectedGarbage())
                .description("Interrupted writes (e.g. by a crash) whose partial chunks the last start collected")
                .tag("tier", "disk").register(registry);
    }

    public void request(Outcome outcome, TierLabel tier) {
        requests.get(outcome).get(tier).increment();
    }

    public void bytesServed(TierLabel tier, long bytes) {
        bytesServed.get(tier).increment(bytes);
    }

    public Timer originLatency() {
        return originLatency;
    }

    public void originError() {
        originErrors.increment();
    }

    public void collapsedWait() {
        collapsedWaits.increment();
    }

    public void collapseTimeout() {
        collapseTimeouts.increment();
    }

    public void collapsedOriginTimeout() {
        collapsedOriginTimeouts.increment();
    }

    public void collapsedReadAlong() {
        collapsedReadAlongs.increment();
    }

    public void clientReadsAlong() {
        fillsClientBehind.increment();
    }

    public void staleServed() {
        staleServed.increment();
    }

    public void staleServedOriginHeld() {
        staleServedOriginHeld.increment();
    }

    public void backgroundRevalidation() {
        backgroundRevalidations.increment();
    }

    /** A hit answered on the connection; {@link #request} counts it as well. */
    public void fastMemoryHit() {
        fastMemoryHits.increment();
    }

    public void rejected() {
        rejectedRequests.increment();
    }

    public MeterRegistry registry() {
        return registry;
    }
}
