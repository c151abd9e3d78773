package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.outpost.edge.http.HttpDate;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Poisoning, leaking and wedging: responses meant for one client never reach another, the key and
 * what the origin saw never disagree, and a collapsed fetch is never left unreleased.
 */
class CacheSafetyIT extends EdgeTestBase {

    private static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private int originHits(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    @Test
    void aLeaderWhoseClientLeavesStillFillsTheCacheAndReleasesTheLock() throws Exception {
        origin.stubFor(WireMock.get("/big").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("payload").withFixedDelay(800)));
        try (Socket s = new Socket("127.0.0.1", port())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /big HTTP/1.1\r\nHost: site.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
        } // the client leaves before the origin answers
        awaitOriginRequests(1);
        Thread.sleep(1000); // let the abandoned fetch finish filling
        long start = System.nanoTime();
        RawHttp.Response next = get("/big");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals("payload", next.text());
        assertTrue(status(next).hit(), "the fill completed without its client: " + next.header("Cache-Status"));
        assertEquals(1, originHits("/big"));
        assertTrue(ms < 3000, "not stuck behind an unreleased lock: " + ms + " ms");
    }

    @Test
    void rfc9111_3_2_aSetCookieOnA304NeverReachesAnotherClient() throws Exception {
        origin.stubFor(WireMock.get("/sc").willReturn(aResponse().withHeader("Cache-Control", "max-age=1")
                .withHeader("ETag", "\"e\"").withBody("shared")));
        get("/sc");
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get("/sc").withHeader("If-None-Match", equalTo("\"e\"")).willReturn(aResponse()
                .withStatus(304).withHeader("ETag", "\"e\"").withHeader("Cache-Control", "max-age=60")
                .withHeader("Set-Cookie", "session=bob")));
        RawHttp.Response bob = get("/sc");
        assertEquals("session=bob", bob.header("Set-Cookie"), "Bob gets his own cookie");
        RawHttp.Response carol = get("/sc");
        assertNull(carol.header("Set-Cookie"), "Carol never gets Bob's cookie");
    }

    @Test
    void rfc9111_3_5_aHeadWithAuthorizationDoesNotUpdateTheSharedCopy() throws Exception {
        origin.stubFor(WireMock.get("/h").willReturn(aResponse().withHeader("Cache-Control", "public, max-age=10")
                .withHeader("ETag", "\"h\"").withBody("x")));
        get("/h");
        clock.advance(Duration.ofSeconds(11));
        origin.stubFor(WireMock.head(urlEqualTo("/h")).willReturn(aResponse()
                .withHeader("Cache-Control", "public, max-age=100").withHeader("ETag", "\"h\"")
                .withHeader("X-User", "alice")));
        request("HEAD", "/h", "Authorization: Bearer alice");
        origin.stubFor(WireMock.get("/h").willReturn(aResponse().withHeader("Cache-Control", "public, max-age=10")
                .withHeader("ETag", "\"h\"").withBody("x")));
        RawHttp.Response anonymous = get("/h");
        assertNull(anonymous.header("X-User"));
    }

    @Test
    void rfc9112_3_2_2_absoluteFormTargetReplacesTheHostSentToTheOrigin() throws Exception {
        origin.stubFor(WireMock.get("/abs").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("x")));
        RawHttp.exchange(port(), "GET http://site.example/abs HTTP/1.1\r\nHost: attacker.example\r\n"
                + "Connection: close\r\n\r\n");
        origin.verify(getRequestedFor(urlEqualTo("/abs")).withHeader("Host", equalTo("site.example")));
    }

    @Test
    void rfc9111_4_1_aConnectionNominatedFieldIsNotUsedToSelectVariants() throws Exception {
        origin.stubFor(WireMock.get("/v").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Vary", "Accept-Language").withBody("hello")));
        origin.stubFor(WireMock.get("/v").withHeader("Accept-Language", equalTo("fr")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Language").withBody("bonjour")));
        get("/v", "Accept-Language: fr", "Connection: close, accept-language");
        RawHttp.Response french = get("/v", "Accept-Language: fr");
        assertEquals("bonjour", french.text(), "the English answer was not stored as the French variant");
    }

    @Test
    void aServerErrorDoesNotSwitchOffCollapsingForTheUrl() throws Exception {
        origin.stubFor(WireMock.get("/flaky").inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        origin.stubFor(WireMock.get("/flaky").inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("ok").withFixedDelay(400)));
        assertEquals(503, get("/flaky").status());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<RawHttp.Response>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(pool.submit(() -> get("/flaky")));
            }
            for (Future<RawHttp.Response> f : all) {
                assertEquals("ok", f.get().text());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2, originHits("/flaky"), "one 503, then one collapsed fetch");
    }

    @Test
    void rfc9110_6_6_1_aResponseWithoutDateGetsTheReceiveTimeSoAgeStaysRightAfterA304() throws Exception {
        origin.stubFor(WireMock.get("/nd").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"d\"").withBody("x")));
        get("/nd");
        RawHttp.Response hit = get("/nd");
        assertEquals(HttpDate.format(clock.instant()), hit.header("Date"));
        clock.advance(Duration.ofSeconds(30));
        origin.stubFor(WireMock.get("/nd").willReturn(aResponse().withStatus(304).withHeader("ETag", "\"d\"")
                .withHeader("Cache-Control", "max-age=10")));
        RawHttp.Response revalidated = get("/nd");
        assertEquals("0", revalidated.header("Age"));
        RawHttp.Response after = get("/nd");
        assertTrue(status(after).hit(), "fresh again after the 304");
        assertFalse(status(after).fwd() != null);
    }

    @Test
    void rfc9112_3_2_malformedHostIsRefused() throws Exception {
        assertEquals(400, RawHttp.get(port(), "site.example/evil", "/x").status());
        assertEquals(400, RawHttp.get(port(), "a@site.example", "/x").status());
        assertEquals(0, origin.getAllServeEvents().size());
    }
}
