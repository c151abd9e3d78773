package dev.outpost.loadtest.scenario;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import dev.outpost.loadtest.origin.SizeMix;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Choice;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Scenario 3, purge storm: {@code load.users} users request objects (Zipf over {@code load.objects})
 * for {@code load.duration} while {@code load.purgers} clients send purges through purge-api
 * ({@code POST /v1/purges?wait=5s}, ARCHITECTURE §5), each {@code load.purge-pause} apart: URL purges
 * of objects drawn from the same Zipf law (so purged objects are hot and come back from the origin)
 * and, one in {@code load.tag-purge-share}, tag purges of one of the origin's {@code g<n>} groups
 * (Surrogate-Key). purge-api pushes each to the edge ({@code docs/purge-protocol.md}); the
 * {@code ?wait} answer comes once the edge applied it, so Gatling's response times of the purge
 * requests are accept-to-applied latencies. Assertions: no client error while purging, every purge
 * accepted and applied; checks after the load: purge-api's record of the edge has every purge
 * applied, the edge counted the purges, and purged objects were fetched again from the origin.
 */
public class PurgeStormSimulation extends OutpostSimulation {

    private static final String OBJECTS = "object (zipf)";
    private static final String URL_PURGE = "purge url (until applied)";
    private static final String TAG_PURGE = "purge tag (until applied)";
    private static final String PURGE_STATUS = "outpost.purgeStatus";

    private final AtomicLong purgesApplied = new AtomicLong();

    public PurgeStormSimulation() {
        super("purge-storm", "purge storm through purge-api while serving");
        int objects = settings.integer("objects", 10_000);
        int users = settings.integer("users", 16);
        int purgers = settings.integer("purgers", 4);
        Duration duration = settings.duration("duration", "40s");
        Duration purgePause = settings.duration("purge-pause", "50ms");
        double tagShare = settings.decimal("tag-purge-share", 0.2);
        int tagGroups = settings.integer("tag-groups", 100);
        double exponent = settings.decimal("zipf-exponent", 0.99);
        long seed = settings.integer("seed", 42);
        env.originArgs("--objects", String.valueOf(objects), "--size-mix", settings.text("size-mix", SizeMix.DEFAULT),
                        "--tag-groups", String.valueOf(tagGroups));
        edge("1GiB", "8MiB", EDGE_JVM).withPurgeApi();

        ScenarioBuilder load = scenario("objects").during(duration, false).on(
                feed(ObjectIds.zipf(objects, exponent, seed)).exec(measuredGet(OBJECTS, 200)));
        ObjectIds purgedIds = ObjectIds.zipf(objects, exponent, seed + 1);
        ObjectIds purgedGroups = ObjectIds.uniform(tagGroups, seed + 2);
        String edge = env.edgeUrl();
        ChainBuilder urlPurge = purge(URL_PURGE,
                session -> "{\"type\":\"url\",\"values\":[\"" + edge + "/obj/" + purgedIds.nextId() + "\"]}");
        ChainBuilder tagPurge = purge(TAG_PURGE,
                session -> "{\"type\":\"tag\",\"values\":[\"g" + purgedGroups.nextId() + "\"]}");
        // exitASAP false: an iteration always finishes, so every purge sent is also counted
        ScenarioBuilder storm = scenario("purges").during(duration, false).on(
                randomSwitch().on(new Choice.WithWeight(100 * tagShare, tagPurge),
                                new Choice.WithWeight(100 * (1 - tagShare), urlPurge))
                        .exec(session -> {
                            if ("applied".equals(session.getString(PURGE_STATUS))) {
                                purgesApplied.incrementAndGet();
                            }
                            return session.remove(PURGE_STATUS);
                        })
                        .pause(purgePause));
        ScenarioBuilder checks = oneUser("checks",
                verify(http("purge-api: the edge applied every purge").get(env.purgeApiUrl() + "/v1/edges")
                        .header("Authorization", "Bearer " + ScenarioEnvironment.PURGE_TOKEN)
                        .check(jsonPath("$.edges[0].lastApplied").ofLong().is(session -> purgesApplied.get()))),
                verify("edge counted purges", edgeMetricsUrl(),
                        edgeMetric(m -> m.sum("outpost_purges_total")).gt(0.0)),
                verify("purged objects were fetched again", originStatsUrl(),
                        jsonPath("$.refetchedObjects").ofLong().gt(0L)));

        // the checks follow the purges (all answered by then), while the last object requests may still run
        setUp(load.injectOpen(atOnceUsers(users)),
                storm.injectOpen(atOnceUsers(purgers)).andThen(checks.injectOpen(atOnceUsers(1))))
                .protocols(edgeProtocol())
                .assertions(details(OBJECTS).failedRequests().count().is(0L),
                        global().failedRequests().percent().lte(settings.decimal("max-error-percent", 0)),
                        details(VERIFY).successfulRequests().count().is(3L));
    }

    /**
     * {@code POST /v1/purges?wait=5s} to purge-api with the bearer token, measured: 202 once durable,
     * and with {@code ?wait} only once the edge applied it (status {@code applied}; {@code pending}
     * would mean the wait ran out).
     */
    private ChainBuilder purge(String name, Function<Session, String> body) {
        return measured(name, http(name).post(env.purgeApiUrl() + "/v1/purges?wait=5s")
                        .header("Authorization", "Bearer " + ScenarioEnvironment.PURGE_TOKEN)
                        .header("Content-Type", "application/json")
                        .body(StringBody(body)),
                status().is(202), jsonPath("$.status").is("applied").saveAs(PURGE_STATUS));
    }

    @Override
    protected void describeOutcome(StringBuilder sb, JsonObject originStats, PrometheusText edge) {
        sb.append(String.format(Locale.ROOT, "Purges: %d applied (accept-to-applied latency: the purge rows' response "
                        + "times); the edge counted %s; objects purged: %.0f%n", purgesApplied.get(),
                edge.sumBy("outpost_purges_total", "type"), edge.sum("outpost_purged_objects_total")));
        sb.append("Expected: no client error while purging; purged hot objects fetched again (refetched objects "
                + "above).\n");
    }
}
