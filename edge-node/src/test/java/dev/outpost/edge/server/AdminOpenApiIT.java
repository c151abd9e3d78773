package dev.outpost.edge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.purge.PurgeEndpoint;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The edge's admin contract ({@code admin-openapi.yaml}, docs/purge-protocol.md) against the real
 * answers of a running edge, checked with Vert.x's OpenAPI validator (status codes, content types and
 * bodies per operation). purge-api's contract test drives the same endpoints from the other side.
 */
class AdminOpenApiIT extends EdgeTestBase {

    private static final String TOKEN = "openapi-admin-token";
    private Vertx vertx;
    private OpenAPIContract contract;
    private ResponseValidator validator;

    @Override
    protected String edgeYaml() {
        return super.edgeYaml().replace("admin:\n  host: 127.0.0.1\n", "admin:\n  host: 127.0.0.1\n  token: " + TOKEN + "\n");
    }

    @BeforeEach
    void loadContract() throws Exception {
        vertx = Vertx.vertx();
        Path file = Path.of("src/main/resources/admin-openapi.yaml");
        contract = OpenAPIContract.from(vertx, file.toAbsolutePath().toString())
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        validator = ResponseValidator.create(vertx, contract);
    }

    @AfterEach
    void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void check(String operationId, RawHttp.Response r) throws Exception {
        ValidatableResponse response = ValidatableResponse.create(r.status(), Map.of(), Buffer.buffer(r.body()),
                r.header("Content-Type"));
        try {
            validator.validate(response, operationId).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(operationId + " answered " + r.status() + " " + r.text()
                    + " which the contract does not allow: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private RawHttp.Response post(String body, String contentType, String... headers) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("POST " + PurgeEndpoint.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        sb.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(bytes.length)
                .append("\r\nConnection: close\r\n\r\n").append(body);
        return RawHttp.exchange(edge.adminPort(), sb.toString());
    }

    private RawHttp.Response admin(String path, String... headers) throws Exception {
        return RawHttp.get(edge.adminPort(), "127.0.0.1", path, headers);
    }

    private static final String AUTH = "Authorization: Bearer " + TOKEN;

    @Test
    void everyAnswerOfTheAdminPortIsInTheContract() throws Exception {
        RawHttp.Response metrics = admin("/metrics");
        // the validator reads JSON (and a few other) bodies, not Prometheus text: status and media type
        var documented = contract.operation("getMetrics").getResponse(metrics.status());
        assertTrue(documented != null && documented.getContent().containsKey(
                metrics.header("Content-Type").split(";")[0]), "getMetrics " + metrics.status() + " "
                + metrics.header("Content-Type"));
        check("getHealth", admin("/healthz"));
        RawHttp.Response ready = admin("/readyz");
        assertEquals(200, ready.status());
        check("getReady", ready);

        RawHttp.Response sequenced = post("{\"type\":\"url\",\"values\":[\"http://site.example/a\"],\"sequence\":1,"
                + "\"id\":\"p-1\"}", "application/json", AUTH);
        assertEquals(200, sequenced.status());
        check("postPurge", sequenced);
        RawHttp.Response manual = post("{\"type\":\"all\",\"host\":\"site.example\",\"soft\":true}",
                "application/json", AUTH);
        assertEquals(200, manual.status());
        assertTrue(manual.text().contains("\"sequence\":null"), manual.text());
        check("postPurge", manual);
        for (RawHttp.Response refused : new RawHttp.Response[] {
            post("{\"type\":\"all\"}", "application/json"),
            post("{\"type\":\"all\"}", "application/json", "Authorization: Bearer wrong"),
            post("{\"type\":\"all\"}", "text/plain", AUTH),
            post("{\"type\":\"nope\"}", "application/json", AUTH),
            post("{\"type\":\"all\",\"sequence\":0}", "application/json", AUTH),
        }) {
            assertTrue(refused.status() >= 400, refused.text());
            check("postPurge", refused);
        }
        RawHttp.Response tooLarge = post("{\"type\":\"tag\",\"values\":[\""
                + "x".repeat((int) PurgeEndpoint.MAX_BODY_BYTES) + "\"]}", "application/json", AUTH);
        assertEquals(413, tooLarge.status());
        check("postPurge", tooLarge);

        RawHttp.Response state = admin("/purge/state", AUTH);
        assertEquals(200, state.status());
        check("getPurgeState", state);
        check("getPurgeState", admin("/purge/state"));
        check("getPurgeState", admin("/purge/state", "Authorization: Bearer wrong"));
    }

    @Test
    void theValidatorRejectsWhatTheContractDoesNotSay() throws Exception {
        RawHttp.Response state = admin("/purge/state", AUTH);
        RawHttp.Response teapot = new RawHttp.Response(418, state.headers(), state.body(), false);
        assertThrows(AssertionError.class, () -> check("getPurgeState", teapot), "an undocumented status");
        RawHttp.Response missingField = new RawHttp.Response(200, state.headers(),
                "{\"node\":\"edge-test-1\",\"caughtUp\":true}".getBytes(StandardCharsets.UTF_8), false);
        assertThrows(AssertionError.class, () -> check("getPurgeState", missingField), "lastApplied is required");
    }

    /** 503 from /readyz with its reason, and from POST /purge while the edge shuts down. */
    @Test
    void notReadyAndShuttingDownAnswersAreInTheContract() throws Exception {
        String fencedYaml = withDiskTier(edgeYaml(), diskDir("outpost-openapi-it"), "8MiB")
                + "purge:\n  api-url: http://127.0.0.1:" + EdgeProcesses.freePort() + "\n  api-token: t\n";
        EdgeRuntime fenced = startEdge(fencedYaml);
        // a disk store with a recorded sequence catches up before it is ready; the feed is unreachable
        fenced.disk().recordPurgeSequence(5).join();
        fenced.stop(Duration.ZERO);
        fenced = startEdge(fencedYaml);
        try {
            RawHttp.Response notReady = RawHttp.get(fenced.adminPort(), "127.0.0.1", "/readyz");
            assertEquals(503, notReady.status());
            check("getReady", notReady);
        } finally {
            fenced.stop(Duration.ZERO);
        }
        edge.sequencer().close(); // what stop() does before the storage closes
        RawHttp.Response closing = post("{\"type\":\"all\"}", "application/json", AUTH);
        assertEquals(503, closing.status(), closing.text());
        check("postPurge", closing);
    }
}
