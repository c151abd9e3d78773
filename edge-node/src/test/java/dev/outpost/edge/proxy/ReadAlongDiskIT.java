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
class ReadAlongDiskIT extends EdgeTestBase {

    private static final String PATH = "/video.bin";

    @Override
    protected String edgeYaml() {
        return withDiskTier(super.edgeYaml(), diskDir("outpost-read-along"), "64KiB")
                .replace("wait-timeout: 5s", "wait-timeout: 200ms");
    }

    private static byte[] body(int size) {
        byte[] b = new byte[size];
        new Random(11).nextBytes(b);
        return b;
    }

    private int originHits() {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(PATH)).build()).getCount();
    }

    private static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    /** Sends {@code requests[i]} (extra header lines, may be empty) {@code delays[i]} ms after the first. */
    private List<RawHttp.Response> staggered(long[] delays, String[][] requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(delays.length);
        try {
            List<Future<RawHttp.Response>> sent = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < delays.length; i++) {
                long wait = delays[i] - (System.nanoTime() - start) / 1_000_000;
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                String[] headers = requests[i];
                sent.add(pool.submit(() -> get(PATH, headers)));
            }
            List<RawHttp.Response> responses = new ArrayList<>();
            for (Future<RawHttp.Response> f : sent) {
                responses.add(f.get(30, TimeUnit.SECONDS));
            }
            return responses;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void requestsBeforeAndAfterTheHeadReadAlongADiskOnlyFillWholeOrByRange() throws Exception {
        byte[] body = body(1 << 20); // 16 times the memory tier's object limit: on disk only
        origin.stubFor(WireMock.get(PATH).willReturn(aResponse().withFixedDelay(300)
                .withChunkedDribbleDelay(32, 1500).withHeader("Content-Length", Integer.toString(body.length))
                .withHeader("Cache-Control", "max-age=60").withBody(body)));
        get("/warm-up"); // connections and code paths ready: the timings below are the origin's
        // the leader; two followers waiting before the head (at 300 ms); two requests arriving mid-body
        // (head at 300 ms, body until about 1.8 s), one of them for a range
        List<RawHttp.Response> r = staggered(new long[] {0, 100, 150, 900, 950},
                new String[][] {{}, {}, {}, {}, {"Range: bytes=700000-700099"}});
        for (int i = 0; i < 4; i++) {
            assertEquals(200, r.get(i).status());
            assertArrayEquals(body, r.get(i).body(), "response " + i + " has the whole body");
        }
        assertEquals(206, r.get(4).status());
        assertEquals("bytes 700000-700099/" + body.length, r.get(4).header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(body, 700_000, 700_100), r.get(4).body());
        for (RawHttp.Response follower : r.subList(1, 5)) {
            CacheStatusEntry s = status(follower);
            assertTrue(s.collapsed() && "read-along".equals(s.detail()), "read along the disk fill: "
                    + r.stream().map(EdgeTestBase::ourCacheStatus).toList());
        }
        assertEquals(1, originHits(), "one origin request for five clients");
        assertEquals(4.0, edge.registry().get("outpost.collapsed.read.alongs").counter().count());
        assertArrayEquals(body, get(PATH).body(), "stored whole once the fill is over");
        assertEquals(1, originHits());
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
        byte[] body = body(16 << 20); // far more than the sockets' buffers and the disk tier's write queue
        origin.stubFor(WireMock.get(PATH).willReturn(aResponse().withFixedDelay(300)
                .withHeader("Content-Length", Integer.toString(body.length)).withHeader("Cache-Control", "max-age=60")
                .withBody(body)));
        try (Socket stalled = new Socket("127.0.0.1", port())) {
            stalled.setReceiveBufferSize(4096);
            stalled.getOutputStream().write(("GET " + PATH + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)); // and never reads
            Thread.sleep(100);
            List<RawHttp.Response> followers = staggered(new long[] {0, 0}, new String[][] {{}, {}});
            for (RawHttp.Response f : followers) {
                assertArrayEquals(body, f.body(), "the whole body");
                assertTrue(status(f).collapsed(), ourCacheStatus(f));
            }
            assertEquals(1, originHits(), "read along, at the origin's pace, not at the stalled client's");
            assertEquals(1.0, edge.registry().get("outpost.fills.client.behind").counter().count(),
                    "the stalled client was served from the fill in storage");
        }
    }
}
