package dev.outpost.purge.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.purge.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An edge with a disk tier is stopped while purges happen and restarted: it must never serve a purged object
 * (it catches up from the purge-api's log before it serves from disk), while what was not purged comes back
 * warm (ARCHITECTURE §4, the lesson of Varnish's persistent storage).
 */
class EdgeOutageIT extends EdgeFleetTestBase {

    private static final String BIG = "y".repeat(4096);

    private void cacheable(String path, String... headers) {
        var response = aResponse().withHeader("Cache-Control", "max-age=600").withBody(path + BIG);
        for (int i = 0; i < headers.length; i += 2) {
            response.withHeader(headers[i], headers[i + 1]);
        }
        origin.stubFor(WireMock.get(urlEqualTo(path)).willReturn(response));
    }

    private int originCount(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    @Test
    void aStoppedEdgeRestartedNeverServesWhatWasPurgedMeanwhile() throws Exception {
        List<String> paths = List.of("/gone/url", "/gone/prefix/1", "/gone/tagged", "/kept/1", "/kept/2");
        cacheable("/gone/url");
        cacheable("/gone/prefix/1");
        cacheable("/gone/tagged", "Surrogate-Key", "campaign");
        cacheable("/kept/1");
        cacheable("/kept/2", "Surrogate-Key", "evergreen");
        for (String p : paths) {
            get("edge-disk", p);
            awaitHit("edge-disk", p);
        }
        stopEdge("edge-disk");

        List<String> ids = new ArrayList<>();
        for (String body : List.of("{\"type\":\"url\",\"values\":[\"http://site.example/gone/url\"]}",
                "{\"type\":\"prefix\",\"values\":[\"http://site.example/gone/prefix/\"]}",
                "{\"type\":\"tag\",\"values\":[\"campaign\"]}")) {
            JsonObject answer = purge(body);
            assertEquals(new JsonArray().add("edge-disk"), answer.getJsonArray("lagging"),
                    "the wait ends without the stopped edge: " + answer.encode());
            ids.add(answer.getString("id"));
        }
        assertEquals("down", apiGet("/v1/edges").getJsonArray("edges").getJsonObject(1).getString("health"));

        startEdge("edge-disk"); // same store, same admin port; ready only once caught up
        assertEquals(3, edgeState("edge-disk").getLong("lastApplied"), "caught up from the log before serving");
        for (String gone : List.of("/gone/url", "/gone/prefix/1", "/gone/tagged")) {
            int before = originCount(gone);
            Traffic.Response r = get("edge-disk", gone);
            assertFalse(r.hit(), gone + " was purged while the edge was down: " + r.cacheStatus());
            assertEquals(before + 1, originCount(gone));
        }
        for (String kept : List.of("/kept/1", "/kept/2")) {
            Traffic.Response r = get("edge-disk", kept);
            assertTrue(r.hit() && r.cacheStatus().contains("detail=disk"), kept + " came back warm: "
                    + r.cacheStatus());
        }
        for (String id : ids) {
            Http.eventually(Duration.ofSeconds(10), id + " applied on edge-disk", () -> {
                JsonObject status = apiGet("/v1/purges/" + id);
                return status.getString("status").equals("applied");
            });
        }
        Http.eventually(Duration.ofSeconds(10), "no lag", () -> apiGet("/v1/edges").getJsonArray("edges")
                .getJsonObject(1).getLong("lag") == 0);
    }

    @Test
    void aPurgeApiRestartDoesNotDisturbEdgesAndPushesResume() throws Exception {
        cacheable("/r/1");
        get("edge-mem", "/r/1");
        awaitHit("edge-mem", "/r/1");
        api.stop(Duration.ofMillis(200));
        api = startApi();
        awaitEdgesUp();
        JsonObject answer = purge("{\"type\":\"url\",\"values\":[\"http://site.example/r/1\"]}");
        assertEquals("applied", answer.getString("status"), answer.encode());
        assertFalse(get("edge-mem", "/r/1").hit());
        assertEquals(1, edgeState("edge-mem").getLong("lastApplied"));
    }
}
