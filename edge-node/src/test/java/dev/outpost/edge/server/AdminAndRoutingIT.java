package dev.outpost.edge.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import com.github.tomakehurst.wiremock.client.WireMock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import org.junit.jupiter.api.Test;

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
}
