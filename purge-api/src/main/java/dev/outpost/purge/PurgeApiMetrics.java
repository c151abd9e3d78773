package dev.outpost.purge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The purge-api's meters (Prometheus names in parentheses). Labels come only from small fixed sets: the
 * purge type, soft, the configured edge ids, and a failure reason.
 * <ul>
 * <li>{@code outpost.purgeapi.purges.accepted} ({@code outpost_purgeapi_purges_accepted_total}) by type, soft</li>
 * <li>{@code outpost.purgeapi.all.applied} ({@code outpost_purgeapi_all_applied_seconds}, histogram): from
 *     the 202 to the moment every configured edge had applied the purge</li>
 * <li>{@code outpost.purgeapi.push} ({@code outpost_purgeapi_push_seconds}, histogram) by edge: one push,
 *     from sending it to the edge's answer (any answer)</li>
 * <li>{@code outpost.purgeapi.push.retries} by edge; {@code outpost.purgeapi.push.failures} by edge and
 *     reason ({@code gave-up} after max-attempts, {@code rejected} for a 4xx)</li>
 * <li>{@code outpost.purgeapi.edge.lag} (gauge) by edge: sequences the edge has not applied yet
 *     ({@code last} minus its last applied); {@code outpost.purgeapi.edge.up} (1 while live)</li>
 * <li>{@code outpost.purgeapi.log.first} and {@code .last} (gauges): the log's bounds</li>
 * <li>{@code outpost.purgeapi.requests.rejected} by status: REST requests refused</li>
 * </ul>
 */
public final class PurgeApiMetrics {

    private final MeterRegistry registry;
    private final Timer allApplied;

    public PurgeApiMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.allApplied = Timer.builder("outpost.purgeapi.all.applied")
                .description("From accepting a purge (202) until every edge applied it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void accepted(PurgeType type, boolean soft) {
        Counter.builder("outpost.purgeapi.purges.accepted").description("Purges accepted (durable), by type")
                .tag("type", type.wire()).tag("soft", Boolean.toString(soft)).register(registry).increment();
    }

    public void allApplied(long nanos) {
        allApplied.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void push(String edge, long nanos) {
        Timer.builder("outpost.purgeapi.push").description("One push of a purge to an edge, until its answer")
                .tag("edge", edge).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void retry(String edge) {
        Counter.builder("outpost.purgeapi.push.retries").description("Pushes retried after a retryable failure")
                .tag("edge", edge).register(registry).increment();
    }

    /** A purge given up on one edge: {@code gave-up} (max-attempts) or {@code rejected} (a 4xx). */
    public void failure(String edge, String reason) {
        Counter.builder("outpost.purgeapi.push.failures").description("Purges marked failed on an edge")
                .tag("edge", edge).tag("reason", reason).register(registry).increment();
    }

    public void rejected(int status) {
        Counter.builder("outpost.purgeapi.requests.rejected").description("REST requests refused, by status")
                .tag("status", Integer.toString(status)).register(registry).increment();
    }

    public void edgeGauges(String edge, Supplier<Number> lag, Supplier<Number> up) {
        Gauge.builder("outpost.purgeapi.edge.lag", lag).description("Sequences the edge has not applied yet")
                .tag("edge", edge).register(registry);
        Gauge.builder("outpost.purgeapi.edge.up", up).description("1 while the edge is live (healthy at last contact)")
                .tag("edge", edge).register(registry);
    }

    public void logGauges(Supplier<Number> first, Supplier<Number> last) {
        Gauge.builder("outpost.purgeapi.log.first", first).description("Lowest sequence retained in the log")
                .register(registry);
        Gauge.builder("outpost.purgeapi.log.last", last).description("Highest sequence assigned").register(registry);
    }
}
