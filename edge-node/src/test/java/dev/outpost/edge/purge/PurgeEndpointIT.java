package dev.outpost.edge.purge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code POST /purge} on the admin port against a real edge and a WireMock origin (ARCHITECTURE §4). */
class PurgeEndpointIT extends EdgeTestBase {

    static final String TOKEN = "s3cret-admin-token";

    @Override
    protected String edgeYaml() {
        return withToken(super.edgeYaml());
    }

    static String withToken(String yaml) {
        String admin = "admin:\n  host: 127.0.0.1\n";
        assertTrue(yaml.contains(admin));
        return yaml.replace(admin, admin + "  token: " + TOKEN + "\n");
    }

    // ---------------------------------------------------------------- helpers

    static RawHttp.Response post(int adminPort, String contentType, String body, String... headerLines)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("POST /purge HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        if (contentType != null) {
            sb.append("Content-Type: ").append(contentType).append("\r\n");
        }
        sb.append("Content-Length: ").append(bytes.length).append("\r\nConnection: close\r\n\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + bytes.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bytes, 0, all, head.length, bytes.length);
        return RawHttp.exchange(adminPort, all, false);
    }

    static int purgeOk(int adminPort, String json) throws IOException {
        RawHttp.Response r = post(adminPort, "application/json", json, "Authorization: Bearer " + TOKEN);
        assertEquals(200, r.status(), r.text());
        return new JsonObject(r.text()).getInteger("purged");
    }

    private int purge(String json) throws IOException {
        return purgeOk(edge.adminPort(), json);
    }

    private RawHttp.Response purgeRaw(String contentType, String body, String... headerLines) throws IOException {
        return post(edge.adminPort(), contentType, body, headerLines);
    }

    static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private int originCount(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    private void cacheable(String path, String body, String... headers) {
        var response = aResponse().withHeader("Cache-Control", "max-age=600").withHeader("ETag", "\"" + body + "\"")
                .withBody(body);
        for (int i = 0; i < headers.length; i += 2) {
            response = response.withHeader(headers[i], headers[i + 1]);
        }
        origin.stubFor(WireMock.get(path).willReturn(response));
        origin.stubFor(WireMock.get(path).withHeader("If-None-Match", equalTo("\"" + body + "\""))
                .willReturn(aResponse().withStatus(304).withHeader("Cache-Control", "max-age=600")
                        .withHeader("ETag", "\"" + body + "\"")));
    }

    /** Fetches {@code path} twice and checks the second one was a hit. */
    private void warm(String path, String... headerLines) throws Exception {
        get(path, headerLines);
        for (int i = 0; i < 50 && !status(get(path, headerLines)).hit(); i++) {
            Thread.sleep(20); // the fill's commit may still be running when the client has the body
        }
        assertTrue(status(get(path, headerLines)).hit(), path + " is cached");
    }

    private void assertMiss(String path, String... headerLines) throws IOException {
        int before = originCount(path);
        RawHttp.Response r = get(path, headerLines);
        assertEquals(200, r.status());
        CacheStatusEntry s = status(r);
        assertTrue(!s.hit() && s.fwd() != null && s.fwd().endsWith("miss"), path + " is a miss: " + s);
        assertEquals(before + 1, originCount(path));
    }

    private void assertRevalidated(String path, String body, String... headerLines) throws IOException {
        RawHttp.Response r = get(path, headerLines);
        assertEquals(200, r.status());
        assertEquals(body, r.text());
        CacheStatusEntry s = status(r);
        assertEquals("stale", s.fwd(), path + " is revalidated: " + s);
        assertEquals("304", s.fwdStatus());
    }

    private void assertHit(String path, String... headerLines) throws IOException {
        assertTrue(status(get(path, headerLines)).hit(), path + " is still a hit");
    }

    // ---------------------------------------------------------------- url

    @Test
    void hardUrlPurgeRemovesEveryVariant() throws Exception {
        cacheable("/v", "en", "Vary", "Accept-Language");
        cacheable("/other", "o");
        warm("/v", "Accept-Language: en");
        warm("/v", "Accept-Language: de");
        warm("/other");
        assertEquals(2, purge("{\"type\":\"url\",\"values\":[\"https://site.example/v\"]}"));
        assertMiss("/v", "Accept-Language: en");
        assertMiss("/v", "Accept-Language: de");
        assertHit("/other");
    }

    @Test
    void softUrlPurgeMakesEveryVariantRevalidate() throws Exception {
        cacheable("/v", "en", "Vary", "Accept-Language");
        warm("/v", "Accept-Language: en");
        warm("/v", "Accept-Language: de");
        assertEquals(2, purge("{\"type\":\"url\",\"values\":[\"http://site.example/v\"],\"soft\":true}"));
        assertRevalidated("/v", "en", "Accept-Language: en");
        assertRevalidated("/v", "en", "Accept-Language: de");
        assertHit("/v", "Accept-Language: en");
    }

    /**
     * Issue 4: a soft-purged object is stale, so stale-while-revalidate serves it at once and revalidates
     * in the background, with no-cache like the foreground validation of a purged object.
     */
    @Test
    void softPurgedObjectWithStaleWhileRevalidateIsServedAndRevalidatedInTheBackground() throws Exception {
        cacheable("/swr", "s", "Cache-Control", "max-age=600, stale-while-revalidate=60");
        cacheable("/plain", "p");
        warm("/swr");
        warm("/plain");
        assertEquals(2, purge("{\"type\":\"url\",\"values\":[\"http://site.example/swr\","
                + "\"http://site.example/plain\"],\"soft\":true}"));
        int before = origin.getAllServeEvents().size();

        RawHttp.Response r = get("/swr");
        assertEquals("s", r.text());
        CacheStatusEntry s = status(r);
        assertTrue(s.hit(), "served from the cache: " + s);
        assertEquals("stale", s.fwd());
        awaitOriginRequests(before + 1);
        var conditional = getRequestedFor(urlEqualTo("/swr")).withHeader("If-None-Match", equalTo("\"s\""));
        assertEquals(1, origin.countRequestsMatching(conditional.build()).getCount());
        assertEquals(1, origin.countRequestsMatching(conditional.withHeader("Cache-Control", equalTo("no-cache"))
                .build()).getCount(), "the background revalidation of a purged object sends no-cache");
        for (int i = 0; i < 50 && edge.pipeline().revalidationsInFlight() > 0; i++) {
            Thread.sleep(20); // the 304's update may still be being applied
        }
        assertHit("/swr");

        assertRevalidated("/plain", "p"); // without stale-while-revalidate: validated before it is served
    }

    @Test
    void softPrefixTagAndAllPurgesReachEveryVaryVariant() throws Exception {
        cacheable("/v", "en", "Vary", "Accept-Language", "Surrogate-Key", "vt");
        for (String verb : new String[] {
            "{\"type\":\"prefix\",\"values\":[\"http://site.example/v\"],\"soft\":true}",
            "{\"type\":\"tag\",\"values\":[\"vt\"],\"soft\":true}",
            "{\"type\":\"all\",\"host\":\"site.example\",\"soft\":true}",
            "{\"type\":\"all\",\"soft\":true}"}) {
            warm("/v", "Accept-Language: en");
            warm("/v", "Accept-Language: de");
            purge(verb);
            assertRevalidated("/v", "en", "Accept-Language: en");
            assertRevalidated("/v", "en", "Accept-Language: de");
            assertHit("/v", "Accept-Language: en");
            assertHit("/v", "Accept-Language: de");
        }
    }

    // ---------------------------------------------------------------- prefix

    @Test
    void hardPrefixPurge() throws Exception {
        cacheable("/images/a.png", "a");
        cacheable("/images/b.png", "b");
        cacheable("/css/c.css", "c");
        warm("/images/a.png");
        warm("/images/b.png");
        warm("/css/c.css");
        assertEquals(2, purge("{\"type\":\"prefix\",\"values\":[\"http://site.example/images/\"]}"));
        assertMiss("/images/a.png");
        assertMiss("/images/b.png");
        assertHit("/css/c.css");
    }

    @Test
    void softPrefixPurge() throws Exception {
        cacheable("/images/a.png", "a");
        cacheable("/css/c.css", "c");
        warm("/images/a.png");
        warm("/css/c.css");
        assertEquals(1, purge("{\"type\":\"prefix\",\"values\":[\"http://site.example/images/\"],\"soft\":true}"));
        assertRevalidated("/images/a.png", "a");
        assertHit("/css/c.css");
    }

    // ---------------------------------------------------------------- tag

    @Test
    void hardTagPurgeUsesSurrogateKeyAndCacheTagAndStripsThem() throws Exception {
        cacheable("/sk", "sk", "Surrogate-Key", "product-1 shelf");
        cacheable("/ct", "ct", "Cache-Tag", "shelf,product-2");
        cacheable("/cg", "cg", "Cache-Groups", "\"shelf\"");
        cacheable("/none", "none");
        for (String p : new String[] {"/sk", "/ct", "/cg"}) {
            RawHttp.Response r = get(p);
            assertNull(r.header("Surrogate-Key"), "stripped at the outermost edge");
            assertNull(r.header("Cache-Tag"), "stripped at the outermost edge");
            assertNull(r.header("Cache-Groups"), "stripped at the outermost edge");
        }
        warm("/none");
        assertEquals(1, purge("{\"type\":\"tag\",\"values\":[\"product-2\"]}"));
        assertMiss("/ct");
        assertHit("/sk");
        assertEquals(3, purge("{\"type\":\"tag\",\"values\":[\"shelf\"],\"host\":\"site.example\"}"));
        assertMiss("/sk");
        assertMiss("/ct");
        assertMiss("/cg");
        assertHit("/none");
    }

    @Test
    void tagPurgeNarrowedToAnotherHostLeavesThisOne() throws Exception {
        cacheable("/sk", "sk", "Surrogate-Key", "shelf");
        warm("/sk");
        assertEquals(0, purge("{\"type\":\"tag\",\"values\":[\"shelf\"],\"host\":\"other.example\"}"));
        assertHit("/sk");
    }

    @Test
    void softTagPurge() throws Exception {
        cacheable("/sk", "sk", "Surrogate-Key", "product-1 shelf");
        cacheable("/ct", "ct", "Cache-Tag", "shelf, product-2");
        cacheable("/none", "none");
        warm("/sk");
        warm("/ct");
        warm("/none");
        assertEquals(2, purge("{\"type\":\"tag\",\"values\":[\"shelf\"],\"soft\":true}"));
        assertRevalidated("/sk", "sk");
        assertRevalidated("/ct", "ct");
        assertHit("/none");
    }

    // ---------------------------------------------------------------- all

    @Test
    void hardPurgeOfEverything() throws Exception {
        cacheable("/a", "a");
        cacheable("/b", "b");
        warm("/a");
        warm("/b");
        assertEquals(2, purge("{\"type\":\"all\"}"));
        assertMiss("/a");
        assertMiss("/b");
    }

    @Test
    void hardPurgeOfOtherHostLeavesThisOne() throws Exception {
        cacheable("/a", "a");
        warm("/a");
        // a purge of everything is a marker: it does not visit objects, so it reports the variants stored
        // (an upper bound for one host), not how many of them were that host's
        assertEquals(1, purge("{\"type\":\"all\",\"host\":\"other.example\"}"));
        assertHit("/a");
        assertEquals(1, purge("{\"type\":\"all\",\"host\":\"Site.Example\"}"));
        assertMiss("/a");
    }

    @Test
    void softPurgeOfEverything() throws Exception {
        cacheable("/a", "a");
        cacheable("/b", "b");
        warm("/a");
        warm("/b");
        assertEquals(2, purge("{\"type\":\"all\",\"soft\":true}"));
        assertRevalidated("/a", "a");
        assertRevalidated("/b", "b");
    }

    @Test
    void softPurgedObjectIsStillServedStaleIfTheOriginFails() throws Exception {
        origin.stubFor(WireMock.get("/sie").willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=600, stale-if-error=600").withHeader("ETag", "\"x\"")
                .withBody("kept")));
        warm("/sie");
        assertEquals(1, purge("{\"type\":\"url\",\"values\":[\"http://site.example/sie\"],\"soft\":true}"));
        origin.stubFor(WireMock.get("/sie").willReturn(aResponse().withStatus(503)));
        RawHttp.Response r = get("/sie");
        assertEquals(200, r.status(), "stale-if-error still applies after a soft purge");
        assertEquals("kept", r.text());
    }

    // ---------------------------------------------------------------- rejected requests

    @Test
    void purgesAreCountedInMetrics() throws Exception {
        cacheable("/a", "a");
        warm("/a");
        assertEquals(1, purge("{\"type\":\"url\",\"values\":[\"http://site.example/a\"],\"soft\":true}"));
        purgeRaw("application/json", "{}", "Authorization: Bearer wrong");
        String metrics = RawHttp.get(edge.adminPort(), "127.0.0.1", "/metrics").text();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("outpost_purges_total{") && l.contains("type=\"url\"")
                && l.contains("soft=\"true\"") && l.endsWith(" 1.0")), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("outpost_purged_objects_total") && l.endsWith(" 1.0")));
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("outpost_purges_rejected_total") && l.endsWith(" 1.0")));
    }

    @Test
    void tokensAreChecked() throws Exception {
        String body = "{\"type\":\"all\"}";
        RawHttp.Response none = purgeRaw("application/json", body);
        assertEquals(401, none.status());
        assertEquals("Bearer", none.header("WWW-Authenticate"));
        assertEquals(401, purgeRaw("application/json", body, "Authorization: Basic Zm9vOmJhcg==").status());
        assertEquals(403, purgeRaw("application/json", body, "Authorization: Bearer wrong").status());
        assertEquals(200, purgeRaw("application/json", body, "Authorization: Bearer " + TOKEN).status());
    }

    @Test
    void withoutConfiguredTokenPurgeIsDisabled() throws Exception {
        var other = startEdge(super.edgeYaml());
        try {
            RawHttp.Response r = post(other.adminPort(), "application/json", "{\"type\":\"all\"}",
                    "Authorization: Bearer " + TOKEN);
            assertEquals(403, r.status());
            assertTrue(r.text().contains("admin.token"), r.text());
        } finally {
            other.stop(Duration.ofMillis(200));
        }
    }

    private void assertBadRequest(String body, String field) throws IOException {
        RawHttp.Response r = purgeRaw("application/json", body, "Authorization: Bearer " + TOKEN);
        assertEquals(400, r.status(), body);
        String error = new JsonObject(r.text()).getString("error");
        assertTrue(error.startsWith(field), body + " → " + error);
    }

    @Test
    void badBodiesAreRejectedNamingTheField() throws Exception {
        assertBadRequest("", "body");
        assertBadRequest("not json", "body");
        assertBadRequest("[1]", "body");
        assertBadRequest("{}", "type");
        assertBadRequest("{\"type\":\"everything\"}", "type");
        assertBadRequest("{\"type\":7,\"values\":[\"x\"]}", "type");
        assertBadRequest("{\"type\":\"url\"}", "values");
        assertBadRequest("{\"type\":\"url\",\"values\":[]}", "values");
        assertBadRequest("{\"type\":\"url\",\"values\":\"http://site.example/\"}", "values");
        assertBadRequest("{\"type\":\"tag\",\"values\":[1]}", "values[0]");
        assertBadRequest("{\"type\":\"url\",\"values\":[\"http://site.example/a\",\"/relative\"]}", "values[1]");
        assertBadRequest("{\"type\":\"url\",\"values\":[\"ftp://site.example/a\"]}", "values[0]");
        assertBadRequest("{\"type\":\"url\",\"values\":[\"http://site.example/a b\"]}", "values[0]");
        assertBadRequest("{\"type\":\"prefix\",\"values\":[\"site.example/images/\"]}", "values[0]");
        assertBadRequest("{\"type\":\"url\",\"values\":[\"http://a.example/x\"],\"host\":\"b.example\"}",
                "values[0]");
        assertBadRequest("{\"type\":\"all\",\"values\":[\"x\"]}", "values");
        assertBadRequest("{\"type\":\"all\",\"soft\":\"yes\"}", "soft");
        assertBadRequest("{\"type\":\"all\",\"host\":5}", "host");
        assertBadRequest("{\"type\":\"all\",\"hosts\":\"a\"}", "hosts");
    }

    @Test
    void nonJsonContentTypeIs415() throws Exception {
        assertEquals(415, purgeRaw("text/plain", "{\"type\":\"all\"}", "Authorization: Bearer " + TOKEN).status());
        assertEquals(415, purgeRaw(null, "{\"type\":\"all\"}", "Authorization: Bearer " + TOKEN).status());
        assertEquals(200, purgeRaw("application/json; charset=utf-8", "{\"type\":\"all\"}",
                "Authorization: Bearer " + TOKEN).status());
    }

    @Test
    void bodyOverTheLimitIs413() throws Exception {
        String big = "{\"type\":\"tag\",\"values\":[\"" + "x".repeat((int) PurgeEndpoint.MAX_BODY_BYTES) + "\"]}";
        assertEquals(413, purgeRaw("application/json", big, "Authorization: Bearer " + TOKEN).status());
    }

    /** docs/purge-protocol.md: without purge.api-url a gap cannot be filled; the purge is applied anyway. */
    @Test
    void withoutAFeedAGapIsAppliedAndLastAppliedStays() throws Exception {
        cacheable("/g", "g");
        warm("/g");
        JsonObject first = new JsonObject(post(edge.adminPort(), "application/json",
                "{\"type\":\"all\",\"sequence\":1}", "Authorization: Bearer " + TOKEN).text());
        assertEquals(1, first.getLong("lastApplied"));
        warm("/g");
        RawHttp.Response gap = post(edge.adminPort(), "application/json",
                "{\"type\":\"url\",\"values\":[\"http://site.example/g\"],\"sequence\":3}",
                "Authorization: Bearer " + TOKEN);
        assertEquals(200, gap.status());
        assertEquals(1, new JsonObject(gap.text()).getInteger("purged"));
        assertEquals(1, new JsonObject(gap.text()).getLong("lastApplied"));
        assertMiss("/g");
        JsonObject state = new JsonObject(RawHttp.get(edge.adminPort(), "127.0.0.1", "/purge/state",
                "Authorization: Bearer " + TOKEN).text());
        assertEquals(1, state.getLong("lastApplied"));
        assertEquals(false, state.getBoolean("caughtUp"), "sequence 2 was never applied");
        assertEquals(200, RawHttp.get(edge.adminPort(), "127.0.0.1", "/readyz").status(), "no feed: ready");
    }

    @Test
    void aRequestArrivingAfterAPurgeDoesNotReadAlongTheFillItOvertook() throws Exception {
        origin.stubFor(WireMock.get("/warm").willReturn(WireMock.aResponse().withBody("w")));
        get("/warm"); // connections and code paths warm: the timings below are the origin's
        // the head after 600 ms, the body over 1.5 s: a purge lands at 1 s, while the fill streams in
        origin.stubFor(WireMock.get("/fill").willReturn(WireMock.aResponse().withFixedDelay(600)
                .withChunkedDribbleDelay(10, 1500).withHeader("Content-Length", "10")
                .withHeader("Cache-Control", "max-age=60").withBody("OLDOLDOLD!")));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            var leader = pool.submit(() -> get("/fill"));
            Thread.sleep(200);
            var before = pool.submit(() -> get("/fill")); // waits at the head: reads along
            Thread.sleep(800);
            origin.stubFor(WireMock.get("/fill").willReturn(WireMock.aResponse()
                    .withHeader("Cache-Control", "max-age=60").withBody("NEWNEWNEW!")));
            RawHttp.Response purged = post(edge.adminPort(), "application/json",
                    "{\"type\":\"url\",\"values\":[\"http://" + HOST + "/fill\"]}", "Authorization: Bearer " + TOKEN);
            assertEquals(200, purged.status(), purged.text());
            var after = pool.submit(() -> get("/fill"));
            assertEquals("OLDOLDOLD!", leader.get().text(), "the leader's own fetch");
            assertEquals("OLDOLDOLD!", before.get().text(), "read along from before the purge, as the leader's");
            assertTrue(ourCacheStatus(before.get()).contains(";collapsed"), ourCacheStatus(before.get()));
            assertEquals("NEWNEWNEW!", after.get().text(), "after the purge: not the fill it overtook");
            assertEquals(2, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/fill")).build()).getCount());
        } finally {
            pool.shutdownNow();
        }
    }
}
