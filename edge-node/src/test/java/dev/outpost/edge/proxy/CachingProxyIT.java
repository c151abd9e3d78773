package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import com.github.tomakehurst.wiremock.client.WireMock;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The edge end to end: a real edge in front of a WireMock origin, real sockets, a hand-moved clock.
 * Test names cite the RFC section they check.
 */
class CachingProxyIT extends EdgeTestBase {

    private static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private int originHits(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    @Test
    void rfc9111_4_missIsStoredThenServedAsHitWithAge() throws Exception {
        origin.stubFor(WireMock.get("/a").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Content-Type", "text/plain").withBody("hello")));

        RawHttp.Response first = get("/a");
        assertEquals(200, first.status());
        assertEquals("hello", first.text());
        CacheStatusEntry miss = status(first);
        assertEquals("edge-test-1", miss.cache());
        assertEquals("uri-miss", miss.fwd());
        assertEquals("200", miss.fwdStatus());
        assertTrue(miss.stored());

        clock.advance(Duration.ofSeconds(10));
        RawHttp.Response second = get("/a");
        assertEquals("hello", second.text());
        CacheStatusEntry hit = status(second);
        assertTrue(hit.hit());
        assertEquals("memory", hit.detail());
        assertEquals(50L, hit.ttl());
        assertEquals("10", second.header("Age"), "RFC 9111 §5.1: Age sent on reuse");
        assertEquals(1, originHits("/a"));
    }

    @Test
    void rfc9111_4_2_1_sMaxAgeGovernsASharedCache() throws Exception {
        origin.stubFor(WireMock.get("/s").willReturn(aResponse().withHeader("Cache-Control", "max-age=1000, s-maxage=5")
                .withBody("x")));
        get("/s");
        clock.advance(Duration.ofSeconds(6));
        RawHttp.Response r = get("/s");
        assertFalse(status(r).hit(), "stale after s-maxage even though max-age is longer");
        assertEquals(2, originHits("/s"));
    }

    @Test
    void rfc9111_3_responseNoStoreIsNotStored() throws Exception {
        origin.stubFor(WireMock.get("/ns").willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("x")));
        get("/ns");
        RawHttp.Response r = get("/ns");
        assertFalse(status(r).hit());
        assertFalse(status(r).stored());
        assertEquals(2, originHits("/ns"));
    }

    @Test
    void rfc9111_3_privateIsNotStoredByASharedCache() throws Exception {
        origin.stubFor(WireMock.get("/p").willReturn(aResponse().withHeader("Cache-Control", "private, max-age=60")
                .withBody("mine")));
        get("/p");
        get("/p");
        assertEquals(2, originHits("/p"));
    }

    @Test
    void setCookieIsNeverHandedToAnotherClient() throws Exception {
        origin.stubFor(WireMock.get("/c").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Set-Cookie", "session=abc").withBody("x")));
        RawHttp.Response first = get("/c");
        assertEquals("session=abc", first.header("Set-Cookie"), "the client that caused it gets its cookie");
        RawHttp.Response second = get("/c");
        assertFalse(status(second).hit(), "a response with Set-Cookie was not stored");
        assertEquals("uri-miss", status(second).fwd());
        assertEquals(2, originHits("/c"));
    }

    @Test
    void rfc9111_5_2_1_5_requestNoStoreBypassesTheCache() throws Exception {
        origin.stubFor(WireMock.get("/r").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("x")));
        get("/r");
        RawHttp.Response r = get("/r", "Cache-Control: no-store");
        assertEquals("bypass", status(r).fwd());
        assertEquals(2, originHits("/r"));
    }

    @Test
    void rfc9111_3_5_authorizationRequestsAreNotServedFromOrStoredInTheCache() throws Exception {
        origin.stubFor(WireMock.get("/auth").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("secret")));
        get("/auth", "Authorization: Bearer x");
        RawHttp.Response anonymous = get("/auth");
        assertEquals("uri-miss", status(anonymous).fwd(), "not stored from the authorized request");
        assertEquals(2, originHits("/auth"));
    }

    @Test
    void rfc9111_3_5_authorizationWithPublicMayBeStored() throws Exception {
        origin.stubFor(WireMock.get("/pub").willReturn(aResponse().withHeader("Cache-Control", "public, max-age=60")
                .withBody("shared")));
        get("/pub", "Authorization: Bearer x");
        RawHttp.Response anonymous = get("/pub");
        assertTrue(status(anonymous).hit());
        assertEquals(1, originHits("/pub"));
    }

    @Test
    void methodOverrideHeadersNeverPoisonTheCache() throws Exception {
        origin.stubFor(WireMock.get("/o").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("get")));
        for (String h : List.of("X-HTTP-Method-Override: DELETE", "X-HTTP-Method: DELETE",
                "X-Method-Override: DELETE")) {
            RawHttp.Response r = get("/o", h);
            assertEquals("bypass", status(r).fwd(), h);
        }
        RawHttp.Response plain = get("/o");
        assertEquals("uri-miss", status(plain).fwd(), "nothing was stored by the override requests");
        assertTrue(status(get("/o")).hit());
        get("/o", "X-HTTP-Method-Override: DELETE");
        assertEquals("uri-miss", status(get("/o")).fwd(), "RFC 9111 §4.4: the origin may have deleted it");
    }

    @Test
    void rfc9111_4_1_varyKeepsOneVariantPerRequestFieldValue() throws Exception {
        origin.stubFor(WireMock.get("/v").withHeader("Accept-Language", equalTo("en")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Language").withBody("hello")));
        origin.stubFor(WireMock.get("/v").withHeader("Accept-Language", equalTo("fr")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Language").withBody("bonjour")));

        assertEquals("hello", get("/v", "Accept-Language: en").text());
        RawHttp.Response fr = get("/v", "Accept-Language: fr");
        assertEquals("bonjour", fr.text());
        assertEquals("vary-miss", status(fr).fwd());
        RawHttp.Response en2 = get("/v", "Accept-Language: en");
        assertEquals("hello", en2.text());
        assertTrue(status(en2).hit());
        RawHttp.Response fr2 = get("/v", "Accept-Language:  fr ");
        assertEquals("bonjour", fr2.text());
        assertTrue(status(fr2).hit(), "normalised whitespace matches");
        assertEquals(2, originHits("/v"));
    }

    @Test
    void rfc9111_4_1_varyStarIsNeverReused() throws Exception {
        origin.stubFor(WireMock.get("/star").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Vary", "*").withBody("x")));
        get("/star");
        get("/star");
        assertEquals(2, originHits("/star"));
    }

    @Test
    void rfc9111_4_3_staleResponseIsValidatedAnd304FreshensStoredHeaders() throws Exception {
        origin.stubFor(WireMock.get("/e").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"v1\"").withHeader("X-Version", "1").withBody("body")));
        get("/e");
        clock.advance(Duration.ofSeconds(11));
        origin.stubFor(WireMock.get("/e").withHeader("If-None-Match", equalTo("\"v1\"")).willReturn(aResponse()
                .withStatus(304).withHeader("Cache-Control", "max-age=100").withHeader("ETag", "\"v1\"")
                .withHeader("X-Version", "2")));

        RawHttp.Response revalidated = get("/e");
        assertEquals(200, revalidated.status());
        assertEquals("body", revalidated.text());
        assertEquals("2", revalidated.header("X-Version"), "RFC 9111 §4.3.4: 304 fields update the stored response");
        CacheStatusEntry s = status(revalidated);
        assertEquals("stale", s.fwd());
        assertEquals("304", s.fwdStatus());

        clock.advance(Duration.ofSeconds(50));
        RawHttp.Response hit = get("/e");
        assertTrue(status(hit).hit(), "the 304's max-age=100 now applies");
        assertEquals("2", hit.header("X-Version"));
        origin.verify(1, getRequestedFor(urlEqualTo("/e")).withHeader("If-None-Match", equalTo("\"v1\"")));
    }

    @Test
    void rfc9111_4_3_2_clientConditionalAnsweredFromCache() throws Exception {
        origin.stubFor(WireMock.get("/cond").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("ETag", "\"abc\"").withBody("content")));
        get("/cond");
        RawHttp.Response r = get("/cond", "If-None-Match: W/\"abc\"");
        assertEquals(304, r.status());
        assertEquals("\"abc\"", r.header("ETag"));
        assertTrue(status(r).hit());
        assertEquals(1, originHits("/cond"));
    }

    @Test
    void rfc9111_5_2_1_7_onlyIfCachedWithNothingStoredIs504() throws Exception {
        RawHttp.Response r = get("/never", "Cache-Control: only-if-cached");
        assertEquals(504, r.status());
        assertEquals(0, originHits("/never"));
    }

    @Test
    void rfc9111_5_2_1_4_requestNoCacheForcesValidation() throws Exception {
        origin.stubFor(WireMock.get("/nc").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("ETag", "\"1\"").withBody("x")));
        get("/nc");
        RawHttp.Response r = get("/nc", "Cache-Control: no-cache");
        assertEquals("request", status(r).fwd());
        assertEquals(2, originHits("/nc"));
    }

    @Test
    void pragmaNoCacheWithoutCacheControlForcesValidation() throws Exception {
        origin.stubFor(WireMock.get("/pr").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("x")));
        get("/pr");
        get("/pr", "Pragma: no-cache");
        assertEquals(2, originHits("/pr"));
    }

    @Test
    void rfc5861_3_staleWhileRevalidateServesStaleAndRevalidatesOnceInTheBackground() throws Exception {
        origin.stubFor(WireMock.get("/swr").willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=10, stale-while-revalidate=60").withHeader("ETag", "\"1\"")
                .withBody("old").withFixedDelay(300)));
        get("/swr");
        clock.advance(Duration.ofSeconds(15));
        for (int i = 0; i < 5; i++) {
            RawHttp.Response r = get("/swr");
            assertEquals("old", r.text());
            CacheStatusEntry s = status(r);
            assertTrue(s.hit());
            assertEquals("stale", s.fwd());
            assertEquals(-5L, s.ttl(), "RFC 9211 §2.5: negative ttl once stale");
        }
        awaitOriginRequests(2);
        Thread.sleep(400); // let any further (wrong) revalidations arrive before counting
        assertEquals(2, originHits("/swr"), "exactly one background revalidation");
    }

    @Test
    void rfc5861_4_staleIfErrorServesStaleWhenOriginFails() throws Exception {
        origin.stubFor(WireMock.get("/sie").willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=10, stale-if-error=60").withBody("cached")));
        get("/sie");
        clock.advance(Duration.ofSeconds(20));
        origin.stubFor(WireMock.get("/sie").willReturn(aResponse().withStatus(503).withBody("down")));
        RawHttp.Response r = get("/sie");
        assertEquals(200, r.status());
        assertEquals("cached", r.text());
        assertTrue(status(r).hit());
        assertEquals("stale", status(r).fwd());

        clock.advance(Duration.ofSeconds(60));
        RawHttp.Response late = get("/sie");
        assertEquals(503, late.status(), "outside the stale-if-error window the error passes through");
    }

    @Test
    void rfc5861_4_staleIfErrorWhenOriginIsStopped() throws Exception {
        origin.stubFor(WireMock.get("/down").willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=1, stale-if-error=600").withBody("kept")));
        get("/down");
        clock.advance(Duration.ofSeconds(5));
        origin.stop();
        RawHttp.Response r = get("/down");
        assertEquals(200, r.status());
        assertEquals("kept", r.text());
        RawHttp.Response other = get("/not-cached");
        assertEquals(502, other.status(), "origin unreachable");
        assertEquals("origin unreachable", other.text().trim());
    }

    /**
     * On an edge whose collapse.wait-timeout is 200 ms: {@code before} runs first (with the edge's port),
     * then one request for {@code path} leads, and {@code followers} more for it start {@code leadMillis}
     * later. Returns the leader's response, then the followers'.
     */
    private List<RawHttp.Response> leaderAndFollowers(String path, long leadMillis, int followers,
            java.util.function.IntConsumer before) throws Exception {
        var impatient = startEdge(edgeYaml().replace("wait-timeout: 5s", "wait-timeout: 200ms"));
        ExecutorService pool = Executors.newFixedThreadPool(followers + 1);
        try {
            origin.stubFor(WireMock.get("/warm-up").willReturn(aResponse().withBody("w")));
            RawHttp.get(impatient.trafficPort(), HOST, "/warm-up"); // the timings below are the origin's
            before.accept(impatient.trafficPort());
            List<Future<RawHttp.Response>> sent = new java.util.ArrayList<>();
            sent.add(pool.submit(() -> RawHttp.get(impatient.trafficPort(), HOST, path)));
            Thread.sleep(leadMillis);
            for (int i = 0; i < followers; i++) {
                sent.add(pool.submit(() -> RawHttp.get(impatient.trafficPort(), HOST, path)));
            }
            List<RawHttp.Response> responses = new java.util.ArrayList<>();
            for (Future<RawHttp.Response> f : sent) {
                responses.add(f.get());
            }
            return responses;
        } finally {
            pool.shutdownNow();
            impatient.stop(Duration.ofMillis(100));
        }
    }

    @Test
    void rfc9211_2_7_aWaitThatTimedOutIsNotReportedAsCollapsed() throws Exception {
        // the head comes at once, the body over a second: longer than the follower waits for the fill, and
        // without a Content-Length, so there is no fill to read along
        origin.stubFor(WireMock.get("/slow-fill").willReturn(aResponse().withChunkedDribbleDelay(5, 1000)
                .withHeader("Cache-Control", "max-age=60").withBody("xxxxx")));
        List<RawHttp.Response> r = leaderAndFollowers("/slow-fill", 100, 1, port -> { });
        assertFalse(status(r.get(0)).collapsed());
        assertFalse(status(r.get(1)).collapsed(), "it fetched for itself: " + r.get(1).header("Cache-Status"));
        assertEquals(2, originHits("/slow-fill"));
    }

    @Test
    void aSlowOriginHeadGetsOneRequestHoweverShortTheWaitTimeout() throws Exception {
        // the origin takes 1 s to answer, within first-byte-timeout (2 s): the followers wait for it
        origin.stubFor(WireMock.get("/slow-head").willReturn(aResponse().withFixedDelay(1000)
                .withHeader("Cache-Control", "max-age=60").withBody("rendered")));
        List<RawHttp.Response> r = leaderAndFollowers("/slow-head", 100, 3, port -> { });
        r.forEach(response -> assertEquals("rendered", response.text()));
        r.subList(1, 4).forEach(f -> assertTrue(status(f).collapsed(), f.header("Cache-Status")));
        assertEquals(1, originHits("/slow-head"), "one origin request, not one per client after 200 ms");
    }

    @Test
    void followersReadAlongAFillThatTakesLongerThanTheirWait() throws Exception {
        // the head after 800 ms (the followers wait by then), then the body over 1.5 s: far longer than the
        // 200 ms wait-timeout
        origin.stubFor(WireMock.get("/along").willReturn(aResponse().withFixedDelay(800)
                .withChunkedDribbleDelay(10, 1500).withHeader("Content-Length", "10")
                .withHeader("Cache-Control", "max-age=60").withBody("0123456789")));
        List<RawHttp.Response> r = leaderAndFollowers("/along", 100, 3, port -> { });
        r.forEach(response -> assertEquals("0123456789", response.text()));
        for (RawHttp.Response f : r.subList(1, 4)) {
            CacheStatusEntry s = status(f);
            assertTrue(s.collapsed() && "uri-miss".equals(s.fwd()), "read along the leader's fill: "
                    + r.stream().map(x -> ourCacheStatus(x)).toList() + ", origin hits " + originHits("/along"));
            assertEquals("10", f.header("Content-Length"));
            assertEquals("read-along", s.detail(), "RFC 9211 §2.8: served from the fill, not from a tier");
        }
        assertEquals(1, originHits("/along"), "one origin request; before, each follower fetched after 200 ms");
    }

    @Test
    void aLeaderWhoseClientDoesNotReadHoldsNoFollowerBack() throws Exception {
        byte[] body = new byte[4 << 20];
        new java.util.Random(7).nextBytes(body);
        origin.stubFor(WireMock.get("/big-along").willReturn(aResponse().withFixedDelay(800)
                .withHeader("Content-Length", Integer.toString(body.length)).withHeader("Cache-Control", "max-age=60")
                .withBody(body)));
        try (java.net.Socket stalled = new java.net.Socket("127.0.0.1", port())) {
            stalled.setReceiveBufferSize(4096);
            stalled.getOutputStream().write(("GET /big-along HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // and never reads
            Thread.sleep(100);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<RawHttp.Response>> followers = List.of(pool.submit(() -> get("/big-along")),
                        pool.submit(() -> get("/big-along")));
                for (Future<RawHttp.Response> f : followers) {
                    RawHttp.Response r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(body, r.body(), "the whole body");
                    assertTrue(status(r).collapsed(), ourCacheStatus(r));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertEquals(1, originHits("/big-along"), "read along, at the origin's pace, not at the stalled client's");
    }

    @Test
    void followersOfAValidationWhose304IsForAnotherRepresentationWaitForTheRefetch() throws Exception {
        origin.stubFor(WireMock.get("/changed").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"1\"").withBody("v1")));
        List<RawHttp.Response> r = leaderAndFollowers("/changed", 200, 3, port -> {
            try {
                RawHttp.get(port, HOST, "/changed");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            clock.advance(Duration.ofSeconds(11));
            // the validation's 304 names another representation (RFC 9111 §4.3.4): the leader refetches, slowly
            origin.stubFor(WireMock.get("/changed").withHeader("If-None-Match", equalTo("\"1\""))
                    .willReturn(aResponse().withStatus(304).withHeader("ETag", "\"2\"")));
            origin.stubFor(WireMock.get("/changed").withHeader("If-None-Match", WireMock.absent())
                    .willReturn(aResponse().withFixedDelay(1000).withHeader("Cache-Control", "max-age=60")
                            .withHeader("ETag", "\"2\"").withBody("v2")));
        });
        r.forEach(response -> assertEquals("v2", response.text()));
        assertEquals(3, originHits("/changed"), "the first fill, one validation and one refetch");
    }

    /**
     * An origin that does not answer: the leader gets its first-byte timeout (2 s), and the requests waiting for it
     * are answered as it was, at the same moment, instead of each asking the origin again and waiting another
     * timeout (four requests to an origin that is not answering, the last 504 after about 4 s).
     */
    @Test
    void followersOfAFetchThatTimedOutShareItsTimeoutInsteadOfAskingAgain() throws Exception {
        origin.stubFor(WireMock.get("/hung").willReturn(aResponse().withFixedDelay(4000).withBody("late")));
        List<RawHttp.Response> r = leaderAndFollowers("/hung", 100, 3, port -> { });
        for (RawHttp.Response response : r) {
            assertEquals(504, response.status());
            assertEquals("origin-timeout", status(response).detail(), response.header("Cache-Status"));
        }
        r.subList(1, 4).forEach(f -> assertTrue(status(f).collapsed(), "the leader's answer: "
                + f.header("Cache-Status")));
        assertEquals(1, originHits("/hung"), "one request to the origin that does not answer (four, one after"
                + " another timeout each, without sharing it)");
    }

    /**
     * A follower that came late (1.8 s into the leader's 2 s timeout) does not share the leader's timeout: it asks
     * (as the next leader), and the origin, which hung only the first request, answers it.
     */
    @Test
    void aFollowerThatCameLateToAFetchThatTimedOutAsksItself() throws Exception {
        origin.stubFor(WireMock.get("/flaky").inScenario("flaky").whenScenarioStateIs(
                com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED).willSetStateTo("answering")
                .willReturn(aResponse().withFixedDelay(4000).withBody("late")));
        origin.stubFor(WireMock.get("/flaky").inScenario("flaky").whenScenarioStateIs("answering")
                .willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("fine")));
        List<RawHttp.Response> r = leaderAndFollowers("/flaky", 1800, 1, port -> { });
        assertEquals(504, r.get(0).status());
        assertEquals(200, r.get(1).status(), r.get(1).header("Cache-Status"));
        assertEquals("fine", r.get(1).text());
        assertFalse(status(r.get(1)).collapsed(), "its own fetch: " + r.get(1).header("Cache-Status"));
        assertEquals(2, originHits("/flaky"));
    }

    @Test
    void originTimeoutIs504() throws Exception {
        origin.stubFor(WireMock.get("/slow").willReturn(aResponse().withFixedDelay(4000).withBody("late")));
        RawHttp.Response r = get("/slow");
        assertEquals(504, r.status());
        assertEquals("origin timed out", r.text().trim());
    }

    @Test
    void rfc9111_4_4_unsafeMethodInvalidatesTheTargetAndLocation() throws Exception {
        origin.stubFor(WireMock.get("/item").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("v1")));
        origin.stubFor(WireMock.get("/list").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("l1")));
        origin.stubFor(post("/item").willReturn(aResponse().withStatus(201).withHeader("Location", "/list")));
        get("/item");
        get("/list");
        RawHttp.Response post = request("POST", "/item", "Content-Length: 0");
        assertEquals(201, post.status());
        assertEquals("method", status(post).fwd());
        assertEquals("uri-miss", status(get("/item")).fwd());
        assertEquals("uri-miss", status(get("/list")).fwd());
    }

    @Test
    void rfc9110_14_singleRangeAnsweredFromCache() throws Exception {
        origin.stubFor(WireMock.get("/r").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("ETag", "\"r1\"").withBody("0123456789")));
        get("/r");
        RawHttp.Response part = get("/r", "Range: bytes=2-5");
        assertEquals(206, part.status());
        assertEquals("2345", part.text());
        assertEquals("bytes 2-5/10", part.header("Content-Range"));
        RawHttp.Response ifRangeMismatch = get("/r", "Range: bytes=2-5", "If-Range: \"other\"");
        assertEquals(200, ifRangeMismatch.status());
        assertEquals("0123456789", ifRangeMismatch.text());
        RawHttp.Response ifRangeMatch = get("/r", "Range: bytes=-3", "If-Range: \"r1\"");
        assertEquals(206, ifRangeMatch.status());
        assertEquals("789", ifRangeMatch.text());
        assertEquals(1, originHits("/r"));
    }

    @Test
    void rfc9111_4_headAnsweredFromStoredGet() throws Exception {
        origin.stubFor(WireMock.get("/h").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("12345")));
        get("/h");
        RawHttp.Response head = request("HEAD", "/h");
        assertEquals(200, head.status());
        assertEquals("5", head.header("Content-Length"));
        assertEquals(0, head.body().length);
        assertTrue(status(head).hit());
    }

    @Test
    void rfc9213_cdnCacheControlOverridesCacheControlForThisCache() throws Exception {
        origin.stubFor(WireMock.get("/cdn").willReturn(aResponse().withHeader("Cache-Control", "no-store")
                .withHeader("CDN-Cache-Control", "max-age=60").withBody("x")));
        RawHttp.Response first = get("/cdn");
        assertEquals("no-store", first.header("Cache-Control"), "Cache-Control passes on to browsers");
        assertNull(first.header("CDN-Cache-Control"), "CDN-only field ends at the outermost edge");
        assertTrue(status(get("/cdn")).hit());
        assertEquals(1, originHits("/cdn"));
    }

    @Test
    void surrogateControlIsHonouredAndRemoved() throws Exception {
        origin.stubFor(WireMock.get("/sc").willReturn(aResponse().withHeader("Cache-Control", "max-age=0")
                .withHeader("Surrogate-Control", "max-age=60").withBody("x")));
        RawHttp.Response first = get("/sc");
        assertNull(first.header("Surrogate-Control"));
        RawHttp.Response second = get("/sc");
        assertTrue(status(second).hit());
        assertNull(second.header("Surrogate-Control"));
    }

    @Test
    void rfc9110_7_6_hopByHopFieldsRemovedAndForwardingFieldsSetByTheEdge() throws Exception {
        origin.stubFor(WireMock.get("/hop").willReturn(aResponse().withHeader("Cache-Control", "no-store")
                .withHeader("Keep-Alive", "timeout=5").withHeader("X-Secret-Hop", "1")
                .withHeader("Connection", "X-Secret-Hop").withBody("x")));
        RawHttp.Response r = get("/hop", "Connection: X-Client-Hop", "X-Client-Hop: 1",
                "X-Forwarded-For: 6.6.6.6", "X-Forwarded-Host: evil.example", "X-Original-URL: /admin",
                "X-Rewrite-URL: /admin", "X-Host: evil.example", "Proxy-Authorization: x", "TE: trailers");
        assertNull(r.header("X-Secret-Hop"));
        assertNull(r.header("Keep-Alive"));
        assertNotNull(r.header("Via"));
        origin.verify(getRequestedFor(urlEqualTo("/hop"))
                .withHeader("X-Client-Hop", absent())
                .withHeader("X-Original-URL", absent())
                .withHeader("X-Rewrite-URL", absent())
                .withHeader("X-Host", absent())
                .withHeader("Proxy-Authorization", absent())
                .withHeader("TE", absent())
                .withHeader("X-Forwarded-For", equalTo("127.0.0.1"))
                .withHeader("X-Forwarded-Host", equalTo(HOST))
                .withHeader("X-Forwarded-Proto", equalTo("http"))
                .withHeader("Via", equalTo("1.1 edge-test-1 (outpost)")));
    }

    @Test
    void absoluteFormTargetUsesItsAuthorityAsTheHost() throws Exception {
        origin.stubFor(WireMock.get("/abs").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("x")));
        RawHttp.exchange(port(), "GET http://other.example/abs HTTP/1.1\r\nHost: site.example\r\n"
                + "Connection: close\r\n\r\n");
        RawHttp.Response viaHost = RawHttp.get(port(), "other.example", "/abs");
        assertTrue(status(viaHost).hit(), "stored under other.example, the authority of the absolute target");
        assertEquals("uri-miss", status(get("/abs")).fwd());
    }

    @Test
    void upstreamCacheStatusEntriesArePreserved() throws Exception {
        origin.stubFor(WireMock.get("/up").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Cache-Status", "origin-cache; hit").withBody("x")));
        RawHttp.Response r = get("/up");
        assertTrue(r.header("Cache-Status").startsWith("origin-cache; hit, edge-test-1"), r.header("Cache-Status"));
    }

    @Test
    void collapsing_concurrentMissesMakeOneOriginRequest() throws Exception {
        origin.stubFor(WireMock.get("/hot").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("hot").withFixedDelay(500)));
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<RawHttp.Response>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(pool.submit(() -> get("/hot")));
            }
            int collapsed = 0;
            for (Future<RawHttp.Response> f : all) {
                RawHttp.Response r = f.get();
                assertEquals(200, r.status());
                assertEquals("hot", r.text());
                if (status(r).collapsed()) {
                    collapsed++;
                }
            }
            assertEquals(1, originHits("/hot"));
            assertTrue(collapsed >= 1, "followers report collapsed");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void collapsing_uncacheableAnswerSendsWaitersToTheOriginAndIsRemembered() throws Exception {
        origin.stubFor(WireMock.get("/u").willReturn(aResponse().withHeader("Cache-Control", "private")
                .withBody("u").withFixedDelay(300)));
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<RawHttp.Response>> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                all.add(pool.submit(() -> get("/u")));
            }
            for (Future<RawHttp.Response> f : all) {
                assertEquals("u", f.get().text());
            }
            assertEquals(5, originHits("/u"), "every waiter was woken and fetched for itself");
            double waitsBefore = edge.registry().get("outpost.collapsed.waits").counter().count();
            all.clear();
            for (int i = 0; i < 5; i++) {
                all.add(pool.submit(() -> get("/u")));
            }
            for (Future<RawHttp.Response> f : all) {
                assertEquals("u", f.get().text());
            }
            assertEquals(waitsBefore, edge.registry().get("outpost.collapsed.waits").counter().count(),
                    "a key known to be uncacheable does not queue");
            assertEquals(10, originHits("/u"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rfc9111_4_3_2_clientConditionalOnAMissIsAnswered304AndTheObjectStillStored() throws Exception {
        origin.stubFor(WireMock.get("/cm").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("ETag", "\"m1\"").withBody("x".repeat(200_000))));
        RawHttp.Response conditional = get("/cm", "If-None-Match: \"m1\"");
        assertEquals(304, conditional.status());
        RawHttp.Response plain = get("/cm");
        assertEquals(200, plain.status());
        assertEquals(200_000, plain.body().length);
        assertTrue(status(plain).hit() || status(plain).collapsed(),
                "served from the stored copy (or collapsed onto its fill) although the client got a 304");
        assertEquals(1, originHits("/cm"));
    }

    @Test
    void bodylessPostIsForwarded() throws Exception {
        origin.stubFor(post("/p").willReturn(aResponse().withStatus(204)));
        assertEquals(204, request("POST", "/p").status());
        assertEquals(204, request("POST", "/p", "Content-Length: 0").status());
    }

    @Test
    void generatedErrorsCarryDateAndCacheStatus() throws Exception {
        origin.stop();
        RawHttp.Response r = get("/x");
        assertEquals(502, r.status());
        assertNotNull(r.header("Date"));
        assertEquals("origin-unreachable", status(r).detail());
    }

    @Test
    void rfc9111_4_3_5_headResponseFreshensTheStoredGet() throws Exception {
        origin.stubFor(WireMock.get("/hd").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"h1\"").withHeader("X-Version", "1").withBody("12345")));
        get("/hd");
        clock.advance(Duration.ofSeconds(11));
        origin.stubFor(WireMock.head(urlEqualTo("/hd")).willReturn(aResponse().withHeader("Cache-Control", "max-age=100")
                .withHeader("ETag", "\"h1\"").withHeader("X-Version", "2").withHeader("Content-Length", "5")));
        RawHttp.Response head = request("HEAD", "/hd");
        assertEquals(200, head.status());
        RawHttp.Response after = get("/hd");
        assertTrue(status(after).hit(), "freshened by the HEAD response");
        assertEquals("2", after.header("X-Version"));
        assertEquals("12345", after.text());
    }

    @Test
    void rfc9111_4_3_5_headResponseWithAnotherValidatorInvalidatesTheStoredGet() throws Exception {
        origin.stubFor(WireMock.get("/hx").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"x1\"").withBody("old")));
        get("/hx");
        clock.advance(Duration.ofSeconds(11));
        origin.stubFor(WireMock.head(urlEqualTo("/hx")).willReturn(aResponse().withHeader("Cache-Control", "max-age=100")
                .withHeader("ETag", "\"x2\"")));
        request("HEAD", "/hx");
        origin.stubFor(WireMock.get("/hx").willReturn(aResponse().withHeader("Cache-Control", "max-age=100")
                .withHeader("ETag", "\"x2\"").withBody("new")));
        RawHttp.Response after = get("/hx");
        assertFalse(status(after).hit());
        assertEquals("new", after.text());
    }

    @Test
    void hitsNeverWaitForASlowOriginFetchOfAnotherKey() throws Exception {
        origin.stubFor(WireMock.get("/fast").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("f")));
        origin.stubFor(WireMock.get("/crawl").willReturn(aResponse().withBody("c").withFixedDelay(1500)));
        get("/fast");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<RawHttp.Response> slow = pool.submit(() -> get("/crawl"));
            Thread.sleep(200);
            RawHttp.Response hit = get("/fast");
            assertTrue(status(hit).hit());
            assertFalse(slow.isDone(), "the hit was answered while the slow fetch was still running");
            assertEquals("c", slow.get().text());
        } finally {
            pool.shutdownNow();
        }
    }
}
