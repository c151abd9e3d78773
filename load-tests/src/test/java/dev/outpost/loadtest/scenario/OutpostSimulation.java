package dev.outpost.loadtest.scenario;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * What every load scenario shares: its {@link ScenarioEnvironment} (origin and edge processes,
 * started in {@link #before()} and stopped in {@link #after()}), its {@link LoadSettings}, measured
 * requests whose responses are tallied in a {@link LoadReport}, verification requests (checks of
 * the origin's and the edge's counters after the load, in the Gatling group {@value #VERIFY}, so a
 * failed expectation fails the run like any assertion), and the text summary written after the run
 * to {@code target/scenarios/<name>/summary.txt} and next to Gatling's HTML report.
 */
abstract class OutpostSimulation extends Simulation {

    static final String VERIFY = "verify";

    private static final String RESPONSE_TIME = "outpost.responseTime";
    private static final String CACHE_STATUS = "outpost.cacheStatus";
    private static final String STATUS = "outpost.status";

    protected final LoadSettings settings = new LoadSettings();
    protected final LoadReport report = new LoadReport();
    protected final ScenarioEnvironment env;
    private final String title;

    protected OutpostSimulation(String name, String title) {
        this.env = new ScenarioEnvironment(name);
        this.title = title;
    }

    /** The edge's JVM options unless {@code load.edge-jvm} says otherwise: the memory tier's bodies are off-heap. */
    static final String EDGE_JVM = "-Xms256m -Xmx1g -XX:MaxDirectMemorySize=2g -XX:+UseParallelGC";

    /**
     * The edge's memory tier ({@code load.edge-memory}, objects up to {@code maxObjectSize}) and JVM
     * options ({@code load.edge-jvm}) from the settings, with these defaults.
     */
    protected ScenarioEnvironment edge(String memoryDefault, String maxObjectSize, String jvmDefault) {
        return env.memory(settings.text("edge-memory", memoryDefault), maxObjectSize)
                .edgeJvm(settings.text("edge-jvm", jvmDefault));
    }

    /** HTTP through the edge: Gatling's browser cache emulation off (the edge is the cache under test). */
    protected HttpProtocolBuilder edgeProtocol() {
        return http.baseUrl(env.edgeUrl()).disableCaching().disableWarmUp().userAgentHeader("outpost-load-tests");
    }

    /**
     * A measured {@code GET /obj/#{id}} through the edge: see {@link #measured}; Gatling counts it
     * failed unless the status is one of {@code okStatuses}.
     */
    protected ChainBuilder measuredGet(String requestName, Integer... okStatuses) {
        return measured(requestName, http(requestName).get("/obj/#{" + ObjectIds.ATTRIBUTE + "}"),
                status().in(okStatuses));
    }

    /**
     * {@code request} with {@code checks}, its status, response time and Cache-Status recorded in the
     * report under {@code requestName} (extracted before the checks run, so failed requests are
     * recorded too).
     */
    protected ChainBuilder measured(String requestName, HttpRequestActionBuilder request, CheckBuilder... checks) {
        return exec(request
                .check(responseTimeInMillis().saveAs(RESPONSE_TIME),
                        header("Cache-Status").optional().saveAs(CACHE_STATUS),
                        status().saveAs(STATUS))
                .check(checks))
                .exec(session -> record(requestName, session));
    }

    private Session record(String requestName, Session session) {
        report.record(requestName,
                session.contains(STATUS) ? session.getInt(STATUS) : null,
                session.contains(RESPONSE_TIME) ? session.getInt(RESPONSE_TIME) : null,
                session.contains(CACHE_STATUS) ? session.getString(CACHE_STATUS) : null);
        return session.removeAll(STATUS, RESPONSE_TIME, CACHE_STATUS);
    }

    /** One verification request: GET {@code url} (absolute) in the group {@value #VERIFY}, with {@code checks}. */
    protected static ChainBuilder verify(String description, String url, CheckBuilder... checks) {
        return verify(http(description).get(url).check(checks));
    }

    /** One verification request (with its checks) in the group {@value #VERIFY}. */
    protected static ChainBuilder verify(HttpRequestActionBuilder request) {
        return group(VERIFY).on(exec(request));
    }

    /** A check of a number in the edge's {@code /metrics} (use with {@link #verify} on {@link #edgeMetricsUrl()}). */
    protected static CheckBuilder.Validate<Double> edgeMetric(ToDoubleFunction<PrometheusText> metric) {
        return bodyString().transform(text -> metric.applyAsDouble(PrometheusText.parse(text)));
    }

    protected String edgeMetricsUrl() {
        return env.edgeAdminUrl() + "/metrics";
    }

    protected String originStatsUrl() {
        return env.originUrl() + "/admin/stats";
    }

    /** A one-user scenario running {@code steps} (checks after the load, switching the origin, ...). */
    protected static ScenarioBuilder oneUser(String name, ChainBuilder... steps) {
        return scenario(name).exec(Arrays.asList(steps));
    }

    @Override
    public void before() {
        System.out.println("Outpost scenario " + env.name() + ": starting the origin and the edge; logs in "
                + env.directory());
        env.start();
    }

    @Override
    public void after() {
        try {
            String summary = summary();
            System.out.println();
            System.out.println(summary);
            Files.writeString(env.directory().resolve("summary.txt"), summary);
            Optional<Path> gatlingRun = latestGatlingRun();
            if (gatlingRun.isPresent()) {
                Files.writeString(gatlingRun.get().resolve("summary.txt"), summary);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("Outpost scenario " + env.name() + ": could not write the summary: " + e);
        } finally {
            env.close();
        }
    }

    /** Extra lines of a scenario's summary (what it expects and what it saw); none by default. */
    protected void describeOutcome(StringBuilder sb, JsonObject originStats, PrometheusText edge) {
    }

    String summary() {
        JsonObject origin = new JsonObject(env.get(originStatsUrl()));
        PrometheusText edge = PrometheusText.parse(env.get(edgeMetricsUrl()));
        StringBuilder sb = new StringBuilder();
        sb.append("## Outpost load scenario: ").append(title).append(" (").append(getClass().getSimpleName())
                .append(")\n\n");
        sb.append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, ")
                .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(", Java ").append(System.getProperty("java.version"))
                .append("; load generator, origin and edge share this machine (loopback)\n");
        sb.append("settings:");
        settings.used().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        sb.append("\n\n").append(report.table()).append('\n');

        long originAnswers = origin.getLong("full") + origin.getLong("notModified");
        sb.append(String.format(Locale.ROOT, "Origin (/admin/stats): %d object requests (200: %d, 304: %d, injected "
                        + "500: %d), %d distinct objects, %d fetched more than once (at most %d times), %d refused "
                        + "while down%n",
                origin.getLong("requests"), origin.getLong("full"), origin.getLong("notModified"),
                origin.getLong("injectedErrors"), origin.getLong("distinctObjects"), origin.getLong("refetchedObjects"),
                origin.getLong("maxAnswersPerObject"), origin.getLong("refusedWhileDown")));
        sb.append(String.format(Locale.ROOT, "Edge (/metrics): %.0f origin fetches, %.0f origin errors, %.0f collapsed "
                        + "waits (%.0f read along), %.0f fills whose client fell behind, %.0f storage read failures, "
                        + "%.0f stale served; requests by cache %s; memory tier %.0f objects, %.1f MiB",
                edge.sum("outpost_origin_latency_seconds_count"), edge.sum("outpost_origin_errors_total"),
                edge.sum("outpost_collapsed_waits_total"), edge.sum("outpost_collapsed_read_alongs_total"),
                edge.sum("outpost_fills_client_behind_total"), edge.sum("outpost_cache_read_failures_total"),
                edge.sum("outpost_stale_served_total"),
                nonZero(edge.sumBy("outpost_requests_total", "cache")),
                edge.sum("outpost_cache_entries", "tier", "memory"),
                edge.sum("outpost_cache_bytes", "tier", "memory") / (1 << 20)));
        if (edge.sum("outpost_cache_entries", "tier", "disk") > 0) {
            // what turns a stored object into a miss (a second origin fetch): a lookup past its deadline, an
            // object the disk did not take (write failures, queue overflows, space refusals), an eviction
            sb.append(String.format(Locale.ROOT, "; disk tier %.0f objects, %.1f MiB, %.0f lookups past their "
                            + "deadline (served as misses), %.0f objects not written, %.0f evictions",
                    edge.sum("outpost_cache_entries", "tier", "disk"),
                    edge.sum("outpost_cache_bytes", "tier", "disk") / (1 << 20),
                    edge.sum("outpost_cache_lookup_timeouts_total", "tier", "disk"),
                    edge.sum("outpost_cache_write_failures_total", "tier", "disk"),
                    edge.sum("outpost_cache_evictions_total", "tier", "disk")));
        }
        sb.append('\n');
        long measured = report.throughEdge().count();
        if (measured > 0) {
            sb.append(String.format(Locale.ROOT, "Origin offload: %.2f %% of measured requests through the edge caused no origin "
                    + "request (1 - %d origin answers / %d requests)%n", 100.0 * (1 - (double) originAnswers / measured),
                    originAnswers, measured));
        }
        describeOutcome(sb, origin, edge);
        latestGatlingRun().ifPresent(run -> sb.append("Gatling HTML report: ")
                .append(env.repository().relativize(run.resolve("index.html"))).append('\n'));
        sb.append("Latencies are Gatling's (whole milliseconds); logs and the edge config: ")
                .append(env.repository().relativize(env.directory())).append('\n');
        return sb.toString();
    }

    private static String nonZero(java.util.Map<String, Double> byLabel) {
        StringBuilder sb = new StringBuilder("{");
        byLabel.forEach((k, v) -> {
            if (v > 0) {
                sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(String.format(Locale.ROOT, "%.0f", v));
            }
        });
        return sb.append('}').toString();
    }

    /** The newest Gatling results folder of this simulation (Gatling creates it when the run starts). */
    private Optional<Path> latestGatlingRun() {
        Path results = env.repository().resolve("load-tests/target/gatling");
        String prefix = getClass().getSimpleName().toLowerCase(Locale.ROOT) + "-";
        if (!Files.isDirectory(results)) {
            return Optional.empty();
        }
        try (Stream<Path> runs = Files.list(results)) {
            return runs.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
