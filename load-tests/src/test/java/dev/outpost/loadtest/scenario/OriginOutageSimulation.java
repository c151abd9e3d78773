package dev.outpost.loadtest.scenario;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import dev.outpost.loadtest.origin.SizeMix;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * Scenario 4, origin outage mid-run. The {@code load.objects} cached objects carry
 * {@code max-age=2, stale-if-error=600} (RFC 5861 §4): they are warmed first (one request each),
 * then {@code load.users} users request them at random for {@code load.duration} while the origin
 * goes down after {@code load.down-after} for {@code load.outage} ({@code /admin/fail}: every answer
 * 503, or with {@code load.outage-mode=close} connections closed). The cached objects go stale during
 * the outage; the edge must keep answering them with the stale copy: no client error for a cached
 * object (assertion), stale responses served and origin requests refused (checks). Alongside, one
 * user asks for objects never cached, which do fail while the origin is down (counted, expected).
 */
public class OriginOutageSimulation extends OutpostSimulation {

    private static final String CACHED = "cached object";
    private static final String UNCACHED = "never-cached object";

    public OriginOutageSimulation() {
        super("origin-outage", "origin outage mid-run, stale-if-error");
        int objects = settings.integer("objects", 1000);
        int users = settings.integer("users", 16);
        Duration duration = settings.duration("duration", "40s");
        Duration downAfter = settings.duration("down-after", "10s");
        Duration outage = settings.duration("outage", "20s");
        String mode = settings.text("outage-mode", "503");
        String cacheControl = settings.text("object-cache-control", "public, max-age=2, stale-if-error=600");
        long seed = settings.integer("seed", 42);
        if (downAfter.plus(outage).compareTo(duration) >= 0) {
            throw new IllegalArgumentException("load.down-after + load.outage must end before load.duration ends");
        }
        env.originArgs("--objects", String.valueOf(2 * objects), "--size-mix",
                        settings.text("size-mix", SizeMix.DEFAULT), "--object-cache-control", cacheControl);
        edge("1GiB", "8MiB", EDGE_JVM);

        RequestBudget warmBudget = new RequestBudget(objects, Duration.ofMinutes(5));
        ScenarioBuilder warm = scenario("warm")
                .asLongAs(session -> warmBudget.take()).on(feed(ObjectIds.cycle(0, objects))
                        .exec(measuredGet("warm-up", 200)));
        ScenarioBuilder load = scenario("cached objects").during(duration, false).on(
                feed(ObjectIds.uniform(objects, seed)).exec(measuredGet(CACHED, 200)));
        ScenarioBuilder newcomers = scenario("never-cached objects").during(duration, false).on(
                feed(ObjectIds.cycle(objects, 2 * objects)).exec(measuredGet(UNCACHED, 200, 502, 503, 504))
                        .pause(Duration.ofMillis(200)));
        ScenarioBuilder outageSwitch = scenario("outage switch").exec(
                pause(downAfter),
                http("origin down").get(env.originUrl() + "/admin/fail?on=true&mode=" + mode).check(status().is(200)),
                pause(outage),
                http("origin up").get(env.originUrl() + "/admin/fail?on=false").check(status().is(200)));
        ScenarioBuilder checks = oneUser("checks",
                verify("edge served stale responses", edgeMetricsUrl(),
                        edgeMetric(m -> m.sum("outpost_stale_served_total")).gt(0.0)),
                verify("origin refused requests while down", originStatsUrl(),
                        jsonPath("$.refusedWhileDown").ofLong().gt(0L)));

        setUp(warm.injectOpen(atOnceUsers(8)).andThen(
                        load.injectOpen(atOnceUsers(users)).andThen(checks.injectOpen(atOnceUsers(1))),
                        newcomers.injectOpen(atOnceUsers(1)),
                        outageSwitch.injectOpen(atOnceUsers(1))))
                .protocols(edgeProtocol())
                .assertions(details(CACHED).failedRequests().count().is(0L),
                        details("warm-up").failedRequests().count().is(0L),
                        global().failedRequests().percent().lte(settings.decimal("max-error-percent", 0)),
                        details(VERIFY).successfulRequests().count().is(2L));
    }

    @Override
    protected void describeOutcome(StringBuilder sb, JsonObject originStats, PrometheusText edge) {
        sb.append("Expected: no error for cached objects (stale copies served while the origin is down: 'stale served'"
                + " above); never-cached objects fail during the outage (their non2xx column).\n");
    }
}
