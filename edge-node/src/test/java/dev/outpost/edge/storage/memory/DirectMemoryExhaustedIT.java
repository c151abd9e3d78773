package dev.outpost.edge.storage.memory;

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
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Direct memory runs out while the memory tier copies a fetched body off-heap: the client still gets the
 * whole response from the origin stream, the object is not stored, and the failure is counted in
 * {@code outpost_cache_write_failures_total{tier="memory"}}.
 */
class DirectMemoryExhaustedIT extends EdgeTestBase {

    @Test
    void theResponseCompletesFromTheOriginAndTheFailureIsCounted() throws Exception {
        byte[] body = new byte[100_000]; // two chunks, below cache.memory.file-min-size: in direct buffers
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 5);
        }
        origin.stubFor(WireMock.get("/m").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody(body)));
        edge.memory().allocateDirectWith(n -> {
            throw new OutOfMemoryError("Cannot reserve " + n + " bytes of direct buffer memory");
        });
        for (int i = 0; i < 2; i++) {
            RawHttp.Response r = get("/m");
            assertEquals(200, r.status());
            assertArrayEquals(body, r.body());
            assertEquals("uri-miss", CacheStatusEntry.parse(ourCacheStatus(r)).fwd(), "not stored");
        }
        assertEquals(2, edge.memory().writeFailures());
        String metrics = RawHttp.get(edge.adminPort(), "localhost", "/metrics").text();
        assertTrue(metrics.contains(
                "outpost_cache_write_failures_total{node=\"edge-test-1\",region=\"test\",tier=\"memory\"} 2.0"),
                metrics);

        edge.memory().allocateDirectWith(ByteBuffer::allocateDirect);
        get("/m");
        RawHttp.Response hit = get("/m");
        assertArrayEquals(body, hit.body());
        assertTrue(CacheStatusEntry.parse(ourCacheStatus(hit)).hit(), hit.header("Cache-Status"));
        assertEquals(3, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/m")).build()).getCount());
    }
}
