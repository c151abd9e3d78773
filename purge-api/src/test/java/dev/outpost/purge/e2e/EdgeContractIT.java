package dev.outpost.purge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.config.ConfigLoader;
import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.config.PurgeLimitsConfig;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.purge.PurgeCommand;
import dev.outpost.purge.PurgeRequests;
import dev.outpost.purge.fanout.EdgeAnswer;
import dev.outpost.purge.fanout.EdgeClient;
import dev.outpost.purge.log.PurgeEntry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract test of docs/purge-protocol.md: the purge-api's own fan-out client ({@link EdgeClient}) against a
 * real edge-node (in-process, no {@code purge.api-url}): sequenced pushes, duplicates, gaps, the state probe,
 * a refused token, and every shape of purge the purge-api accepts, up to its largest body.
 */
class EdgeContractIT {

    private static final String TOKEN = "contract-token";

    private Vertx vertx;
    private Context context;
    private EdgeClient client;
    private EdgeRuntime edge;
    private EdgeTargetConfig target;

    @BeforeEach
    void start() throws Exception {
        edge = new EdgeRuntime(ConfigLoader.parseEdge("""
                node: {id: edge-contract, region: test}
                server: {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0, token: %s}
                origins: [{host: "*", url: "http://127.0.0.1:9"}]
                """.formatted(TOKEN), Map.of()), Clock.systemUTC()).start().await(30, TimeUnit.SECONDS);
        target = new EdgeTargetConfig("edge-contract", "test", URI.create("http://127.0.0.1:" + edge.adminPort()),
                TOKEN);
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        client = new EdgeClient(vertx, Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        vertx.close().await();
        edge.stop(Duration.ofMillis(200));
    }

    private EdgeAnswer push(long sequence, PurgeCommand command) throws Exception {
        PurgeEntry entry = new PurgeEntry(sequence, "id-" + sequence, command, Instant.now());
        return OnContext.await(context, () -> client.push(target, entry), 10);
    }

    private EdgeClient.Probe probe() throws Exception {
        return OnContext.await(context, () -> client.probe(target), 10);
    }

    private static PurgeCommand parse(String json) throws Exception {
        return new PurgeRequests(new PurgeLimitsConfig(1000 * 1024, 1000, 8192, Duration.ofSeconds(60)))
                .parse(new JsonObject(json));
    }

    @Test
    void sequencedPushesDuplicatesGapsAndTheProbe() throws Exception {
        EdgeClient.Probe before = probe();
        assertNull(before.failure());
        assertEquals("edge-contract", before.state().node());
        assertEquals(0, before.state().lastApplied());

        PurgeCommand all = parse("{\"type\":\"all\"}");
        EdgeAnswer first = push(1, all);
        assertEquals(EdgeAnswer.Kind.APPLIED, first.kind(), String.valueOf(first));
        assertEquals(1, first.lastApplied());
        assertEquals(1, push(1, all).lastApplied(), "a duplicate is harmless");
        EdgeAnswer gap = push(3, all);
        assertEquals(EdgeAnswer.Kind.APPLIED, gap.kind(), "a gap without a feed: applied anyway");
        assertEquals(1, gap.lastApplied(), "lastApplied stays below the gap");
        assertEquals(2, push(2, all).lastApplied());
        assertEquals(2, probe().state().lastApplied());
    }

    @Test
    void everyShapeThePurgeApiAcceptsTheEdgeAccepts() throws Exception {
        String longValue = "http://site.example/" + "p".repeat(8000);
        JsonArray many = new JsonArray();
        for (int i = 0; i < 120; i++) {
            many.add(longValue + i);
        }
        String[] bodies = {
            "{\"type\":\"url\",\"values\":[\"http://site.example/a?b=1\",\"HTTPS://Site.Example:443/x\"]}",
            "{\"type\":\"prefix\",\"values\":[\"http://site.example/img/\"],\"soft\":true}",
            "{\"type\":\"tag\",\"values\":[\"products\",\"a b\"],\"host\":\"site.example:8443\"}",
            "{\"type\":\"tag\",\"values\":[\"" + "t".repeat(8192) + "\"]}",
            "{\"type\":\"all\",\"host\":\"site.example\",\"soft\":true}",
            "{\"type\":\"all\",\"values\":[]}",
            new JsonObject().put("type", "url").put("values", many).encode(), // about 960 KB
        };
        long sequence = 0;
        for (String body : bodies) {
            EdgeAnswer answer = push(++sequence, parse(body));
            assertEquals(EdgeAnswer.Kind.APPLIED, answer.kind(), body.substring(0, Math.min(100, body.length()))
                    + ": " + answer);
            assertEquals(sequence, answer.lastApplied());
        }
    }

    @Test
    void aWrongTokenIsAPermanentRefusal() throws Exception {
        target = new EdgeTargetConfig("edge-contract", "test", target.adminUrl(), "not-the-token");
        EdgeAnswer answer = push(1, parse("{\"type\":\"all\"}"));
        assertEquals(EdgeAnswer.Kind.PERMANENT, answer.kind());
        assertEquals(403, answer.status());
        assertTrue(answer.refusedCredentials());
        assertTrue(answer.error().startsWith("HTTP 403"), answer.error());
        assertEquals(403, probe().failure().status());
    }
}
