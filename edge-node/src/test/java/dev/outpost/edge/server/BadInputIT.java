package dev.outpost.edge.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed requests on raw sockets: a clear 4xx, the connection closed, never a 5xx, and nothing
 * smuggled to the origin. RFC 9112 §2.2, §5, §6, §7.1; RFC 9110 §5.5.
 */
class BadInputIT extends EdgeTestBase {

    @Override
    protected String edgeYaml() {
        return super.edgeYaml().replace("  port: 0\nadmin:", "  port: 0\n  request-head-timeout: 1s\nadmin:");
    }

    @BeforeEach
    void originAnswersEverything() {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("ok")));
    }

    private RawHttp.Response send(String raw) throws IOException {
        return RawHttp.exchange(port(), raw);
    }

    private void assertRejected(int status, String raw) throws IOException {
        RawHttp.Response r = send(raw);
        assertEquals(status, r.status(), raw);
        assertTrue(r.closed(), "connection closed after " + status);
        assertTrue(r.text().length() > 0, "the body names the problem");
        assertTrue(String.valueOf(r.header("Cache-Status")).endsWith(";fwd=bypass;detail=bad-request"),
                "RFC 9211: Cache-Status on every response: " + r.header("Cache-Status"));
        assertEquals(0, origin.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().contains("SMUGGLED")).count(), "nothing smuggled");
    }

    @Test
    void rfc9112_3_requestLineOverTheLimitIs414() throws IOException {
        assertRejected(414, "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: site.example\r\n\r\n");
    }

    @Test
    void requestLineJustUnderTheLimitIsServed() throws IOException {
        assertEquals(200, send("GET /" + "a".repeat(7000) + " HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\n\r\n")
                .status());
    }

    @Test
    void rfc6585_5_headerSectionOverTheLimitIs431() throws IOException {
        assertRejected(431, "GET / HTTP/1.1\r\nHost: site.example\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
    }

    @Test
    void rfc9112_6_3_contentLengthWithTransferEncodingIs400() throws IOException {
        assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\nHost: site.example\r\n\r\n");
        assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: 4\r\n\r\n0\r\n\r\n");
    }

    @Test
    void rfc9112_6_3_differingContentLengthsAre400() throws IOException {
        assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
        assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nContent-Length: 5, 6\r\n\r\nhello!");
    }

    @Test
    void rfc9112_6_1_transferEncodingOtherThanChunkedIs400() throws IOException {
        for (String te : new String[] {"gzip, chunked", "chunked, chunked", "xchunked", "identity"}) {
            assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nTransfer-Encoding: " + te + "\r\n\r\n"
                    + "0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\nHost: site.example\r\n\r\n");
        }
        assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nTransfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    @Test
    void rfc9112_5_1_whitespaceBeforeTheColonIs400() throws IOException {
        assertRejected(400, "GET / HTTP/1.1\r\nHost : site.example\r\n\r\n");
        assertRejected(400, "GET / HTTP/1.1\r\nHost: site.example\r\nX-A\t: x\r\n\r\n");
    }

    @Test
    void rfc9110_5_5_crLfOrNulInsideAFieldValueIs400() throws IOException {
        assertRejected(400, "GET / HTTP/1.1\r\nHost: site.example\r\nX-A: a\u0000b\r\n\r\n");
        assertRejected(400, "GET / HTTP/1.1\r\nHost: site.example\r\nX-A: a\rb\r\n\r\n");
        assertRejected(400, "GET / HTTP/1.1\r\nHost: site.example\r\nX-A: a\nb: c\r\n\r\n");
    }

    @Test
    void rfc9112_5_2_obsFoldIs400() throws IOException {
        assertRejected(400, "GET / HTTP/1.1\r\nHost: site.example\r\nX-A: a\r\n b\r\n\r\n");
    }

    @Test
    void rfc9112_7_1_malformedChunkSizesAre400() throws IOException {
        for (String chunk : new String[] {"zz\r\nhello\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n",
                "100000000\r\n\r\nGET /SMUGGLED HTTP/1.1\r\nHost: site.example\r\n\r\n",
                "5\r\nhelloXX0\r\n\r\n"}) {
            assertRejected(400, "POST / HTTP/1.1\r\nHost: site.example\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk);
        }
    }

    @Test
    void validChunkedBodyIsForwarded() throws IOException {
        RawHttp.Response r = send("POST /upload HTTP/1.1\r\nHost: site.example\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals("hello", origin.getAllServeEvents().get(0).getRequest().getBodyAsString());
    }

    @Test
    void getBodiesAreNotForwarded() throws IOException {
        RawHttp.Response r = send("GET /g HTTP/1.1\r\nHost: site.example\r\nContent-Length: 5\r\n"
                + "Connection: close\r\n\r\nhello");
        assertEquals(200, r.status());
        assertEquals("", origin.getAllServeEvents().get(0).getRequest().getBodyAsString());
    }

    @Test
    void missingOrDuplicateHostIs400AndUnknownHostCannotUseTheEdgeAsAnOpenProxy() throws IOException {
        assertEquals(400, send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").status());
        assertEquals(400, send("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n")
                .status());
    }

    @Test
    void slowClientIsCutOffByTheRequestHeadDeadline() throws IOException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(10_000);
            long elapsedMs = dripHeadUntilCutOff(s);
            assertTrue(elapsedMs < 4_000, "cut off after the 1 s deadline, took " + elapsedMs + " ms");
        }
    }

    @Test
    void everyHeadOnAKeepAliveConnectionHasItsOwnDeadline() throws IOException, InterruptedException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            // Prompt heads on one connection for longer than the deadline: none of them is cut off.
            long start = System.nanoTime();
            while (System.nanoTime() - start < 2_500_000_000L) {
                out.write("GET /k HTTP/1.1\r\nHost: site.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                RawHttp.Response r = RawHttp.read(in, false);
                assertEquals(200, r.status());
                Thread.sleep(300);
            }
            // Then a head that never ends, started well after the connection's first deadline: cut off
            // one deadline after its own first byte, not earlier and not never.
            long elapsedMs = dripHeadUntilCutOff(s);
            assertTrue(elapsedMs >= 900 && elapsedMs < 4_000, "cut off 1 s after its first byte, took " + elapsedMs + " ms");
        }
    }

    /** Sends a head a byte every 100 ms, never finishing it; returns the ms until the edge answered 408 or closed. */
    private static long dripHeadUntilCutOff(Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        long start = System.nanoTime();
        byte[] head = "GET / HTTP/1.1\r\nHost: site.example\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        int i = 0;
        boolean closed = false;
        // Never idle for long (a byte every 100 ms), but never finishing the head either.
        while (System.nanoTime() - start < 5_000_000_000L) {
            try {
                out.write(head[i++ % head.length]);
                out.flush();
                if (in.available() > 0) {
                    break;
                }
                Thread.sleep(100);
            } catch (IOException e) {
                closed = true;
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        if (!closed) {
            RawHttp.Response r = RawHttp.read(in, false);
            assertEquals(408, r.status());
        }
        return elapsedMs;
    }
}
