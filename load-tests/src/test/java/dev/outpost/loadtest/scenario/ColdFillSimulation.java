package dev.outpost.loadtest.scenario;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import dev.outpost.loadtest.origin.SizeMix;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * Scenario 2, cold fill with concurrency on the same keys: {@code load.users} users start together
 * against an empty cache and each walks the same {@code load.objects} objects in the same order, so
 * up to {@code users} requests for one object arrive while the origin (slowed by
 * {@code load.origin-latency}) is still answering the first. Request collapsing should turn them into
 * one origin request per object: checked after the load, the origin answered every object and at
 * most {@code load.max-extra-fetch-percent} (default 0) more requests than there are objects.
 */
public class ColdFillSimulation extends OutpostSimulation {

    private static final String COUNTER = "n";

    private final RequestBudget budget;
    private final int objects;
    private final int users;

    public ColdFillSimulation() {
        super("cold-fill", "cold fill, concurrent requests for the same keys (collapsing)");
        objects = settings.integer("objects", 500);
        users = settings.integer("users", 40);
        String sizeMix = settings.text("size-mix", SizeMix.DEFAULT);
        String latency = settings.text("origin-latency", "20-30");
        budget = new RequestBudget((long) users * objects, settings.duration("max-duration", "3m"));
        double maxErrorPercent = settings.decimal("max-error-percent", 0);
        double maxExtraFetchPercent = settings.decimal("max-extra-fetch-percent", 0);
        env.originArgs("--objects", String.valueOf(objects), "--size-mix", sizeMix, "--latency", latency);
        edge("1GiB", "8MiB", EDGE_JVM);

        // every user requests object 0, 1, 2, ... in turn: the users stay together, waiting on the same fill
        ScenarioBuilder fill = scenario("cold fill").asLongAs(session -> budget.take(), COUNTER).on(
                exec(session -> session.set(ObjectIds.ATTRIBUTE, session.getInt(COUNTER) % objects))
                        .exec(measuredGet("object (same order, all users)", 200)));
        long maxOriginRequests = objects + (long) Math.floor(objects * maxExtraFetchPercent / 100);
        ScenarioBuilder checks = oneUser("checks",
                verify("origin answered every object", originStatsUrl(),
                        jsonPath("$.distinctObjects").ofLong().is((long) objects)),
                verify("origin requests at most objects + " + maxExtraFetchPercent + " %", originStatsUrl(),
                        jsonPath("$.requests").ofLong().lte(maxOriginRequests)));

        setUp(fill.injectOpen(atOnceUsers(users)).andThen(checks.injectOpen(atOnceUsers(1))))
                .protocols(edgeProtocol())
                .assertions(global().failedRequests().percent().lte(maxErrorPercent),
                        details(VERIFY).successfulRequests().count().is(2L));
    }

    @Override
    protected void describeOutcome(StringBuilder sb, JsonObject originStats, PrometheusText edge) {
        sb.append("Load phase: ").append(budget.describe()).append('\n');
        long requests = originStats.getLong("requests");
        sb.append(String.format(Locale.ROOT, "Collapsing: %d users x %d objects; origin requests / distinct objects = "
                        + "%d / %d = %.3f (1.000 = one origin request per object)%n", users, objects, requests,
                originStats.getLong("distinctObjects"),
                requests / (double) Math.max(1, originStats.getLong("distinctObjects"))));
    }
}
