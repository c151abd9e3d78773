package dev.outpost.edge.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import com.github.tomakehurst.wiremock.client.WireMock;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code server.fast-memory-hits}: fresh memory hits answered on the connection, below Vert.x's request
 * objects. Two edges in front of one origin, one with the shortcut and one without, must answer every
 * request the same, byte for byte apart from the field order Vert.x chooses (RFC 9111 §4 reuse with Age
 * §5.1, §4.3.2 304, RFC 9110 §14 ranges and §13.1.5 If-Range, HEAD, RFC 9211 Cache-Status, RFC 9112
 * §9.6 Connection: close); responses on one connection leave in request order (RFC 9112 §9.3.2) however
 * the requests are answered. Both keep bodies from 128 KiB in files (the shortcut sends them with
 * sendfile, the lifecycle reads them); a third edge, with the shortcut, keeps every body in direct
 * buffers: the answers must not depend on where a body is.
 */
class FastMemoryHitsIT extends EdgeTestBase {

    private static final String BODY = "0123456789abcdefghijklmnopqrstuvwxyz".repeat(100);
    /** Stored as several chunks of the memory tier (64 KiB each): ranges across their borders. */
    private static final String BIG_BODY = bigBody();

    private static String bigBody() {
        StringBuilder sb = new StringBuilder(200_000);
        for (int i = 0; sb.length() < 200_000; i++) {
            sb.append(i).append(',');
        }
        return sb.substring(0, 200_000);
    }

    private EdgeRuntime plain;
    /** With the shortcut and every body in direct buffers ({@code file-min-size: 0}). */
    private EdgeRuntime direct;
    private static final String BODY_FILES = "    file-min-size: 128KiB\n    file-dir: %s\n";

    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path bodyFiles;

    @Override
    protected String edgeYaml() {
        return super.edgeYaml().replace("    max-object-size: 8MiB\n",
                "    max-object-size: 8MiB\n" + BODY_FILES.formatted(bodyFiles));
    }

    @BeforeEach
    void startASecondEdgeWithoutTheShortcut() throws Exception {
        plain = startEdge(edgeYaml().replace("  port: 0\nadmin:", "  port: 0\n  fast-memory-hits: false\nadmin:"));
        direct = startEdge(edgeYaml().replace(BODY_FILES.formatted(bodyFiles), "    file-min-size: 0\n"));
        String date = dev.outpost.edge.http.HttpDate.format(clock.instant()); // the same stored Date at both edges
        origin.stubFor(WireMock.get(urlEqualTo("/doc")).willReturn(aResponse()
                .withHeader("Date", date)
                .withHeader("Cache-Control", "max-age=600")
                .withHeader("CDN-Cache-Control", "max-age=900")
                .withHeader("Surrogate-Control", "max-age=900")
                .withHeader("Surrogate-Key", "doc all")
                .withHeader("ETag", "\"v1\"")
                .withHeader("Last-Modified", "Tue, 01 Sep 2026 10:00:00 GMT")
                .withHeader("Content-Type", "text/plain")
                .withHeader("Cache-Status", "shield-1; hit")
                .withHeader("Via", "1.1 shield-1 (outpost)")
                .withHeader("Content-Range", "bytes 0-3599/3600") // meaningless on a 200: never sent on
                .withHeader("X-Several", "one")
                .withHeader("X-Several", "two")
                .withBody(BODY)));
        origin.stubFor(WireMock.get(urlEqualTo("/big")).willReturn(aResponse()
                .withHeader("Date", date).withHeader("Cache-Control", "max-age=600").withBody(BIG_BODY)));
        origin.stubFor(WireMock.get(urlEqualTo("/lang")).willReturn(aResponse()
                .withHeader("Date", date).withHeader("Cache-Control", "max-age=600").withHeader("Vary", "Accept-Language")
                .withBody("varies")));
        origin.stubFor(WireMock.get(urlEqualTo("/gone")).willReturn(aResponse().withStatus(404)
                .withHeader("Date", date).withHeader("Cache-Control", "max-age=600").withBody("not here")));
        origin.stubFor(WireMock.get(urlEqualTo("/empty")).willReturn(aResponse()
                .withHeader("Date", date).withHeader("Cache-Control", "max-age=600").withHeader("Content-Length", "0")));
        origin.stubFor(WireMock.get(urlEqualTo("/slow")).willReturn(aResponse().withFixedDelay(300)
                .withHeader("Cache-Control", "no-store").withBody("slow")));
        origin.stubFor(post(urlEqualTo("/form")).willReturn(aResponse().withChunkedDribbleDelay(5, 500)
                .withBody("posted in five parts")));
    }

    @AfterEach
    void stopTheSecondEdge() {
        plain.stop(Duration.ofMillis(200));
        direct.stop(Duration.ofMillis(200));
    }

    private double fastHits(EdgeRuntime node) {
        return node.registry().get("outpost.requests.fast").counter().count();
    }

    /** The response as a comparable text: status line, fields (names lower-cased, in order), body. */
    private static String describe(RawHttp.Response r) {
        StringBuilder sb = new StringBuilder().append(r.status()).append('\n');
        for (String[] h : r.headers()) {
            sb.append(h[0].toLowerCase(Locale.ROOT)).append(": ").append(h[1]).append('\n');
        }
        return sb.append('\n').append(r.text()).toString();
    }

    /** The fields of a response, sorted: Vert.x may put the fields it adds itself in another place. */
    private static List<String> sortedFields(RawHttp.Response r) {
        List<String> out = new ArrayList<>();
        for (String[] h : r.headers()) {
            out.add(h[0].toLowerCase(Locale.ROOT) + ": " + h[1]);
        }
        out.sort(null);
        return out;
    }

    private static byte[] request(String method, String path, boolean close, String... lines) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                .append(HOST).append("\r\n");
        for (String l : lines) {
            sb.append(l).append("\r\n");
        }
        if (close) {
            sb.append("Connection: close\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** With {@code close}: one request, and the response tells whether the edge closed the connection. */
    private RawHttp.Response send(EdgeRuntime node, String method, String path, boolean close, String... lines)
            throws IOException {
        if (close) {
            return RawHttp.exchange(node.trafficPort(), request(method, path, true, lines), method.equals("HEAD"));
        }
        return sendTwice(node, method, path, lines).get(0);
    }

    /** The same keep-alive request twice on one connection: the connection stays usable after a response. */
    private List<RawHttp.Response> sendTwice(EdgeRuntime node, String method, String path, String... lines)
            throws IOException {
        try (Socket s = new Socket("127.0.0.1", node.trafficPort())) {
            s.setSoTimeout(10_000);
            List<RawHttp.Response> out = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                s.getOutputStream().write(request(method, path, false, lines));
                s.getOutputStream().flush();
                out.add(RawHttp.next(s.getInputStream(), method.equals("HEAD")));
            }
            return out;
        }
    }

    private void assertSame(String what, RawHttp.Response viaLifecycle, RawHttp.Response viaShortcut) {
        assertEquals(viaLifecycle.status(), viaShortcut.status(), what);
        assertEquals(sortedFields(viaLifecycle), sortedFields(viaShortcut), what);
        assertArrayEquals(viaLifecycle.body(), viaShortcut.body(), what);
        assertTrue(viaShortcut.headers("Content-Range").size() == (viaShortcut.status() == 206
                || viaShortcut.status() == 416 ? 1 : 0), what + ": only our own Content-Range");
        assertTrue(ourCacheStatus(viaShortcut).startsWith("edge-test-1;hit;"), what + ": " + describe(viaShortcut));
    }

    @Test
    void everyKindOfFreshMemoryHitIsAnsweredAsTheFullLifecycleAnswersIt() throws IOException {
        for (EdgeRuntime node : List.of(edge, plain, direct)) {
            for (String path : List.of("/doc", "/gone", "/empty", "/big")) {
                assertTrue(send(node, "GET", path, true).header("Cache-Status").contains("fwd=uri-miss"), path);
            }
            assertEquals("varies", send(node, "GET", "/lang", true, "Accept-Language: de").text());
        }
        assertEquals(BIG_BODY.length(), edge.memory().fileBytes(), "/big is in a file at two edges...");
        assertEquals(BIG_BODY.length(), plain.memory().fileBytes());
        assertEquals(0, direct.memory().fileBytes(), "...and in direct buffers at the third");
        clock.advance(Duration.ofSeconds(7)); // Age and ttl move on, the same for both edges

        String[][] requests = {
            {"GET", "/doc"},
            {"HEAD", "/doc"},
            {"GET", "/doc", "If-None-Match: \"v1\""},
            {"GET", "/doc", "If-None-Match: \"other\""},
            {"GET", "/doc", "If-Modified-Since: Tue, 01 Sep 2026 10:00:00 GMT"},
            {"GET", "/doc", "Range: bytes=10-19"},
            {"GET", "/doc", "Range: bytes=-5"},
            {"GET", "/doc", "Range: bytes=5000-6000"},
            {"GET", "/doc", "Range: bytes=0-3", "If-Range: \"v1\""},
            {"GET", "/doc", "Range: bytes=0-3", "If-Range: \"v0\""},
            {"HEAD", "/doc", "Range: bytes=0-3"},
            {"GET", "/doc", "Accept: text/plain", "User-Agent: test"},
            {"GET", "/gone"},
            {"GET", "/empty"},
            {"HEAD", "/empty"},
            {"GET", "/lang", "Accept-Language: de"},
            {"GET", "/big"},
            {"GET", "/big", "Range: bytes=65530-65545"},   // across the first chunk border
            {"GET", "/big", "Range: bytes=65536-131071"},  // exactly the second chunk
            {"GET", "/big", "Range: bytes=1000-150000"},   // three chunks, partly
            {"GET", "/big", "Range: bytes=-70000"},        // the tail, across a border
        };
        double fastBefore = fastHits(edge);
        for (String[] r : requests) {
            String what = String.join(" ", r);
            String[] lines = java.util.Arrays.copyOfRange(r, 2, r.length);
            RawHttp.Response closing = send(edge, r[0], r[1], true, lines);
            RawHttp.Response lifecycle = send(plain, r[0], r[1], true, lines);
            assertSame(what + " (Connection: close)", lifecycle, closing);
            assertSame(what + " (direct buffers)", lifecycle, send(direct, r[0], r[1], true, lines));
            assertTrue(closing.closed(), what + ": the connection is closed after the response");
            List<RawHttp.Response> viaShortcut = sendTwice(edge, r[0], r[1], lines);
            List<RawHttp.Response> viaLifecycle = sendTwice(plain, r[0], r[1], lines);
            for (int i = 0; i < 2; i++) {
                assertSame(what + " (keep-alive, " + (i + 1) + ")", viaLifecycle.get(i), viaShortcut.get(i));
            }
        }
        assertEquals(fastBefore + 3 * requests.length, fastHits(edge), "every request took the shortcut");
        assertEquals(0, fastHits(plain), "none with server.fast-memory-hits: false");
        assertEquals(5, origin.getAllServeEvents().size() / 3, "each edge fetched each object once");
        for (EdgeRuntime node : List.of(edge, plain, direct)) { // the stored bytes themselves, not only alike
            assertEquals(BIG_BODY, send(node, "GET", "/big", true).text());
            assertEquals(BIG_BODY.substring(65_530, 65_546),
                    send(node, "GET", "/big", true, "Range: bytes=65530-65545").text());
            assertEquals(BIG_BODY.substring(130_000), send(node, "GET", "/big", true, "Range: bytes=-70000").text());
        }
    }

    /**
     * A body sent from its file stays whole when it is purged while the client is still reading it (the
     * send holds the file), and the file is freed once the send is over; the next request is a miss.
     */
    @Test
    void aBodyPurgedWhileItIsSentFromItsFileArrivesWholeAndIsFreedAfterwards() throws Exception {
        byte[] huge = storeHuge(edge);
        assertEquals(huge.length, edge.memory().fileBytes());
        assertEquals(huge.length, edge.registry().get("outpost.cache.file.bytes").gauge().value(), "the metric");
        double before = fastHits(edge);
        try (Socket s = slowReader(edge)) {
            s.getOutputStream().write(request("GET", "/huge", false));
            InputStream in = s.getInputStream();
            RawHttp.Response head = RawHttp.readHead(in);
            assertEquals(200, head.status());
            assertEquals(before + 1, fastHits(edge), "answered on the connection, from the file");
            byte[] start = in.readNBytes(1000);
            edge.memory().purge(new dev.outpost.edge.cache.Purge.Url(
                    new dev.outpost.edge.cache.CacheKey(HOST, "/huge"), false)).join();
            assertEquals(huge.length, edge.memory().fileBytes(), "still being sent");
            byte[] rest = in.readNBytes(huge.length - 1000);
            byte[] got = new byte[huge.length];
            System.arraycopy(start, 0, got, 0, 1000);
            System.arraycopy(rest, 0, got, 1000, rest.length);
            assertArrayEquals(huge, got, "every byte, as stored");
            eventuallyNoFiles(edge, "freed once sent");
        }
        assertTrue(send(edge, "GET", "/huge", true).header("Cache-Status").contains("fwd=uri-miss"), "purged");
    }

    /** Stores a 4 MiB object, /huge, at {@code node} (a file body with this class's settings); its bytes. */
    private byte[] storeHuge(EdgeRuntime node) throws IOException {
        StringBuilder text = new StringBuilder(4 << 20);
        for (int i = 0; text.length() < 4 << 20; i++) {
            text.append(i).append('\n');
        }
        byte[] huge = text.substring(0, 4 << 20).getBytes(StandardCharsets.US_ASCII);
        origin.stubFor(WireMock.get(urlEqualTo("/huge")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=600").withBody(huge)));
        assertArrayEquals(huge, send(node, "GET", "/huge", true).body());
        return huge;
    }

    /** A socket that takes little at a time: the edge cannot hand it a 4 MiB body at once. */
    private static Socket slowReader(EdgeRuntime node) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(16 * 1024);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", node.trafficPort()));
        s.setSoTimeout(10_000);
        return s;
    }

    private static void eventuallyNoFiles(EdgeRuntime node, String why) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (node.memory().fileBytes() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // released on the event loop, just after the client's side of it
        }
        assertEquals(0, node.memory().fileBytes(), why);
    }

    /**
     * On the full lifecycle (which reads the file), a client that goes away part-way through a body lets
     * the body's file go: the read is ended, not left waiting for a socket that will never drain.
     */
    @Test
    void aClientGoneMidBodyOnTheLifecycleLetsTheFileGo() throws Exception {
        byte[] huge = storeHuge(plain);
        try (Socket s = slowReader(plain)) {
            s.getOutputStream().write(request("GET", "/huge", false));
            InputStream in = s.getInputStream();
            assertEquals(200, RawHttp.readHead(in).status());
            assertEquals(1000, in.readNBytes(1000).length);
        } // closed with most of the body unread
        plain.memory().purge(new dev.outpost.edge.cache.Purge.Url(
                new dev.outpost.edge.cache.CacheKey(HOST, "/huge"), false)).join();
        eventuallyNoFiles(plain, "the abandoned read let the file go");
    }

    /**
     * RFC 9111 §4.3.4: a 304 that makes the stored response unstorable (here no-store) still updates the
     * response sent to this client, from the stored body, though the tier drops that body at once: the
     * request holds it. No second fetch.
     */
    @Test
    void aStoredBodyDroppedByA304ThatMakesItUnstorableIsStillServed() throws Exception {
        origin.stubFor(WireMock.get(urlEqualTo("/reval")).willReturn(aResponse()
                .withHeader("Date", dev.outpost.edge.http.HttpDate.format(clock.instant()))
                .withHeader("Cache-Control", "max-age=1").withHeader("ETag", "\"r1\"").withBody(BIG_BODY)));
        origin.stubFor(WireMock.get(urlEqualTo("/reval")).withHeader("If-None-Match", WireMock.equalTo("\"r1\""))
                .atPriority(1).willReturn(aResponse().withStatus(304).withHeader("Cache-Control", "no-store")
                        .withHeader("ETag", "\"r1\"")));
        assertEquals(BIG_BODY, send(edge, "GET", "/reval", true).text());
        assertEquals(BIG_BODY.length(), edge.memory().fileBytes());
        clock.advance(Duration.ofSeconds(10));
        RawHttp.Response revalidated = send(edge, "GET", "/reval", true);
        assertEquals(200, revalidated.status());
        assertEquals(BIG_BODY, revalidated.text());
        assertTrue(revalidated.header("Cache-Control").contains("no-store"), "the 304's fields are sent on");
        assertEquals(2, origin.countRequestsMatching(WireMock.getRequestedFor(urlEqualTo("/reval")).build())
                .getCount(), "the fill and the validation; no fetch after it");
        eventuallyNoFiles(edge, "no longer stored, no longer held");
        assertTrue(send(edge, "GET", "/reval", true).header("Cache-Status").contains("fwd=uri-miss"));
    }

    /**
     * A client that pipelines requests for a large object without reading gets one answer sent from the
     * file on the connection; the rest wait in the lifecycle for the socket to drain (the file region
     * weighs its bytes in the socket's writability), so a client that does not read cannot queue a file
     * answer, each holding its file, per request.
     */
    @Test
    void aClientThatDoesNotReadQueuesOneFileAnswerAtATime() throws Exception {
        byte[] huge = storeHuge(edge);
        double before = fastHits(edge);
        try (Socket s = slowReader(edge)) {
            byte[] one = request("GET", "/huge", false);
            java.io.ByteArrayOutputStream four = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 4; i++) {
                four.writeBytes(one);
            }
            s.getOutputStream().write(four.toByteArray()); // in one segment: read and decoded together
            for (int i = 0; i < 4; i++) {
                RawHttp.Response r = RawHttp.next(s.getInputStream(), false);
                assertEquals(200, r.status());
                assertArrayEquals(huge, r.body(), "response " + (i + 1));
            }
        }
        assertEquals(before + 1, fastHits(edge), "the first on the connection, the others once it drained");
    }

    /** RFC 9211 §2.2 ttl and RFC 9111 §5.1 Age follow the clock from hit to hit, on both paths. */
    @Test
    void ttlAndAgeFollowTheClockFromHitToHit() throws IOException {
        origin.stubFor(WireMock.get(urlEqualTo("/long")).willReturn(aResponse()
                .withHeader("Date", dev.outpost.edge.http.HttpDate.format(clock.instant()))
                .withHeader("Cache-Control", "max-age=10000").withBody("kept long")));
        send(edge, "GET", "/long", true);
        send(plain, "GET", "/long", true);
        double before = fastHits(edge);
        long age = 0;
        // the last step is 4096 s: the same slot of the per-ttl memo of Cache-Status values as the one before
        for (long step : new long[] {1, 4, 4096}) {
            clock.advance(Duration.ofSeconds(step));
            age += step;
            for (int i = 0; i < 2; i++) { // made, then remembered
                RawHttp.Response hit = send(edge, "GET", "/long", true);
                assertEquals(String.valueOf(age), hit.header("Age"));
                assertEquals("edge-test-1;hit;ttl=" + (10000 - age) + ";detail=memory", ourCacheStatus(hit));
                assertSame("after " + age + " s", send(plain, "GET", "/long", true), hit);
            }
        }
        assertEquals(before + 6, fastHits(edge), "all answered on the connection");
    }

    @Test
    void requestsTheShortcutDoesNotTakeGoThroughTheLifecycle() throws IOException {
        send(edge, "GET", "/doc", true);
        double before = fastHits(edge);
        clock.advance(Duration.ofSeconds(1));
        String[][] others = {
            {"GET", "/doc", "Cache-Control: no-cache"},       // must validate: a fetch
            {"GET", "/doc", "Cache-Control: max-age=0"},
            {"GET", "/doc", "Authorization: Bearer x"},
            {"GET", "/doc", "Connection: keep-alive, X-Drop"},
            {"GET", "/doc", "Via: 1.1 edge-test-1 (outpost)"}, // a loop: 508
            {"GET", "/nothing-stored"},
        };
        for (String[] r : others) {
            send(edge, r[0], r[1], false, java.util.Arrays.copyOfRange(r, 2, r.length));
        }
        RawHttp.Response http10 = RawHttp.exchange(edge.trafficPort(),
                "GET /doc HTTP/1.0\r\nHost: " + HOST + "\r\n\r\n");
        assertEquals(200, http10.status());
        RawHttp.Response twoHosts = RawHttp.exchange(edge.trafficPort(),
                "GET /doc HTTP/1.1\r\nHost: " + HOST + "\r\nhost: " + HOST + "\r\nConnection: close\r\n\r\n");
        assertEquals(400, twoHosts.status(), "RFC 9112 §3.2: more than one Host line, though /doc is stored");
        assertTrue(twoHosts.text().contains("more than one Host"), twoHosts.text());
        assertEquals(before, fastHits(edge), "none of these was answered on the connection");
        RawHttp.Response loop = send(edge, "GET", "/doc", true, "Via: 1.1 edge-test-1 (outpost)");
        assertEquals(508, loop.status(), "the lifecycle's answer to a loop, not a hit");
        clock.advance(Duration.ofSeconds(900));
        RawHttp.Response stale = send(edge, "GET", "/doc", true);
        assertFalse(ourCacheStatus(stale).startsWith("edge-test-1;hit"), "stale: validated, not a fresh hit");
        assertEquals(before, fastHits(edge));
    }

    @Test
    void aConnectionBusyOnlyWithShortcutHitsIsNotClosedAsIdle() throws Exception {
        EdgeRuntime shortIdle = startEdge(edgeYaml().replace("  port: 0\nadmin:", "  port: 0\n  idle-timeout: 1s\nadmin:"));
        try (Socket s = new Socket("127.0.0.1", shortIdle.trafficPort())) {
            s.setSoTimeout(10_000);
            byte[] hit = request("GET", "/doc", false);
            s.getOutputStream().write(hit);
            assertEquals(BODY, RawHttp.next(s.getInputStream(), false).text(), "the miss that stores it");
            // 2.4 s of hits, 400 ms apart, on a server that closes connections idle for 1 s
            for (int i = 0; i < 6; i++) {
                Thread.sleep(400);
                s.getOutputStream().write(hit);
                RawHttp.Response r = RawHttp.next(s.getInputStream(), false);
                assertEquals(200, r.status(), "hit " + i + " on the same connection");
                assertTrue(ourCacheStatus(r).startsWith("edge-test-1;hit;"), ourCacheStatus(r));
            }
        } finally {
            assertEquals(6, fastHits(shortIdle));
            shortIdle.stop(Duration.ofMillis(200));
        }
    }

    @Test
    void nothingIsAnsweredOnTheConnectionAfterARequestThatClosesIt() throws IOException {
        send(edge, "GET", "/doc", true);
        double before = fastHits(edge);
        try (Socket s = new Socket("127.0.0.1", edge.trafficPort())) {
            s.setSoTimeout(10_000);
            // the lifecycle answers the first at once (508, a loop) and then closes, as it was asked to
            s.getOutputStream().write(("GET /doc HTTP/1.1\r\nHost: " + HOST + "\r\nVia: 1.1 edge-test-1 (outpost)\r\n"
                    + "Connection: close\r\n\r\nGET /doc HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            assertEquals(508, RawHttp.next(in, false).status());
            assertEquals(-1, RawHttp.next(in, false).status(), "the request after it is not answered");
        }
        assertEquals(before, fastHits(edge));
    }

    @Test
    void pipelinedHitsLeaveInRequestOrderBehindAResponseStillBeingFetched() throws IOException {
        send(edge, "GET", "/doc", true);
        send(edge, "GET", "/gone", true);
        double before = fastHits(edge);
        try (Socket s = new Socket("127.0.0.1", edge.trafficPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String head = " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n";
            // one write: a hit, a miss the origin answers after 300 ms, two hits queued behind it
            out.write(("GET /doc" + head + "GET /slow" + head + "GET /gone" + head + "GET /doc" + head)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            assertEquals(BODY, RawHttp.next(in, false).text());
            assertEquals("slow", RawHttp.next(in, false).text());
            assertEquals("not here", RawHttp.next(in, false).text());
            assertEquals(BODY, RawHttp.next(in, false).text());
        }
        assertEquals(before + 1, fastHits(edge), "only the hit before the miss; the rest queued behind it");
    }

    @Test
    void aHitSentWhileAResponseAfter100ContinueStreamsWaitsForItsEnd() throws IOException {
        send(edge, "GET", "/doc", true);
        try (Socket s = new Socket("127.0.0.1", edge.trafficPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(("POST /form HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertEquals(100, RawHttp.next(in, false).status(), "the edge asks for the body");
            out.write("hello".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            RawHttp.Response postHead = RawHttp.readHead(in);
            assertEquals(200, postHead.status());
            // The POST's body is still streaming (the origin dribbles it): the 100 above was not its
            // answer, so this hit must wait for the end of it.
            out.write(("GET /doc HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertEquals("posted in five parts", new String(RawHttp.readBody(in, postHead, false), StandardCharsets.UTF_8));
            assertEquals(BODY, RawHttp.next(in, false).text());
        }
    }
}
