package dev.outpost.purge.e2e;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.outpost.config.ConfigLoader;
import dev.outpost.config.testing.FreePorts;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.purge.PurgeApiRuntime;
import dev.outpost.purge.testing.Http;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real purge-api and real edges (in-process {@link EdgeRuntime}s: one memory-only, one with a disk tier whose
 * memory tier keeps only small objects) in front of a WireMock origin, all on loopback ports chosen up front
 * (the purge-api's config names the edges' admin ports, the edges' configs name the purge-api). The edges
 * catch up from the purge-api ({@code purge.api-url}); their periodic poll is 10 minutes so that what a test
 * sees comes from pushes and the protocol's gap and start-up rules.
 */
abstract class EdgeFleetTestBase {

    static final String HOST = "site.example";
    static final String API_TOKEN = "e2e-api-token";
    static final String EDGE_TOKEN = "e2e-edge-token";

    @TempDir
    Path tmp;

    WireMockServer origin;
    Traffic traffic;
    PurgeApiRuntime api;
    int apiPort;
    final Map<String, EdgeSpec> specs = new LinkedHashMap<>();
    final Map<String, EdgeRuntime> edges = new LinkedHashMap<>();

    /** How one edge is configured; kept so it can be restarted with the same ports and store. */
    record EdgeSpec(String id, int adminPort, boolean disk, boolean catchUp) {
    }

    @BeforeEach
    void startFleet() throws Exception {
        origin = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(32)
                .jettyAcceptors(1));
        origin.start();
        traffic = new Traffic();
        apiPort = freePort();
        specs.put("edge-mem", new EdgeSpec("edge-mem", freePort(), false, true));
        specs.put("edge-disk", new EdgeSpec("edge-disk", freePort(), true, true));
        api = startApi();
        for (EdgeSpec spec : specs.values()) {
            startEdge(spec.id());
        }
        awaitEdgesUp();
    }

    @AfterEach
    void stopFleet() {
        edges.values().forEach(e -> e.stop(Duration.ofMillis(200)));
        edges.clear();
        if (api != null) {
            api.stop(Duration.ofMillis(200));
        }
        traffic.close();
        origin.stop();
    }

    static int freePort() throws IOException {
        return FreePorts.loopback(); // below the ephemeral range: see FreePorts
    }

    String apiYaml() {
        StringBuilder edgeList = new StringBuilder();
        for (EdgeSpec s : specs.values()) {
            edgeList.append("  - {id: %s, region: e2e, admin-url: \"http://127.0.0.1:%d\", token: %s}\n"
                    .formatted(s.id(), s.adminPort(), EDGE_TOKEN));
        }
        return """
                server: {host: 127.0.0.1, port: %d}
                auth: {tokens: [{name: e2e, token: %s}]}
                log: {path: "%s"}
                fanout: {timeout: 2s, max-attempts: 3, initial-backoff: 10ms, max-backoff: 100ms, probe-interval: 200ms}
                edges:
                %s""".formatted(apiPort, API_TOKEN, tmp.resolve("purge-log"), edgeList);
    }

    PurgeApiRuntime startApi() throws Exception {
        return new PurgeApiRuntime(ConfigLoader.parsePurgeApi(apiYaml(), Map.of()), Clock.systemUTC())
                .start().await(20, TimeUnit.SECONDS);
    }

    String edgeYaml(EdgeSpec s) {
        String disk = s.disk() ? "\n  disk: {path: \"%s\", max-size: 256MiB}".formatted(tmp.resolve(s.id() + "-disk"))
                : "";
        String purge = s.catchUp()
                ? "purge: {api-url: \"http://127.0.0.1:%d\", api-token: %s, poll-interval: 10m}\n".formatted(apiPort,
                        API_TOKEN)
                : "";
        return """
                node: {id: %s, region: e2e}
                server: {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: %d, token: %s}
                origins: [{host: "*", url: "http://127.0.0.1:%d"}]
                origin-client: {connect-timeout: 1s, first-byte-timeout: 3s}
                cache:
                  memory: {max-size: 32MiB, max-object-size: %s}%s
                %s""".formatted(s.id(), s.adminPort(), EDGE_TOKEN, origin.port(), s.disk() ? "1KiB" : "8MiB", disk,
                purge);
    }

    EdgeRuntime startEdge(String id) throws Exception {
        EdgeRuntime edge = new EdgeRuntime(ConfigLoader.parseEdge(edgeYaml(specs.get(id)), Map.of()),
                Clock.systemUTC()).start().await(30, TimeUnit.SECONDS);
        edges.put(id, edge);
        Http.eventually(Duration.ofSeconds(30), id + " ready", edge::isReady);
        return edge;
    }

    void stopEdge(String id) {
        edges.remove(id).stop(Duration.ofMillis(200));
    }

    void awaitEdgesUp() throws Exception {
        Http.eventually(Duration.ofSeconds(20), "purge-api sees every edge up", () -> apiGet("/v1/edges")
                .getJsonArray("edges").stream().allMatch(e -> ((JsonObject) e).getString("health").equals("up")));
    }

    JsonObject apiGet(String path) throws Exception {
        Http.Response r = Http.get("http://127.0.0.1:" + apiPort + path, API_TOKEN);
        if (r.status() != 200) {
            throw new AssertionError(path + ": " + r);
        }
        return r.json();
    }

    /** POST /v1/purges?wait=10s, asserting 202; the answer. */
    JsonObject purge(String json) throws Exception {
        Http.Response r = Http.post("http://127.0.0.1:" + apiPort + "/v1/purges?wait=10s", API_TOKEN,
                "application/json", json);
        if (r.status() != 202) {
            throw new AssertionError("expected 202, got " + r);
        }
        return r.json();
    }

    Traffic.Response get(String edge, String path, String... headers) throws Exception {
        return traffic.get(edges.get(edge).trafficPort(), HOST, path, headers);
    }

    /** Requests {@code path} until the edge answers a hit (the fill's commit may lag the first answer). */
    void awaitHit(String edge, String path, String... headers) throws Exception {
        Http.eventually(Duration.ofSeconds(10), edge + " hit " + path, () -> get(edge, path, headers).hit());
    }

    /** GET /purge/state of an edge, straight from its admin port. */
    JsonObject edgeState(String id) throws Exception {
        Http.Response r = Http.get("http://127.0.0.1:" + specs.get(id).adminPort() + "/purge/state", EDGE_TOKEN);
        if (r.status() != 200) {
            throw new AssertionError(id + " /purge/state: " + r);
        }
        return r.json();
    }
}
