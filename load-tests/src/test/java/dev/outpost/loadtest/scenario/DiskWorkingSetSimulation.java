package dev.outpost.loadtest.scenario;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Locale;

/**
 * Scenario 5, working set larger than memory: an edge with a small memory tier
 * ({@code load.edge-memory}, default 16MiB) and a disk tier ({@code load.edge-disk}) is filled with
 * {@code load.objects} objects (default 4000 of 4 KiB-256 KiB, about 200 MiB: over ten times the
 * memory), one request each, then {@code load.users} users read {@code load.requests} objects drawn
 * uniformly from all of them, so most reads miss memory and must come from disk. Checked after the
 * load: no object was fetched from the origin twice (the disk kept everything the fill stored) and
 * the disk tier served hits.
 */
public class DiskWorkingSetSimulation extends OutpostSimulation {

    private final RequestBudget readBudget;
    private final int objects;

    public DiskWorkingSetSimulation() {
        super("disk-working-set", "working set larger than memory, disk tier");
        objects = settings.integer("objects", 4000);
        int users = settings.integer("users", 16);
        readBudget = new RequestBudget(settings.integer("requests", 40_000), settings.duration("max-duration", "3m"));
        long seed = settings.integer("seed", 42);
        env.originArgs("--objects", String.valueOf(objects),
                        "--size-mix", settings.text("size-mix", "4KiB-64KiB:80,64KiB-256KiB:20"))
                .disk(settings.text("edge-disk", "2GiB"));
        edge("16MiB", "1MiB", "-Xms256m -Xmx512m -XX:+UseParallelGC");

        RequestBudget fillBudget = new RequestBudget(objects, Duration.ofMinutes(5));
        ScenarioBuilder fill = scenario("fill")
                .asLongAs(session -> fillBudget.take()).on(feed(ObjectIds.cycle(0, objects)).exec(measuredGet("fill", 200)));
        ScenarioBuilder read = scenario("read")
                .asLongAs(session -> readBudget.take()).on(feed(ObjectIds.uniform(objects, seed))
                        .exec(measuredGet("read (uniform, all objects)", 200)));
        ScenarioBuilder checks = oneUser("checks",
                verify("origin answered each object at most once", originStatsUrl(),
                        jsonPath("$.refetchedObjects").ofLong().is(0L)),
                verify("disk tier served hits", edgeMetricsUrl(),
                        edgeMetric(m -> m.sum("outpost_requests_total", "cache", "hit", "tier", "disk")).gt(0.0)));

        setUp(fill.injectOpen(atOnceUsers(8)).andThen(
                        read.injectOpen(atOnceUsers(users)).andThen(checks.injectOpen(atOnceUsers(1)))))
                .protocols(edgeProtocol())
                .assertions(global().failedRequests().percent().lte(settings.decimal("max-error-percent", 0)),
                        details(VERIFY).successfulRequests().count().is(2L));
    }

    @Override
    protected void describeOutcome(StringBuilder sb, JsonObject originStats, PrometheusText edge) {
        sb.append("Read phase: ").append(readBudget.describe()).append('\n');
        double memory = edge.sum("outpost_requests_total", "cache", "hit", "tier", "memory");
        double disk = edge.sum("outpost_requests_total", "cache", "hit", "tier", "disk");
        sb.append(String.format(Locale.ROOT, "Hits by tier (edge, whole run): memory %.0f, disk %.0f (%.1f %% from disk); "
                        + "%d objects, %.1f MiB sent by the origin%n", memory, disk, 100 * disk / Math.max(1, memory + disk),
                objects, originStats.getLong("bytesSent") / 1048576.0));
        String read = "outpost_cache_disk_read_seconds";
        sb.append(String.format(Locale.ROOT, "Disk chunk reads (edge histogram): %.0f, mean %.3f ms, p99 <= %.3f ms%n",
                edge.sum(read + "_count"), 1000 * edge.sum(read + "_sum") / Math.max(1, edge.sum(read + "_count")),
                1000 * edge.histogramQuantile(read, 0.99)));
    }
}
