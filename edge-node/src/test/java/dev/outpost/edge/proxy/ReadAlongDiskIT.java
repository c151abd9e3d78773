package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reading along a fill in the disk tier (ARCHITECTURE §1, "the others wait or stream along"): objects above
 * the memory tier's object limit are read along the disk tier's growing body, by requests that arrive
 * before the origin's head or after it, whole or by range, and a leader whose client falls behind does not
 * hold the fill (or its followers) back. The collapse wait is 200 ms, far shorter than these fills: without
 * reading along, every follower would fetch for itself.
 */
class ReadAlongDiskIT extends ReadAlongTestBase {

    @Override
    protected String edgeYaml() {
        return withDiskTier(super.edgeYaml(), diskDir("outpost-read-along"), "64KiB")
                .replace("wait-timeout: 5s", "wait-timeout: 200ms");
    }

    @Test
    void requestsBeforeAndAfterTheHeadReadAlongADiskOnlyFillWholeOrByRange() throws Exception {
        assertFiveClientsReadAlongOneFill(port(), edge, 1 << 20); // 16 times the memory object limit: disk only
    }

    /**
     * A body of a few chunks streams to its followers as it arrives, whether they waited at the head or came
     * later for a range: neither waits for the whole fill before its head (as a disk hit of that size would:
     * the disk tier reads such bodies whole before sending the head, to fall back to the origin on a failure).
     */
    @Test
    void followersOfAFewChunksGetTheirHeadBeforeTheFillIsOver() throws Exception {
        byte[] body = body(300_000); // five 64 KiB chunks of the disk tier, under its 512 KiB read-whole size
        origin.stubFor(WireMock.get(PATH).willReturn(aResponse().withFixedDelay(300)
                .withChunkedDribbleDelay(8, 4000).withHeader("Content-Length", Integer.toString(body.length))
                .withHeader("Cache-Control", "max-age=60").withBody(body)));
        get("/warm-up");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Socket waiting = new Socket("127.0.0.1", port()); Socket late = new Socket("127.0.0.1", port())) {
            Future<RawHttp.Response> leader = pool.submit(() -> get(PATH));
            Thread.sleep(100);
            long waited = millisToHead(waiting, 200); // at the first chunk (about 1.2 s), not at the end (about 4.3 s)
            Thread.sleep(600);
            long lateHead = millisToHead(late, 206, "Range: bytes=10-19"); // from the growing body
            assertArrayEquals(body, leader.get(30, TimeUnit.SECONDS).body());
            assertTrue(waited < 2500, "the waiting follower's head after " + waited + " ms: it waited for the fill");
            assertTrue(lateHead < 2000, "the late follower's head after " + lateHead + " ms: it waited for the fill");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, originHits());
    }

    /**
     * On a volume short of free space (from the start) the disk tier takes no new object, so it offers no
     * growing body: a client that falls behind is handed over to the memory tier's (the object fits it), not to
     * a disk copy that will not be (its response would be cut), and followers read along, from memory, which
     * stores the object.
     */
    @Test
    void onAVolumeShortOfSpaceFollowersReadAlongAHeapCopy() throws Exception {
        var full = startEdge(withDiskTier(super.edgeYaml(), diskDir("outpost-read-along-full"), "8MiB")
                .replace("wait-timeout: 5s", "wait-timeout: 200ms")
                .replace("    max-size: 256MiB\n", "    max-size: 256MiB\n    min-free: 100000GiB\n"));
        try {
            byte[] body = body(4 << 20);
            origin.stubFor(WireMock.get("/first").willReturn(aResponse()
                    .withHeader("Content-Length", Integer.toString(body.length))
                    .withHeader("Cache-Control", "max-age=60").withBody(body)));
            try (Socket slow = new Socket()) { // the first object after the start
                slow.setReceiveBufferSize(4096);
                slow.connect(new java.net.InetSocketAddress("127.0.0.1", full.trafficPort()));
                slow.setSoTimeout(20_000);
                slow.getOutputStream().write(("GET /first HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(1000); // falls behind
                assertArrayEquals(body, RawHttp.next(slow.getInputStream(), false).body(), "not cut");
            }
            assertEquals(1.0, full.registry().get("outpost.fills.client.behind").counter().count(),
                    "handed over to the memory tier's copy");
            origin.stubFor(WireMock.get(PATH).willReturn(aResponse().withFixedDelay(300)
                    .withChunkedDribbleDelay(32, 1500).withHeader("Content-Length", Integer.toString(body.length))
                    .withHeader("Cache-Control", "max-age=60").withBody(body)));
            List<RawHttp.Response> r = staggered(full.trafficPort(), new long[] {0, 100, 120, 140},
                    new String[][] {{}, {}, {}, {}});
            for (RawHttp.Response response : r) {
                assertArrayEquals(body, response.body());
            }
            for (RawHttp.Response follower : r.subList(1, 4)) {
                assertTrue(status(follower).collapsed() && "read-along".equals(status(follower).detail()),
                        ourCacheStatus(follower));
            }
            assertEquals(1, originHits());
            assertEquals("memory", status(RawHttp.get(full.trafficPort(), HOST, PATH)).detail(), "stored in memory");
        } finally {
            full.stop(java.time.Duration.ofMillis(100));
        }
    }

    @Test
    void aChunkedFillIsReadAlongToTheEndTheCommitSets() throws Exception {
        byte[] body = body(1 << 20);
        origin.stubFor(WireMock.get(PATH).willReturn(aResponse().withFixedDelay(300) // no Content-Length: chunked
                .withChunkedDribbleDelay(32, 1500).withHeader("Cache-Control", "max-age=60").withBody(body)));
        get("/warm-up");
        List<RawHttp.Response> r = staggered(new long[] {0, 100, 900, 950},
                new String[][] {{}, {}, {}, {"Range: bytes=0-99"}});
        for (int i = 0; i < r.size(); i++) {
            assertEquals(200, r.get(i).status(), "a range of a body of unknown length is not served (§14.2)");
            assertArrayEquals(body, r.get(i).body(), "response " + i + " has the whole body");
        }
        for (RawHttp.Response follower : r.subList(1, 4)) {
            assertTrue(status(follower).collapsed() && "read-along".equals(status(follower).detail()),
                    r.stream().map(EdgeTestBase::ourCacheStatus).toList().toString());
            assertEquals("chunked", follower.header("Transfer-Encoding"));
        }
        assertEquals(1, originHits(), "one origin request for four clients");
    }

    @Test
    void aLeaderWhoseClientDoesNotReadHoldsNeitherTheFillNorItsFollowersBack() throws Exception {
        // far more than the sockets' buffers and the disk tier's write queue; followers waiting at the head
        assertAStalledLeaderHoldsNothingBack(16 << 20, 100, 0);
    }
}
