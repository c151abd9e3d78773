package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.http.Fault;
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
 * RFC 5861 §4 stale-if-error without asking an origin that failed moments ago (OriginHold,
 * {@code origin-client.down-hold}, 5s by default): a real edge, a WireMock origin that resets
 * connections or answers 503, a hand-moved clock.
 */
class OriginHoldIT extends EdgeTestBase {

    private static final String SIE = "max-age=1, stale-if-error=600";

    private static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private int originHits(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    private void store(String path, String cacheControl, String body) throws Exception {
        origin.stubFor(WireMock.get(path).willReturn(aResponse().withHeader("Cache-Control", cacheControl)
                .withBody(body)));
        assertEquals(body, get(path).text());
    }

    private void failWith(String path, Fault fault) {
        origin.stubFor(WireMock.get(path).willReturn(aResponse().withFault(fault)));
    }

    private double heldServed() {
        return edge.registry().get("outpost.stale.served.origin.held").counter().count();
    }

    private double heldNow() {
        return edge.registry().get("outpost.origins.held").gauge().value();
    }

    @Test
    void aStaleIfErrorResponseIsServedWithoutAskingUntilTheHoldEndsThenOneRequestAsks() throws Exception {
        store("/held", SIE, "kept");
        clock.advance(Duration.ofSeconds(5));
        failWith("/held", Fault.CONNECTION_RESET_BY_PEER);

        RawHttp.Response asked = get("/held");
        assertEquals("kept", asked.text());
        assertEquals("stale", status(asked).fwd(), "the first failure is the origin's answer to a validation");
        RawHttp.Response held = get("/held");
        assertEquals(200, held.status());
        assertEquals("kept", held.text());
        assertTrue(status(held).hit());
        assertNull(status(held).fwd(), "not forwarded: the origin failed moments ago");
        assertEquals("origin-held", status(held).detail());
        assertTrue(status(held).ttl() < 0, "RFC 9211 §2.4: stale");
        assertEquals(2, originHits("/held"), "the fill and the one failed validation");
        assertEquals(1.0, heldServed());
        assertEquals(1.0, heldNow());

        clock.advance(Duration.ofSeconds(5));
        assertEquals("stale", status(get("/held")).fwd(), "after the hold one request asks again");
        assertEquals(3, originHits("/held"));
        assertEquals("origin-held", status(get("/held")).detail(), "...and, failing again, holds it again");
        assertEquals(3, originHits("/held"));

        store("/new", "max-age=60", "new");
        assertEquals(1, originHits("/new"), "a miss still goes to a held origin: it has nothing else to answer with");
        store("/held", "max-age=60", "fresh");
        assertEquals(4, originHits("/held"), "the origin's answer to the miss released it");
        assertEquals(0.0, heldNow());
    }

    @Test
    void a503HoldsToo() throws Exception {
        store("/busy", SIE, "kept");
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get("/busy").willReturn(aResponse().withStatus(503).withBody("overloaded")));
        assertEquals("503", status(get("/busy")).fwdStatus());
        RawHttp.Response held = get("/busy");
        assertEquals("kept", held.text());
        assertEquals("origin-held", status(held).detail());
        assertEquals(2, originHits("/busy"));
    }

    @Test
    void onlyWhatStaleIfErrorCoversWithoutAnAttemptIsServedWhileHeld() throws Exception {
        store("/plain", "max-age=1", "plain");                               // no stale-if-error
        store("/strict", SIE + ", must-revalidate", "strict");                 // RFC 9111 §4.2.4
        store("/fresh", "max-age=600", "fresh");                               // fresh: a no-cache request asks
        store("/held", SIE, "kept");
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get(urlMatching("/.*")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertEquals("stale", status(get("/held")).fwd());
        assertEquals("origin-held", status(get("/held")).detail(), "held now");

        assertEquals(502, get("/plain").status(), "stale without stale-if-error: asked, and the error passes");
        assertEquals(2, originHits("/plain"));
        assertEquals(502, get("/strict").status(), "must-revalidate: never served stale");
        assertEquals(2, originHits("/strict"));
        RawHttp.Response noCache = get("/fresh", "Cache-Control: no-cache");
        assertEquals("fresh", noCache.text(), "asked, failed, then the fresh copy stands in (RFC 5861 §4)");
        assertEquals("stale", status(noCache).fwd(), "the request asked for the origin and got an attempt");
        assertEquals(2, originHits("/fresh"));
        RawHttp.Response maxAge0 = get("/held", "Cache-Control: max-age=0");
        assertEquals("kept", maxAge0.text());
        assertEquals("stale", status(maxAge0).fwd(), "RFC 9111 §5.2.1.1: max-age=0 asks for validation");
        RawHttp.Response head = request("HEAD", "/held");
        assertEquals("stale", status(head).fwd(), "HEAD is forwarded (RFC 9111 §4.3.5)");
    }

    @Test
    void staleWhileRevalidateDoesNotRevalidateAgainstAHeldOrigin() throws Exception {
        store("/swr", "max-age=1, stale-while-revalidate=600, stale-if-error=600", "swr");
        store("/held", SIE, "kept");
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get(urlMatching("/.*")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertEquals("stale", status(get("/held")).fwd()); // holds the origin
        for (int i = 0; i < 3; i++) {
            RawHttp.Response r = get("/swr");
            assertEquals("swr", r.text());
            assertEquals("stale", status(r).fwd(), "stale served at once (RFC 5861 §3)");
        }
        assertEquals(1, originHits("/swr"), "no background revalidation while held: only the fill");
    }

    @Test
    void afterTheHoldOneRequestAsksWhileTheOthersAreServedAtOnce() throws Exception {
        int n = 8;
        for (int i = 0; i < n; i++) {
            store("/k" + i, SIE, "kept" + i);
        }
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get(urlMatching("/k.*")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertEquals("stale", status(get("/k0")).fwd()); // holds the origin
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get(urlMatching("/k.*")).willReturn(aResponse().withFixedDelay(500)
                .withFault(Fault.CONNECTION_RESET_BY_PEER)));

        List<RawHttp.Response> answers = concurrently(n, i -> "/k" + i);
        int asked = 0;
        for (int i = 0; i < n; i++) {
            assertEquals("kept" + i, answers.get(i).text());
            if (!"origin-held".equals(status(answers.get(i)).detail())) {
                asked++;
            }
        }
        assertEquals(1, asked, "exactly one request asked the origin after the hold");
        assertEquals(n + 2, origin.countRequestsMatching(getRequestedFor(urlMatching("/k.*")).build()).getCount(),
                "the fills, the failure that held it, the one ask");
    }

    @Test
    void collapsedValidationsAreServedFromTheLeadersFailure() throws Exception {
        store("/c", SIE, "kept");
        clock.advance(Duration.ofSeconds(5));
        origin.stubFor(WireMock.get("/c").willReturn(aResponse().withFixedDelay(500).withStatus(503)));
        List<RawHttp.Response> answers = concurrently(6, i -> "/c");
        for (RawHttp.Response r : answers) {
            assertEquals("kept", r.text());
        }
        assertEquals(2, originHits("/c"), "the fill and the leader's validation: the waiting ones did not ask");
    }

    private List<RawHttp.Response> concurrently(int n, java.util.function.IntFunction<String> path) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<RawHttp.Response>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String p = path.apply(i);
                futures.add(pool.submit(() -> get(p)));
            }
            List<RawHttp.Response> out = new ArrayList<>();
            for (Future<RawHttp.Response> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
