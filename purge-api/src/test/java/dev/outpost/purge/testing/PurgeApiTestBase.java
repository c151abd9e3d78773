package dev.outpost.purge.testing;

import dev.outpost.config.ConfigLoader;
import dev.outpost.config.PurgeApiConfig;
import dev.outpost.purge.PurgeApiRuntime;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real purge-api (in-process, ephemeral port, RocksDB log in a temp folder, a settable clock) in front of
 * edges given by each test, usually {@link ScriptedEdge}s. Requests go through {@link Http} on real sockets.
 */
public abstract class PurgeApiTestBase {

    public static final String TOKEN = "test-token";

    @TempDir
    protected Path tmp;

    protected final TestTime clock = new TestTime();
    protected final List<ScriptedEdge> edges = new ArrayList<>();
    protected PurgeApiRuntime api;

    @AfterEach
    void stopEverything() {
        stopApi();
        edges.forEach(ScriptedEdge::close);
        edges.clear();
    }

    protected void stopApi() {
        if (api != null) {
            api.stop(Duration.ofMillis(500));
            api = null;
        }
    }

    protected ScriptedEdge scriptedEdge(String id) {
        ScriptedEdge edge = new ScriptedEdge(id, "token-" + id);
        edges.add(edge);
        return edge;
    }

    /** One edge entry of the config. */
    protected static String edgeYaml(String id, String adminUrl, String token) {
        return "  - {id: " + id + ", region: test, admin-url: \"" + adminUrl + "\", token: " + token + "}\n";
    }

    /** The config: the scripted edges plus {@code extraEdges}, fast fan-out settings, and {@code extra} sections. */
    protected String yaml(String extraEdges, String extra) {
        StringBuilder edgeList = new StringBuilder();
        for (ScriptedEdge e : edges) {
            edgeList.append(edgeYaml(e.id, e.adminUrl(), e.token));
        }
        return """
                server: {host: 127.0.0.1, port: 0}
                auth:
                  tokens:
                    - {name: test, token: %s}
                    - {name: other, token: other-token}
                log: {path: "%s"}
                fanout: {timeout: 1s, max-attempts: 4, initial-backoff: 10ms, max-backoff: 50ms, probe-interval: 200ms}
                edges:
                %s%s""".formatted(TOKEN, tmp.resolve("log"), edgeList + extraEdges, extra);
    }

    protected PurgeApiRuntime startApi(String yaml) throws Exception {
        PurgeApiConfig config = ConfigLoader.parsePurgeApi(yaml, Map.of());
        api = new PurgeApiRuntime(config, clock).start().await(20, TimeUnit.SECONDS);
        return api;
    }

    protected String url(String path) {
        return "http://127.0.0.1:" + api.port() + path;
    }

    protected Http.Response post(String path, String json) throws IOException, InterruptedException {
        return Http.post(url(path), TOKEN, "application/json", json);
    }

    protected Http.Response get(String path) throws IOException, InterruptedException {
        return Http.get(url(path), TOKEN);
    }

    /** POST /v1/purges, asserting 202; the answer. */
    protected JsonObject purge(String json) throws IOException, InterruptedException {
        return purge("", json);
    }

    protected JsonObject purge(String query, String json) throws IOException, InterruptedException {
        Http.Response r = post("/v1/purges" + query, json);
        if (r.status() != 202) {
            throw new AssertionError("expected 202, got " + r);
        }
        return r.json();
    }

    /** GET /v1/purges/{id}: the edge entry of {@code edge}. */
    protected JsonObject edgeStatus(String id, String edge) throws IOException, InterruptedException {
        Http.Response r = get("/v1/purges/" + id);
        if (r.status() != 200) {
            throw new AssertionError("expected 200, got " + r);
        }
        for (Object o : r.json().getJsonArray("edges")) {
            JsonObject e = (JsonObject) o;
            if (e.getString("edge").equals(edge)) {
                return e;
            }
        }
        throw new AssertionError("no edge " + edge + " in " + r);
    }
}
