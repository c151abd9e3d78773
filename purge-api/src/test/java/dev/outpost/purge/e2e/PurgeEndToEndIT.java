package dev.outpost.purge.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
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
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every purge verb, hard and soft, from the purge-api's REST API to real edges (ARCHITECTURE §4): across Vary
 * variants, on a memory-only edge and on an edge whose large objects live on its disk tier only.
 */
class PurgeEndToEndIT extends EdgeFleetTestBase {

    private static final List<String> EDGES = List.of("edge-mem", "edge-disk");
    /** Above the disk edge's memory max-object-size (1KiB): kept on its disk tier only. */
    private static final String BIG = "x".repeat(4096);

    private void cacheable(String path, String body, String... headers) {
        var response = aResponse().withStatus(200).withHeader("Cache-Control", "max-age=600")
                .withHeader("ETag", "\"" + path.hashCode() + "\"").withBody(body);
        for (int i = 0; i < headers.length; i += 2) {
            response.withHeader(headers[i], headers[i + 1]);
        }
        origin.stubFor(WireMock.get(urlEqualTo(path)).willReturn(response));
    }

    private int originCount(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    /** Fills every edge with {@code path} (with these request headers) and checks it is a hit now. */
    private void warm(String path, String... headers) throws Exception {
        for (String edge : EDGES) {
            get(edge, path, headers);
            awaitHit(edge, path, headers);
        }
    }

    private void assertApplied(JsonObject answer) {
        assertEquals("applied", answer.getString("status"), answer.encode());
        assertEquals(new JsonArray(), answer.getJsonArray("lagging"));
    }

    private void assertMissOnEveryEdge(String path, String... headers) throws Exception {
        for (String edge : EDGES) {
            int before = originCount(path);
            Traffic.Response r = get(edge, path, headers);
            assertEquals(200, r.status());
            assertFalse(r.hit(), edge + " " + path + " after the purge: " + r.cacheStatus());
            assertEquals(before + 1, originCount(path), edge + " " + path + " went to the origin");
        }
    }

    private void assertHitOnEveryEdge(String path, String... headers) throws Exception {
        for (String edge : EDGES) {
            Traffic.Response r = get(edge, path, headers);
            assertTrue(r.hit(), edge + " " + path + " is untouched by the purge: " + r.cacheStatus());
        }
    }

    @Test
    void urlPurgeRemovesEveryVaryVariantOnBothTiers() throws Exception {
        for (String lang : new String[] {"en", "fr"}) {
            origin.stubFor(WireMock.get(urlEqualTo("/page")).withHeader("Accept-Language", equalTo(lang))
                    .willReturn(aResponse().withHeader("Cache-Control", "max-age=600").withHeader("Vary",
                            "Accept-Language").withBody(lang + BIG)));
        }
        cacheable("/small", "small");
        warm("/page", "Accept-Language", "en");
        warm("/page", "Accept-Language", "fr");
        warm("/small");
        assertTrue(get("edge-disk", "/page", "Accept-Language", "fr").cacheStatus().contains("detail=disk"),
                "the big variant is on the disk tier only");

        assertApplied(purge("{\"type\":\"url\",\"values\":[\"http://site.example/page\",\"https://site.example/small\"]}"));
        assertMissOnEveryEdge("/page", "Accept-Language", "en");
        assertMissOnEveryEdge("/page", "Accept-Language", "fr");
        assertMissOnEveryEdge("/small");
    }

    @Test
    void prefixTagAndAllPurgeOnlyWhatTheyName() throws Exception {
        cacheable("/img/a", "a");
        cacheable("/img/b", BIG);
        cacheable("/doc/c", BIG, "Surrogate-Key", "docs products");
        cacheable("/doc/d", "d", "Cache-Tag", "other,products");
        cacheable("/doc/e", "e", "Surrogate-Key", "docs");
        for (String p : List.of("/img/a", "/img/b", "/doc/c", "/doc/d", "/doc/e")) {
            warm(p);
        }
        assertApplied(purge("{\"type\":\"prefix\",\"values\":[\"http://site.example/img/\"]}"));
        assertMissOnEveryEdge("/img/a");
        assertMissOnEveryEdge("/img/b");
        assertHitOnEveryEdge("/doc/c");

        assertApplied(purge("{\"type\":\"tag\",\"values\":[\"products\"]}"));
        assertMissOnEveryEdge("/doc/c");
        assertMissOnEveryEdge("/doc/d");
        assertHitOnEveryEdge("/doc/e");
        assertHitOnEveryEdge("/img/a");

        origin.stubFor(WireMock.get(urlEqualTo("/elsewhere")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=600").withBody("other host")));
        for (String edge : EDGES) {
            traffic.get(edges.get(edge).trafficPort(), "other.example", "/elsewhere");
            Http.eventually(Duration.ofSeconds(10), edge + " caches other.example",
                    () -> otherHost(edge).hit());
        }
        warm("/doc/c");
        assertApplied(purge("{\"type\":\"all\",\"host\":\"site.example\"}"));
        assertMissOnEveryEdge("/doc/c");
        assertMissOnEveryEdge("/doc/e");
        for (String edge : EDGES) {
            assertTrue(otherHost(edge).hit(), edge + ": all narrowed to site.example leaves other.example");
        }
        warm("/doc/e");
        assertApplied(purge("{\"type\":\"all\"}"));
        assertMissOnEveryEdge("/doc/e");
        for (String edge : EDGES) {
            assertFalse(otherHost(edge).hit(), edge + ": all without host purges every host");
        }
    }

    private Traffic.Response otherHost(String edge) throws Exception {
        return traffic.get(edges.get(edge).trafficPort(), "other.example", "/elsewhere");
    }

    @Test
    void softPurgesRevalidateInsteadOfRemoving() throws Exception {
        for (String path : List.of("/soft/small", "/soft/big", "/soft/tagged")) {
            String body = path.equals("/soft/small") ? "small" : BIG;
            origin.stubFor(WireMock.get(urlEqualTo(path)).withHeader("If-None-Match", equalTo("\"v1\""))
                    .atPriority(1).willReturn(aResponse().withStatus(304).withHeader("ETag", "\"v1\"")
                            .withHeader("Cache-Control", "max-age=600")));
            origin.stubFor(WireMock.get(urlEqualTo(path)).atPriority(5).willReturn(aResponse()
                    .withHeader("Cache-Control", "max-age=600").withHeader("ETag", "\"v1\"")
                    .withHeader("Surrogate-Key", "soft-tag").withBody(body)));
            warm(path);
        }
        assertApplied(purge("{\"type\":\"url\",\"values\":[\"http://site.example/soft/small\","
                + "\"http://site.example/soft/big\"],\"soft\":true}"));
        assertApplied(purge("{\"type\":\"tag\",\"values\":[\"soft-tag\"],\"host\":\"site.example\",\"soft\":true}"));
        for (String edge : EDGES) {
            for (String path : List.of("/soft/small", "/soft/big", "/soft/tagged")) {
                Traffic.Response r = get(edge, path);
                assertEquals(200, r.status());
                assertTrue(r.cacheStatus().contains("fwd=stale") && r.cacheStatus().contains("fwd-status=304"),
                        edge + " " + path + " revalidated, not refetched: " + r.cacheStatus());
                assertEquals(path.equals("/soft/small") ? "small" : BIG, r.body());
            }
        }
        for (String path : List.of("/soft/small", "/soft/big", "/soft/tagged")) {
            origin.verify(EDGES.size(), getRequestedFor(urlEqualTo(path)).withHeader("If-None-Match",
                    equalTo("\"v1\"")));
        }
    }
}
