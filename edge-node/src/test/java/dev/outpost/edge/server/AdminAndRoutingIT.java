package dev.outpost.edge.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import com.github.tomakehurst.wiremock.client.WireMock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import org.junit.jupiter.api.Test;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

/** Routing by Host (never an open proxy) and the admin port's endpoints. */
class AdminAndRoutingIT extends EdgeTestBase {

    @Override
    protected String edgeYaml() {
        return super.edgeYaml().replace("host: \"*\"", "host: site.example");
    }

    @Test
    void unknownHostIsRefusedWith421() throws Exception {
        RawHttp.Response r = RawHttp.get(port(), "elsewhere.example", "/");
        assertEquals(421, r.status());
        assertTrue(r.text().contains("elsewhere.example"), r.text());
        assertEquals(0, origin.getAllServeEvents().size());
    }

    @Test
    void configuredHostIsRoutedWhateverItsCaseOrDefaultPort() throws Exception {
        origin.stubFor(WireMock.get("/").willReturn(aResponse().withBody("ok")));
        assertEquals(200, RawHttp.get(port(), "SITE.example:80", "/").status());
    }

    @Test
    void healthReadinessAndMetrics() throws Exception {
        origin.stubFor(WireMock.get("/m").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("m")));
        get("/m");
        get("/m");
        int admin = edge.adminPort();
        assertEquals(200, RawHttp.get(admin, "localhost", "/healthz").status());
        assertEquals(200, RawHttp.get(admin, "localhost", "/readyz").status());
        RawHttp.Response metrics = RawHttp.get(admin, "localhost", "/metrics");
        assertEquals(200, metrics.status());
        String text = metrics.text();
        assertTrue(text.contains("outpost_requests_total{cache=\"hit\",node=\"edge-test-1\",region=\"test\",tier=\"memory\"} 1.0"),
                text);
        assertTrue(text.contains("outpost_requests_total{cache=\"miss\",node=\"edge-test-1\",region=\"test\",tier=\"none\"} 1.0"),
                text);
        assertTrue(text.contains("outpost_origin_latency_seconds_bucket"), "origin latency histogram");
        assertTrue(text.contains("outpost_cache_entries{node=\"edge-test-1\",region=\"test\",tier=\"memory\"} 1.0"), text);
        assertTrue(text.contains("outpost_bytes_served_bytes_total"), text);
    }

    /**
     * The admin port speaks HTTP/1.1 only: a JDK client asking for h2c (its default) gets HTTP/1.1. Vert.x
     * 5.0's h2c upgrade left some /metrics answers (tens of KiB) unfinished for ever.
     */
    @Test
    void metricsScrapesByClientsThatAskForAnH2cUpgradeAreAnsweredOverHttp11() throws Exception {
        for (int i = 0; i < 20; i++) {
            HttpClient fresh = HttpClient.newHttpClient(); // a new connection, upgrade asked
            HttpResponse<String> scrape = fresh.sendAsync(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + edge.adminPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
            assertEquals(200, scrape.statusCode());
            assertEquals(HttpClient.Version.HTTP_1_1, scrape.version());
            assertTrue(scrape.body().contains("jvm_memory_used_bytes"), "a whole scrape");
        }
    }
}
