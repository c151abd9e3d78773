package dev.outpost.edge.storage.disk;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.proxy.ResponseWriter;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A corrupt or unreadable stored body is never served: the edge drops it and the origin answers (bodies
 * up to {@link ResponseWriter#VERIFIED_BEFORE_HEAD} are read whole before the head goes out; a larger
 * one that fails part-way is cut, never completed with wrong bytes); failing disk reads and writes never
 * cost a client an error. Every failure is counted.
 */
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

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 7 + (i >>> 12));
        }
        return b;
    }

    private void stub(String path, byte[] body) {
        origin.stubFor(WireMock.get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody(body)));
    }

    private int originRequests(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    /** The value of a disk-tier (or {@code tier}) meter in /metrics, 0 when absent. */
    private double metric(String name, String tier) throws java.io.IOException {
        String prefix = name + "{node=\"edge-test-1\",region=\"test\",tier=\"" + tier + "\"} ";
        for (String line : RawHttp.get(edge.adminPort(), "localhost", "/metrics").text().split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(prefix.length()));
            }
        }
        return 0;
    }

    /** GETs {@code path}: a 200 with exactly {@code body}, fetched from the origin ({@code fwd}). */
    private void assertServedByTheOrigin(String path, byte[] body, String fwd) throws Exception {
        RawHttp.Response r = get(path);
        assertEquals(200, r.status());
        assertArrayEquals(body, r.body());
        assertEquals(fwd, CacheStatusEntry.parse(ourCacheStatus(r)).fwd(), r.header("Cache-Status"));
    }

    /** One read failure counted (in /metrics too) and, once the writes settle, what the store holds. */
    private void assertOneReadFailureCountedAndTheStoreHolds(long metaRecords, long chunkKeys) throws Exception {
        assertEquals(1, edge.disk().readFailures());
        assertEquals(1.0, metric("outpost_cache_read_failures_total", "disk"));
        edge.disk().awaitWrites();
        assertEquals(metaRecords, edge.disk().metaRecordCount(), "meta records");
        assertEquals(chunkKeys, edge.disk().chunkKeyCount(), "chunk keys");
    }

    @Test
    void aDamagedChunkAfterTheFirstStillFallsBackToTheOriginBeforeAnythingIsSent() throws Exception {
        byte[] body = pattern(200_000); // 4 chunks, under VERIFIED_BEFORE_HEAD
        stub("/c2", body);
        get("/c2");
        edge.disk().awaitWrites();
        CacheKey key = new CacheKey(HOST, "/c2");
        byte[] damaged = java.util.Arrays.copyOfRange(body, 2 * DiskStorage.CHUNK_SIZE, 3 * DiskStorage.CHUNK_SIZE);
        damaged[100] ^= 0x40;
        edge.disk().overwriteChunk(key, "", 2, damaged);

        RawHttp.Response r = get("/c2");
        assertEquals(200, r.status());
        assertArrayEquals(body, r.body(), "the exact origin bytes, not a cut or damaged body");
        assertEquals("miss", CacheStatusEntry.parse(ourCacheStatus(r)).fwd());
        assertEquals(2, originRequests("/c2"));
        assertOneReadFailureCountedAndTheStoreHolds(1, 4); // the damaged copy is gone; the refetched one is stored

        RawHttp.Response next = get("/c2");
        assertArrayEquals(body, next.body());
        assertTrue(CacheStatusEntry.parse(ourCacheStatus(next)).hit(), next.header("Cache-Status"));
        assertEquals(2, originRequests("/c2"));
    }

    @Test
    void aLargeObjectDamagedPartWayIsCutNeverCompletedWithWrongBytesAndIsDropped() throws Exception {
        int size = 16 * DiskStorage.CHUNK_SIZE + 1000; // 1 MiB and a bit: streamed as it is read
        assertTrue(size > ResponseWriter.VERIFIED_BEFORE_HEAD);
        byte[] body = pattern(size);
        stub("/large", body);
        get("/large");
        edge.disk().awaitWrites();
        edge.disk().overwriteChunk(new CacheKey(HOST, "/large"), "", 10, new byte[DiskStorage.CHUNK_SIZE]);

        byte[] got;
        try {
            RawHttp.Response cut = get("/large");
            assertEquals(200, cut.status());
            got = cut.body();
        } catch (java.io.IOException reset) {
            got = null; // the connection was reset while the body was read
        }
        if (got != null) {
            assertTrue(got.length < size, "the response is cut: " + got.length + " of " + size);
            assertArrayEquals(java.util.Arrays.copyOf(body, got.length), got, "what was sent is right");
        }
        assertOneReadFailureCountedAndTheStoreHolds(0, 0); // the damaged object is dropped

        RawHttp.Response next = get("/large");
        assertEquals(200, next.status());
        assertArrayEquals(body, next.body());
        assertEquals("uri-miss", CacheStatusEntry.parse(ourCacheStatus(next)).fwd());
    }

    @Test
    void failingDiskReadsCostClientsNothingAndAreCounted() throws Exception {
        byte[] body = pattern(200_000);
        stub("/r", body);
        get("/r");
        edge.disk().awaitWrites();
        edge.disk().injectFaults(op -> op == DiskStorage.Op.READ);
        for (int i = 0; i < 3; i++) {
            assertServedByTheOrigin("/r", body, "uri-miss"); // a lookup that fails is a miss
            edge.disk().awaitWrites();
        }
        // chunk reads fail but the lookup works: the failure comes before the head, the origin answers
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        edge.disk().injectFaults(op -> op == DiskStorage.Op.READ && reads.incrementAndGet() > 1);
        assertServedByTheOrigin("/r", body, "miss");
        assertTrue(edge.disk().readFailures() >= 4, "failures " + edge.disk().readFailures());
        assertEquals(edge.disk().readFailures(), metric("outpost_cache_read_failures_total", "disk"));
        assertEquals(5, originRequests("/r"));

        edge.disk().injectFaults(null);
        edge.disk().awaitWrites();
        RawHttp.Response hit = get("/r");
        assertArrayEquals(body, hit.body());
        assertTrue(CacheStatusEntry.parse(ourCacheStatus(hit)).hit(), "reads work again: " + ourCacheStatus(hit));
        assertEquals(5, originRequests("/r"));
    }

    @Test
    void failingDiskWritesCostClientsNothingAreCountedAndStoringResumes() throws Exception {
        byte[] body = pattern(200_000);
        stub("/w", body);
        edge.disk().injectFaults(op -> op == DiskStorage.Op.WRITE);
        for (int i = 0; i < 3; i++) {
            assertServedByTheOrigin("/w", body, "uri-miss"); // nothing was stored
            edge.disk().awaitWrites();
        }
        assertEquals(3, edge.disk().writeFailures());
        assertEquals(3.0, metric("outpost_cache_write_failures_total", "disk"));
        assertEquals(0, edge.disk().metaRecordCount());
        assertEquals(0, edge.disk().chunkKeyCount(), "no partial object left behind");

        edge.disk().injectFaults(null);
        get("/w");
        edge.disk().awaitWrites();
        RawHttp.Response hit = get("/w");
        assertArrayEquals(body, hit.body());
        assertTrue(CacheStatusEntry.parse(ourCacheStatus(hit)).hit(), "stored again: " + ourCacheStatus(hit));
        assertEquals(4, originRequests("/w"));
    }
}
