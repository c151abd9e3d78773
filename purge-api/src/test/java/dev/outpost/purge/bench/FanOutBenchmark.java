package dev.outpost.purge.bench;

import dev.outpost.config.ConfigLoader;
import dev.outpost.config.testing.FreePorts;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.purge.PurgeApiRuntime;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accept-to-all-applied latency and sustained purges/s of a real purge-api fanning out to N real edges (in-process
 * {@link EdgeRuntime}s, memory tier, catching up from the purge-api), all on loopback in one JVM. Not a test (not
 * run by the suite); run it from the repository root:
 *
 * <pre>
 * ./mvnw -B -q -pl purge-api -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/purge-cp.txt \
 *     -Dmdep.includeScope=test
 * java -cp purge-api/target/test-classes:purge-api/target/classes:$(cat /tmp/purge-cp.txt) \
 *     dev.outpost.purge.bench.FanOutBenchmark [edges=20] [latencyPurges=500] [seconds=10] [concurrency=8]
 * </pre>
 *
 * <ol>
 * <li>Latency: {@code latencyPurges} purges one after the other, each {@code POST /v1/purges?wait=5s}; the time
 *     of each request is accept (durable, fsync) plus delivery to every edge, as a client sees it. p50/p99.</li>
 * <li>Throughput: {@code concurrency} clients post purges back to back (no wait) for {@code seconds}; then the
 *     time until every edge has applied the last one. Sustained rate = purges / time to all applied.</li>
 * </ol>
 * The numbers are indicative: load generator, purge-api and every edge share the machine's cores.
 */
public final class FanOutBenchmark {

    private static final String TOKEN = "bench-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private FanOutBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int edgeCount = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int latencyPurges = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        Path dir = Files.createTempDirectory("outpost-purge-bench");
        int apiPort = freePort();
        int[] adminPorts = new int[edgeCount];
        StringBuilder edgesYaml = new StringBuilder();
        for (int i = 0; i < edgeCount; i++) {
            adminPorts[i] = freePort();
            edgesYaml.append("  - {id: edge-%02d, region: bench, admin-url: \"http://127.0.0.1:%d\", token: edge-token}\n"
                    .formatted(i, adminPorts[i]));
        }
        PurgeApiRuntime api = new PurgeApiRuntime(ConfigLoader.parsePurgeApi("""
                server: {host: 127.0.0.1, port: %d}
                auth: {tokens: [{name: bench, token: %s}]}
                log: {path: "%s"}
                fanout: {timeout: 2s, max-attempts: unbounded, initial-backoff: 10ms, max-backoff: 500ms,
                         probe-interval: 1s}
                edges:
                %s""".formatted(apiPort, TOKEN, dir.resolve("log"), edgesYaml), Map.of()), Clock.systemUTC())
                .start().await(30, TimeUnit.SECONDS);
        List<EdgeRuntime> edges = new ArrayList<>();
        try {
            for (int i = 0; i < edgeCount; i++) {
                edges.add(new EdgeRuntime(ConfigLoader.parseEdge("""
                        node: {id: edge-%02d, region: bench}
                        server: {host: 127.0.0.1, port: 0}
                        admin: {host: 127.0.0.1, port: %d, token: edge-token}
                        origins: [{host: "*", url: "http://127.0.0.1:9"}]
                        cache: {memory: {max-size: 16MiB, max-object-size: 1MiB}}
                        purge: {api-url: "http://127.0.0.1:%d", api-token: %s}
                        """.formatted(i, adminPorts[i], apiPort, TOKEN), Map.of()), Clock.systemUTC())
                        .start().await(30, TimeUnit.SECONDS));
            }
            String base = "http://127.0.0.1:" + apiPort;
            awaitAllUp(base, edgeCount);
            System.out.printf("purge-api + %d edges on loopback, %d cores%n", edgeCount,
                    Runtime.getRuntime().availableProcessors());

            for (int i = 0; i < 100; i++) { // warm-up
                post(base + "/v1/purges?wait=5s", i);
            }
            long[] nanos = new long[latencyPurges];
            int lagging = 0;
            for (int i = 0; i < latencyPurges; i++) {
                long t0 = System.nanoTime();
                JsonObject answer = post(base + "/v1/purges?wait=5s", i);
                nanos[i] = System.nanoTime() - t0;
                lagging += answer.getString("status").equals("applied") ? 0 : 1;
            }
            Arrays.sort(nanos);
            System.out.printf("accept-to-all-applied (POST ?wait, sequential, %d purges): p50 %.1f ms, p90 %.1f ms, "
                    + "p99 %.1f ms, max %.1f ms; not applied everywhere within the wait: %d%n", latencyPurges,
                    ms(nanos, 0.50), ms(nanos, 0.90), ms(nanos, 0.99), nanos[nanos.length - 1] / 1e6, lagging);

            AtomicLong accepted = new AtomicLong();
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                Thread t = new Thread(() -> {
                    int i = 0;
                    while (System.nanoTime() < end) {
                        try {
                            post(base + "/v1/purges", i++);
                            accepted.incrementAndGet();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                });
                t.start();
                clients.add(t);
            }
            for (Thread t : clients) {
                t.join();
            }
            long acceptNanos = System.nanoTime() - start;
            long last = api.log().last();
            while (minLastApplied(base) < last) {
                Thread.sleep(5);
            }
            long allNanos = System.nanoTime() - start;
            System.out.printf("throughput (%d clients, %d s): %d purges accepted, %.0f/s accepted, all applied on "
                    + "every edge after %.2f s: %.0f purges/s sustained (%.0f pushes/s)%n", concurrency, seconds,
                    accepted.get(), accepted.get() / (acceptNanos / 1e9), allNanos / 1e9,
                    accepted.get() / (allNanos / 1e9), accepted.get() * edgeCount / (allNanos / 1e9));
        } finally {
            edges.forEach(e -> e.stop(Duration.ofMillis(200)));
            api.stop(Duration.ofMillis(200));
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static JsonObject post(String url, int i) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"url\",\"values\":[\"http://site.example/p/" + i
                        + "\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            throw new IllegalStateException("POST answered " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    private static JsonObject edges(String base) throws Exception {
        return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/edges"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static long minLastApplied(String base) throws Exception {
        return edges(base).getJsonArray("edges").stream().mapToLong(e -> ((JsonObject) e).getLong("lastApplied"))
                .min().orElse(0);
    }

    private static void awaitAllUp(String base, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            long up = edges(base).getJsonArray("edges").stream()
                    .filter(e -> ((JsonObject) e).getString("health").equals("up")).count();
            if (up == count) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("not every edge is up after 60 s: " + edges(base).encodePrettily());
    }

    private static int freePort() throws Exception {
        return FreePorts.loopback(); // below the ephemeral range: see FreePorts
    }
}
