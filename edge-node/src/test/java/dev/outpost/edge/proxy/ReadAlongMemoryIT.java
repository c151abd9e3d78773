package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.edge.testing.RawHttp;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Reading along a fill on an edge without a disk tier (ARCHITECTURE §1, "the others wait or stream along"): the
 * memory tier's growing body serves requests arriving after the origin's head and ranges, whether the body goes
 * to a file of the memory filesystem (the default from 128 KiB) or stays in direct buffers, and a leader whose
 * client falls behind does not hold the fill (or its followers) back. The collapse wait is 200 ms, far shorter
 * than these fills: without reading along, every late request would fetch for itself.
 */
class ReadAlongMemoryIT extends ReadAlongTestBase {

    @Override
    protected String edgeYaml() {
        return super.edgeYaml().replace("wait-timeout: 5s", "wait-timeout: 200ms");
    }

    @Test
    void requestsBeforeAndAfterTheHeadReadAlongAFillInAMemoryFile() throws Exception {
        assertFiveClientsReadAlongOneFill(port(), edge, 1 << 20);
    }

    @Test
    void requestsBeforeAndAfterTheHeadReadAlongAFillInDirectBuffers() throws Exception {
        EdgeRuntime heapOnly = startEdge(edgeYaml().replace("    max-object-size: 8MiB\n",
                "    max-object-size: 8MiB\n    file-min-size: 0\n"));
        try {
            assertFiveClientsReadAlongOneFill(heapOnly.trafficPort(), heapOnly, 1 << 20);
        } finally {
            heapOnly.stop(Duration.ofMillis(100));
        }
    }

    /**
     * Under the 8 MiB object limit and far over the sockets' buffers. Nobody waits at the head (followers that do
     * read a heap copy, which the leader's client never paces), so the fill would go at the stalled client's pace
     * without the hand-over, and the followers, arriving mid-body, would wait 200 ms and fetch for themselves.
     */
    @Test
    void aLeaderWhoseClientDoesNotReadHoldsNeitherTheFillNorItsFollowersBack() throws Exception {
        assertAStalledLeaderHoldsNothingBack(6 << 20, 800, 1500);
    }

    /**
     * A chunked body may turn out larger than the memory tier takes (here 9 MiB against 8 MiB): the tier offers no
     * growing body for it, so a client that falls behind is not handed over to a copy that would be given up part
     * way (its response would be cut); it paces the fill instead, and gets every byte.
     */
    @Test
    void aClientBehindAChunkedFillLargerThanTheTierTakesIsNotCut() throws Exception {
        byte[] body = body(9 << 20);
        origin.stubFor(WireMock.get(PATH).willReturn(aResponse() // no Content-Length: chunked
                .withHeader("Cache-Control", "max-age=60").withBody(body)));
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", port()));
            slow.setSoTimeout(20_000);
            slow.getOutputStream().write(("GET " + PATH + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(1000); // falls behind
            RawHttp.Response own = RawHttp.next(slow.getInputStream(), false);
            assertEquals(200, own.status());
            assertArrayEquals(body, own.body(), "not cut");
        }
        assertEquals(0.0, edge.registry().get("outpost.fills.client.behind").counter().count());
    }
}
