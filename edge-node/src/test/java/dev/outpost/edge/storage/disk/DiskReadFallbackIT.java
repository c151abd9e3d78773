package dev.outpost.edge.storage.disk;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A corrupt stored body is never served: the edge drops it and the origin answers; the read failure is counted. */
class DiskReadFallbackIT extends EdgeTestBase {

    private Path diskDir;

    @Override
    protected String edgeYaml() {
        try {
            diskDir = diskDir != null ? diskDir : Files.createTempDirectory("outpost-disk-fallback");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return super.edgeYaml().replace("""
                    max-object-size: 8MiB
                """, """
                    max-object-size: 16KiB
                  disk:
                    path: %s
                    max-size: 64MiB
                """.formatted(diskDir));
    }

    @AfterEach
    void deleteDiskDir() throws Exception {
        stopOriginAndEdgeNow();
        try (var paths = Files.walk(diskDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aCorruptChunkFallsBackToTheOriginAndIsCounted() throws Exception {
        byte[] body = new byte[200_000];
        Arrays.fill(body, (byte) 'z');
        origin.stubFor(WireMock.get("/c").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody(body)));
        get("/c");
        edge.disk().awaitWrites();
        byte[] damaged = new byte[DiskStorage.CHUNK_SIZE];
        edge.disk().overwriteChunk(new CacheKey(HOST, "/c"), "", 0, damaged);

        RawHttp.Response r = get("/c");
        assertEquals(200, r.status());
        assertArrayEquals(body, r.body(), "never the corrupt bytes");
        CacheStatusEntry s = CacheStatusEntry.parse(ourCacheStatus(r));
        assertEquals("miss", s.fwd());
        assertEquals(2, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/c")).build()).getCount());
        assertEquals(1, edge.disk().readFailures());
        String metrics = RawHttp.get(edge.adminPort(), "localhost", "/metrics").text();
        assertTrue(metrics.contains("outpost_cache_read_failures_total{node=\"edge-test-1\",region=\"test\",tier=\"disk\"} 1.0"),
                metrics);
    }
}
