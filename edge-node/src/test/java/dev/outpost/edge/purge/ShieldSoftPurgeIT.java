package dev.outpost.edge.purge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two tiers of Outpost (edge → shield → WireMock origin), both in-process: a purge that reaches the
 * edge before the shield must not let the edge take the shield's still-fresh old copy. A soft purge: the
 * edge validates a purged object with {@code Cache-Control: no-cache}, which makes the shield validate
 * with the origin too (RFC 9111 §5.2.1.4). A hard purge: the edge's miss says which purges it has applied
 * ({@code Outpost-Purges-Applied}), and a shield that has not applied them validates first.
 */
class ShieldSoftPurgeIT extends EdgeTestBase {

    private EdgeRuntime shield;

    /** The edge under test uses the shield as its origin; the shield uses WireMock. */
    @Override
    protected String edgeYaml() {
        try {
            if (shield == null) {
                shield = startEdge(PurgeEndpointIT.withToken(super.edgeYaml())
                        .replace("id: edge-test-1", "id: shield-1")
                        .replace("  port: 0\nadmin:", "  port: 0\n  outermost: false\nadmin:"));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return PurgeEndpointIT.withToken(super.edgeYaml()).replace("url: http://127.0.0.1:" + origin.port(),
                "url: http://127.0.0.1:" + shield.trafficPort());
    }

    @AfterEach
    void stopShield() {
        if (shield != null) {
            shield.stop(Duration.ofMillis(100));
        }
    }

    private void originServes(String version) {
        origin.stubFor(WireMock.get("/s").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("ETag", "\"" + version + "\"").withBody(version)));
    }

    private CacheStatusEntry ours(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    @Test
    void aHardPurgeAtTheEdgeBeforeTheShieldIsNotUndoneByTheShieldsOldCopy() throws Exception {
        originServes("v1");
        assertEquals("v1", get("/s").text());
        RawHttp.Response cached = get("/s");
        assertTrue(ours(cached).hit(), "cached at the edge (and at the shield)");
        assertTrue(cached.header("Cache-Status").startsWith("shield-1;"), cached.header("Cache-Status"));

        originServes("v2");
        String purge = "{\"type\":\"url\",\"values\":[\"http://site.example/s\"],\"sequence\":1}";
        assertEquals(1, PurgeEndpointIT.purgeOk(edge.adminPort(), purge)); // the shield's push is still on its way
        RawHttp.Response r = get("/s");
        assertEquals("v2", r.text(), "the shield validated its copy instead of handing back the purged v1");
        assertTrue(r.header("Cache-Status").startsWith("shield-1;fwd=request;fwd-status=200"),
                "the shield forwarded because the edge had applied purge #1 and it had not: "
                        + r.header("Cache-Status"));
        assertEquals("1", origin.findAll(getRequestedFor(urlEqualTo("/s"))).get(1).getHeader("Outpost-Purges-Applied"),
                "passed on upstream (max of the edge's and the shield's)");
        assertEquals("v2", get("/s").text());
        assertTrue(ours(get("/s")).hit(), "and stored at the edge");

        origin.stubFor(WireMock.get("/t").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("ETag", "\"t1\"").withBody("t1")));
        assertEquals("t1", get("/t").text());
        assertEquals(1, PurgeEndpointIT.purgeOk(shield.adminPort(), purge)); // the shield catches up
        RawHttp.Response caughtUp = RawHttp.get(shield.trafficPort(), HOST, "/t", "Outpost-Purges-Applied: 1");
        assertTrue(ours(caughtUp).hit(), "caught up: the shield answers from its cache again");
        RawHttp.Response behind = RawHttp.get(shield.trafficPort(), HOST, "/t", "Outpost-Purges-Applied: 2");
        assertEquals("request", ours(behind).fwd(), "a purge it has not applied yet: it validates");
        assertEquals(2, origin.findAll(getRequestedFor(urlEqualTo("/t"))).size(),
                "the fill and the validation went to the origin");

        origin.stubFor(WireMock.get("/u").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("u")));
        assertEquals("u", get("/u", "Outpost-Purges-Applied: 99").text()); // a client's, at the outermost edge
        assertEquals("1", origin.findAll(getRequestedFor(urlEqualTo("/u"))).get(0)
                .getHeader("Outpost-Purges-Applied"), "an outermost node neither reads nor passes on a client's");
    }

    @Test
    void aSoftPurgeAtTheEdgeBeforeTheShieldFetchesTheNewVersionThroughTheShield() throws Exception {
        assertTrue(shield.isReady());
        originServes("v1");
        assertEquals("v1", get("/s").text());
        for (int i = 0; i < 50 && !ours(get("/s")).hit(); i++) {
            Thread.sleep(20);
        }
        assertTrue(ours(get("/s")).hit(), "cached at the edge (and at the shield)");

        originServes("v2");
        assertEquals(1, PurgeEndpointIT.purgeOk(edge.adminPort(),
                "{\"type\":\"url\",\"values\":[\"http://site.example/s\"],\"soft\":true}"));
        RawHttp.Response r = get("/s");
        assertEquals("v2", r.text(), "the shield's fresh v1 must not confirm the purged copy");
        assertEquals("stale", ours(r).fwd());
        assertEquals(2, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/s")).build()).getCount());
        assertTrue(origin.findAll(getRequestedFor(urlEqualTo("/s"))).get(0).getHeader("If-None-Match") != null
                || origin.findAll(getRequestedFor(urlEqualTo("/s"))).get(1).getHeader("If-None-Match") != null,
                "the shield validated with the origin");
        assertEquals("v2", get("/s").text());
        assertTrue(ours(get("/s")).hit());
    }
}
