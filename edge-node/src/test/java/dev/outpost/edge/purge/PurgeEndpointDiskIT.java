package dev.outpost.edge.purge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code POST /purge} with the disk tier: objects that live on disk only, and purges across a restart. */
class PurgeEndpointDiskIT extends EdgeTestBase {

    private Path diskDir;

    @Override
    protected String edgeYaml() {
        if (diskDir == null) {
            diskDir = diskDir("outpost-purge-disk-it");
        }
        return PurgeEndpointIT.withToken(withDiskTier(super.edgeYaml(), diskDir, "64KiB"));
    }

    private static byte[] big(char c) {
        byte[] b = new byte[100_000];
        java.util.Arrays.fill(b, (byte) c);
        return b;
    }

    private void stub(String path, byte[] body, String... headers) {
        String etag = "\"" + path.hashCode() + "\"";
        var r = aResponse().withHeader("Cache-Control", "max-age=600").withHeader("ETag", etag).withBody(body);
        for (int i = 0; i < headers.length; i += 2) {
            r = r.withHeader(headers[i], headers[i + 1]);
        }
        origin.stubFor(WireMock.get(path).willReturn(r));
        origin.stubFor(WireMock.get(path).withHeader("If-None-Match", equalTo(etag)).willReturn(aResponse()
                .withStatus(304).withHeader("Cache-Control", "max-age=600").withHeader("ETag", etag)));
    }

    private CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private int purge(String json) throws Exception {
        return PurgeEndpointIT.purgeOk(edge.adminPort(), json);
    }

    /** Fetches until a disk hit: the fill's commit may still be running when the client has the body. */
    private void warm(String path, String... headerLines) throws Exception {
        get(path, headerLines);
        for (int i = 0; i < 50; i++) {
            RawHttp.Response r = get(path, headerLines);
            if (status(r).hit()) {
                break;
            }
            Thread.sleep(20);
        }
        assertDiskHit(path, headerLines);
    }

    /**
     * A disk hit once the revalidation's commit is done: the 304's freshened entry is written while the
     * client already has its answer, and a request in between collapses onto that fill instead.
     */
    private void eventuallyDiskHit(String path, String... headerLines) throws Exception {
        for (int i = 0; i < 50 && !status(get(path, headerLines)).hit(); i++) {
            Thread.sleep(20);
        }
        assertDiskHit(path, headerLines);
    }

    private void assertDiskHit(String path, String... headerLines) throws Exception {
        RawHttp.Response r = get(path, headerLines);
        assertTrue(status(r).hit(), path + ": " + status(r));
        assertEquals("disk", status(r).detail());
    }

    private void assertMiss(String path, String... headerLines) throws Exception {
        int before = origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
        RawHttp.Response r = get(path, headerLines);
        assertTrue(!status(r).hit() && status(r).fwd().endsWith("miss"), path + ": " + status(r));
        assertEquals(before + 1, origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount());
    }

    @Test
    void urlPurgeHardAndSoftReachesTheDiskTier() throws Exception {
        stub("/v", big('v'), "Vary", "Accept-Language");
        stub("/s", big('s'));
        warm("/v", "Accept-Language: en");
        warm("/v", "Accept-Language: de");
        warm("/s");

        assertEquals(2, purge("{\"type\":\"url\",\"values\":[\"http://site.example/v\"]}"));
        assertMiss("/v", "Accept-Language: en");
        assertMiss("/v", "Accept-Language: de");

        assertEquals(1, purge("{\"type\":\"url\",\"values\":[\"http://site.example/s\"],\"soft\":true}"));
        RawHttp.Response r = get("/s");
        assertEquals("stale", status(r).fwd());
        assertEquals("304", status(r).fwdStatus());
        assertArrayEquals(big('s'), r.body());
    }

    @Test
    void tagPurgeReachesTheDiskTierAndHoldsAcrossARestart() throws Exception {
        stub("/sk", big('k'), "Surrogate-Key", "product-1 shelf");
        stub("/ct", big('c'), "Cache-Tag", "shelf");
        stub("/soft", big('x'), "Cache-Tag", "later");
        stub("/keep", big('p'));
        for (String p : new String[] {"/sk", "/ct", "/soft", "/keep"}) {
            warm(p);
        }
        assertEquals(2, purge("{\"type\":\"tag\",\"values\":[\"shelf\"]}"));
        assertEquals(1, purge("{\"type\":\"tag\",\"values\":[\"later\"],\"soft\":true}"));

        edge.stop(Duration.ofSeconds(1));
        edge = startEdge(edgeYaml());

        assertMiss("/sk");
        assertMiss("/ct");
        RawHttp.Response soft = get("/soft");
        assertEquals("stale", status(soft).fwd(), "still invalidated after the restart");
        assertDiskHit("/keep");
    }

    /** A revalidated soft-purged object: served from the disk copy after a 304 with no-cache, body intact. */
    private void assertSoftPurged(String path, byte[] body, String... headerLines) throws Exception {
        RawHttp.Response r = get(path, headerLines);
        assertEquals("stale", status(r).fwd(), path + " " + String.join(",", headerLines) + ": " + status(r));
        assertEquals("304", status(r).fwdStatus());
        assertArrayEquals(body, r.body());
    }

    @Test
    void softPrefixAndSoftAllReachEveryVaryVariantOnTheDiskTierAndHoldAcrossARestart() throws Exception {
        stub("/img/a", big('a'), "Vary", "Accept-Language");
        stub("/img/b", big('b'));
        stub("/css/c", big('c'), "Vary", "Accept-Language");
        warm("/img/a", "Accept-Language: en");
        warm("/img/a", "Accept-Language: de");
        warm("/img/b");
        warm("/css/c", "Accept-Language: en");
        warm("/css/c", "Accept-Language: de");

        assertEquals(3, purge("{\"type\":\"prefix\",\"values\":[\"http://site.example/img/\"],\"soft\":true}"));
        assertSoftPurged("/img/a", big('a'), "Accept-Language: en");
        assertSoftPurged("/img/a", big('a'), "Accept-Language: de");
        assertSoftPurged("/img/b", big('b'));
        eventuallyDiskHit("/img/a", "Accept-Language: en"); // the 304 made the disk copy fresh again
        assertDiskHit("/css/c", "Accept-Language: de");
        var noCache = getRequestedFor(urlEqualTo("/img/b")).withHeader("Cache-Control", equalTo("no-cache"));
        assertEquals(1, origin.countRequestsMatching(noCache.build()).getCount());

        purge("{\"type\":\"all\",\"host\":\"site.example\",\"soft\":true}");
        edge.stop(Duration.ofSeconds(1));
        edge = startEdge(edgeYaml());
        assertSoftPurged("/css/c", big('c'), "Accept-Language: en");
        assertSoftPurged("/css/c", big('c'), "Accept-Language: de");
        assertSoftPurged("/img/b", big('b'));
        eventuallyDiskHit("/img/b");

        purge("{\"type\":\"all\",\"soft\":true}");
        assertSoftPurged("/img/a", big('a'), "Accept-Language: en");
        assertSoftPurged("/img/a", big('a'), "Accept-Language: de");
        assertSoftPurged("/img/b", big('b'));
    }

    @Test
    void hardPurgeOfOneHostReachesTheDiskTierAndHoldsAcrossARestart() throws Exception {
        stub("/h", big('h'), "Vary", "Accept-Language");
        warm("/h", "Accept-Language: en");
        warm("/h", "Accept-Language: de");
        purge("{\"type\":\"all\",\"host\":\"other.example\"}");
        assertDiskHit("/h", "Accept-Language: en");
        purge("{\"type\":\"all\",\"host\":\"site.example\"}");
        edge.stop(Duration.ofSeconds(1));
        edge = startEdge(edgeYaml());
        assertMiss("/h", "Accept-Language: en");
        assertMiss("/h", "Accept-Language: de");
        warm("/h", "Accept-Language: en"); // stored after the purge: not affected by it
    }

    /**
     * A client that fell behind its fill is served the rest from the disk tier's copy; a purge of the URL during
     * the fill removes that copy at the commit, yet the client still gets the whole response it was sent the
     * head of (what it reads is kept for it), and the next request the new object.
     */
    @Test
    void aPurgeDuringAFillDoesNotCutTheResponseOfAClientThatFellBehind() throws Exception {
        byte[] body = new byte[8 << 20];
        new java.util.Random(5).nextBytes(body);
        origin.stubFor(WireMock.get("/video").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("Content-Length", Integer.toString(body.length)).withChunkedDribbleDelay(40, 2000)
                .withBody(body)));
        try (java.net.Socket slow = new java.net.Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", port()));
            slow.setSoTimeout(20_000);
            slow.getOutputStream().write(("GET /video HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // and does not read for now
            Thread.sleep(1000); // mid-fill
            purge("{\"type\":\"url\",\"values\":[\"http://" + HOST + "/video\"]}");
            for (int i = 0; i < 100 && origin.getAllServeEvents().size() < 1; i++) {
                Thread.sleep(20);
            }
            Thread.sleep(1500); // the fill is over, committed, then removed by the purge's fence
            assertEquals(1.0, edge.registry().get("outpost.fills.client.behind").counter().count(),
                    "the client fell behind and was handed over to the stored copy");
            RawHttp.Response own = RawHttp.next(slow.getInputStream(), false);
            assertEquals(200, own.status());
            assertArrayEquals(body, own.body(), "the whole response, not cut by the purge");
        }
        assertEquals("uri-miss", status(get("/video")).fwd(), "purged: the next request goes to the origin");
    }
}
