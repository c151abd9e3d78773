package dev.outpost.loadtest.scenario;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import dev.outpost.loadtest.origin.SizeMix;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * Scenario 1, hot set: {@code load.users} users (closed loop, one keep-alive connection each) send
 * {@code load.requests} requests for objects drawn from a Zipf distribution
 * ({@code load.zipf-exponent}) over {@code load.objects} objects of mixed sizes
 * ({@code load.size-mix}), starting from an empty cache. The memory tier holds every object, so
 * each object should reach the origin exactly once (checked after the load: no object fetched
 * twice) and every other request should be a hit. Assertions: the error rate
 * ({@code load.max-error-percent}, default 0) and the checks. {@code load.origin-latency} and
 * {@code load.origin-error-rate} make the origin slow or failing (its 500s reach the clients).
 *
 * <p>This is also the smoke scenario of the default build, at a tiny scale (load-tests/pom.xml).
 */
public class HotSetSimulation extends OutpostSimulation {

    private final RequestBudget budget;

    public HotSetSimulation() {
        super("hot-set", "hot set, Zipf over objects of mixed sizes");
        int objects = settings.integer("objects", 10_000);
        String sizeMix = settings.text("size-mix", SizeMix.DEFAULT);
        double exponent = settings.decimal("zipf-exponent", 0.99);
        int users = settings.integer("users", 32);
        budget = new RequestBudget(settings.integer("requests", 200_000), settings.duration("max-duration", "3m"));
        double maxErrorPercent = settings.decimal("max-error-percent", 0);
        long seed = settings.integer("seed", 42);
        // a slow or failing origin on request: its errors reach clients, so raise max-error-percent with them
        env.originArgs("--objects", String.valueOf(objects), "--size-mix", sizeMix,
                "--latency", settings.text("origin-latency", "0"),
                "--error-rate", String.valueOf(settings.decimal("origin-error-rate", 0)));
        edge("1GiB", "8MiB", EDGE_JVM);

        ObjectIds ids = ObjectIds.zipf(objects, exponent, seed);
        ScenarioBuilder load = scenario("hot set")
                .asLongAs(session -> budget.take()).on(feed(ids).exec(measuredGet("object (zipf)", 200)));
        ScenarioBuilder checks = oneUser("checks",
                verify("origin answered each object at most once", originStatsUrl(),
                        jsonPath("$.refetchedObjects").ofLong().is(0L)));

        setUp(load.injectOpen(atOnceUsers(users)).andThen(checks.injectOpen(atOnceUsers(1))))
                .protocols(edgeProtocol())
                .assertions(global().failedRequests().percent().lte(maxErrorPercent),
                        details(VERIFY).successfulRequests().count().is(1L));
    }

    @Override
    protected void describeOutcome(StringBuilder sb, JsonObject originStats, PrometheusText edge) {
        sb.append("Load phase: ").append(budget.describe()).append('\n');
        sb.append("Expected: every object fetched from the origin at most once (the memory tier holds the whole "
                + "catalog); hits = requests - distinct objects requested.\n");
    }
}
