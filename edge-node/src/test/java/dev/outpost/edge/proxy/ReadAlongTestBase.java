package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.server.EdgeRuntime;
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

/** What the tests of reading along a fill share: one object, requests sent at set times, their Cache-Status. */
abstract class ReadAlongTestBase extends EdgeTestBase {

    static final String PATH = "/video.bin";

    static byte[] body(int size) {
        byte[] b = new byte[size];
        new Random(11).nextBytes(b);
        return b;
    }

    int originHits() {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(PATH)).build()).getCount();
    }

    static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    /** Sends {@code requests[i]} (extra header lines, may be empty) {@code delays[i]} ms after the first. */
    List<RawHttp.Response> staggered(long[] delays, String[][] requests) throws Exception {
        return staggered(port(), delays, requests);
    }

    List<RawHttp.Response> staggered(int port, long[] delays, String[][] requests) throws Exception {
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
                sent.add(pool.submit(() -> RawHttp.get(port, HOST, PATH, headers)));
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

    /**
     * Sends a GET, checks its response head (status, read along) and returns the milliseconds until it arrived
     * (the body is left unread).
     */
    long millisToHead(Socket s, int expectedStatus, String... headerLines) throws Exception {
        long start = System.nanoTime();
        s.setSoTimeout(10_000);
        s.getOutputStream().write(("GET " + PATH + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + String.join("", Arrays
                .stream(headerLines).map(h -> h + "\r\n").toList()) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        RawHttp.Response head = RawHttp.readHead(s.getInputStream());
        assertEquals(expectedStatus, head.status());
        assertTrue(status(head).collapsed() && "read-along".equals(status(head).detail()), ourCacheStatus(head));
        return (System.nanoTime() - start) / 1_000_000;
    }

    /**
     * The leader (at 0 ms), two followers waiting before the origin's head (at 300 ms) and two requests arriving
     * mid-body (the body dribbles until about 1.8 s), one of them for a range, all for one object of {@code size}
     * bytes: one origin request, the four others read along (counted).
     */
    void assertFiveClientsReadAlongOneFill(int port, EdgeRuntime at, int size) throws Exception {
        byte[] body = body(size);
        origin.stubFor(WireMock.get(PATH).willReturn(aResponse().withFixedDelay(300)
                .withChunkedDribbleDelay(32, 1500).withHeader("Content-Length", Integer.toString(body.length))
                .withHeader("Cache-Control", "max-age=60").withBody(body)));
        RawHttp.get(port, HOST, "/warm-up"); // connections and code paths ready: the timings below are the origin's
        long rangeStart = size * 2L / 3;
        List<RawHttp.Response> r = staggered(port, new long[] {0, 100, 150, 900, 950},
                new String[][] {{}, {}, {}, {}, {"Range: bytes=" + rangeStart + "-" + (rangeStart + 99)}});
        for (int i = 0; i < 4; i++) {
            assertEquals(200, r.get(i).status());
            assertArrayEquals(body, r.get(i).body(), "response " + i + " has the whole body");
        }
        assertEquals(206, r.get(4).status());
        assertEquals("bytes " + rangeStart + "-" + (rangeStart + 99) + "/" + body.length, r.get(4).header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(body, (int) rangeStart, (int) rangeStart + 100), r.get(4).body());
        for (RawHttp.Response follower : r.subList(1, 5)) {
            CacheStatusEntry s = status(follower);
            assertTrue(s.collapsed() && "read-along".equals(s.detail()), "read along the fill: "
                    + r.stream().map(EdgeTestBase::ourCacheStatus).toList());
        }
        assertEquals(1, originHits(), "one origin request for five clients");
        assertEquals(4.0, at.registry().get("outpost.collapsed.read.alongs").counter().count());
        assertArrayEquals(body, RawHttp.get(port, HOST, PATH).body(), "stored whole once the fill is over");
        assertEquals(1, originHits());
    }

    /**
     * A leader whose client never reads (until the end): two followers sent {@code followersAtMillis} after it
     * (the origin's head comes at 300 ms) still get the whole body of {@code size} bytes at the origin's pace from
     * the one origin request, and the stalled client, handed over to the stored copy as it grows, every byte in
     * order once it reads.
     *
     * @param dribbleMillis how long the origin takes over the body after its head (0: as fast as it can)
     */
    void assertAStalledLeaderHoldsNothingBack(int size, long followersAtMillis, int dribbleMillis) throws Exception {
        byte[] body = body(size);
        var response = aResponse().withFixedDelay(300).withHeader("Content-Length", Integer.toString(body.length))
                .withHeader("Cache-Control", "max-age=60").withBody(body);
        origin.stubFor(WireMock.get(PATH).willReturn(dribbleMillis == 0 ? response
                : response.withChunkedDribbleDelay(64, dribbleMillis)));
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096); // before connecting, so the window is small from the start
            stalled.connect(new java.net.InetSocketAddress("127.0.0.1", port()));
            stalled.getOutputStream().write(("GET " + PATH + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)); // and never reads
            Thread.sleep(followersAtMillis);
            List<RawHttp.Response> followers = staggered(new long[] {0, 0}, new String[][] {{}, {}});
            for (RawHttp.Response f : followers) {
                assertArrayEquals(body, f.body(), "the whole body");
                assertTrue(status(f).collapsed(), ourCacheStatus(f));
            }
            assertEquals(1, originHits(), "read along, at the origin's pace, not at the stalled client's");
            assertEquals(1.0, edge.registry().get("outpost.fills.client.behind").counter().count(),
                    "the stalled client was served from the fill in storage");
            stalled.setSoTimeout(20_000);
            RawHttp.Response own = RawHttp.next(stalled.getInputStream(), false); // now it reads
            assertEquals(200, own.status());
            assertArrayEquals(body, own.body(), "every byte, in order, across the hand-over to the stored copy");
        }
    }
}
