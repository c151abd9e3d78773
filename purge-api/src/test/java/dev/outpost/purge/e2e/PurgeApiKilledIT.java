package dev.outpost.purge.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.purge.PurgeApiRuntime;
import dev.outpost.purge.testing.Http;
import dev.outpost.purge.testing.PurgeApiProcesses;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The purge-api as a process, killed with SIGKILL in the middle of a fan-out and restarted: every edge still
 * gets every purge. One edge ({@code edge-push}) has no {@code purge.api-url}, so pushes are its only source:
 * what it gets after the restart is what the purge-api resumed.
 */
class PurgeApiKilledIT extends EdgeFleetTestBase {

    private Process process;

    @Override
    PurgeApiRuntime startApi() throws Exception {
        specs.remove("edge-disk");
        specs.put("edge-push", new EdgeSpec("edge-push", freePort(), false, false));
        launch("first");
        return null;
    }

    private void launch(String name) throws Exception {
        Path config = Files.writeString(tmp.resolve("purge-api.yaml"), apiYaml());
        process = PurgeApiProcesses.launch(config, tmp, name);
        PurgeApiProcesses.awaitReady(process, apiPort, tmp, name);
    }

    @AfterEach
    void killIt() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private JsonObject post(String json) throws Exception {
        Http.Response r = Http.post("http://127.0.0.1:" + apiPort + "/v1/purges", API_TOKEN, "application/json", json);
        assertEquals(202, r.status(), r.toString());
        return r.json();
    }

    private double purgesApplied(String edge) throws Exception {
        String metrics = Http.get("http://127.0.0.1:" + specs.get(edge).adminPort() + "/metrics", null).body();
        return metrics.lines().filter(l -> l.startsWith("outpost_purges_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void killedMidFanOutAndRestartedEveryEdgeGetsEveryPurge() throws Exception {
        origin.stubFor(WireMock.get(urlEqualTo("/k")).willReturn(aResponse().withHeader("Cache-Control",
                "max-age=600").withBody("k")));
        get("edge-mem", "/k");
        awaitHit("edge-mem", "/k");
        stopEdge("edge-push"); // the fan-out owes it everything from here on
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            ids.add(post("{\"type\":\"url\",\"values\":[\"http://site.example/k/" + i + "\"]}").getString("id"));
        }
        ids.add(post("{\"type\":\"url\",\"values\":[\"http://site.example/k\"]}").getString("id"));
        process.destroyForcibly(); // kill -9, with pushes to edge-push owed (and maybe some to edge-mem)
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));

        startEdge("edge-push"); // memory only, no catch-up: ready at once, lastApplied 0
        launch("restarted");
        Http.eventually(Duration.ofSeconds(30), "every purge applied on both edges", () -> {
            for (String id : ids) {
                if (!apiGet("/v1/purges/" + id).getString("status").equals("applied")) {
                    return false;
                }
            }
            return true;
        });
        assertEquals(31, edgeState("edge-mem").getLong("lastApplied"));
        assertTrue(purgesApplied("edge-push") >= 31, "every purge pushed to edge-push after the restart: "
                + purgesApplied("edge-push"));
        assertFalse(get("edge-mem", "/k").hit(), "the last purge reached edge-mem");
        assertEquals(31, apiGet("/v1/log?limit=0").getLong("last"), "nothing accepted was lost");
    }
}
