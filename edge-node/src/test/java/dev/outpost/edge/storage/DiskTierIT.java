package dev.outpost.edge.storage;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The edge with memory in front of the RocksDB disk tier: placement, restarts, ranges from disk. */
class DiskTierIT extends EdgeTestBase {

    private Path diskDir;

    @Override
    protected String edgeYaml() {
        try {
            if (diskDir == null) {
                diskDir = Files.createTempDirectory("outpost-disk-it");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return super.edgeYaml().replace("""
                    max-object-size: 8MiB
                """, """
                    max-object-size: 64KiB
                  disk:
                    path: %s
                    max-size: 256MiB
                """.formatted(diskDir));
    }

    @org.junit.jupiter.api.AfterEach
    void deleteDiskDir() throws Exception {
        stopOriginAndEdgeNow();
        if (diskDir != null) {
            try (var siblings = Files.list(diskDir.getParent())) {
                for (Path p : siblings.filter(p -> p.getFileName().toString().startsWith(
                        diskDir.getFileName().toString())).toList()) {
                    try (var paths = Files.walk(p)) {
                        paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                }
            }
        }
    }

    private static CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    private static byte[] body(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    @Test
    void anObjectOverTheMemoryLimitIsServedFromDisk() throws Exception {
        byte[] big = body(300_000);
        origin.stubFor(WireMock.get("/big").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody(big)));
        assertTrue(status(get("/big")).stored());
        RawHttp.Response hit = get("/big");
        assertArrayEquals(big, hit.body());
        // Right after the fill the disk commit may still be running: then this request waits for it.
        assertTrue(status(hit).hit() || status(hit).collapsed(), hit.header("Cache-Status"));
        assertEquals("disk", status(hit).detail());
        RawHttp.Response part = get("/big", "Range: bytes=131000-131099");
        assertEquals(206, part.status());
        assertArrayEquals(Arrays.copyOfRange(big, 131_000, 131_100), part.body());
        assertEquals(1, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/big")).build()).getCount());
    }

    @Test
    void aGracefulRestartComesBackWarmWithAgeContinuing() throws Exception {
        origin.stubFor(WireMock.get("/warm").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("kept across restarts")));
        get("/warm");
        edge.stop(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(42));
        edge = startEdge(edgeYaml());
        RawHttp.Response after = get("/warm");
        assertEquals("kept across restarts", after.text());
        assertTrue(status(after).hit());
        assertEquals("disk", status(after).detail());
        assertEquals("42", after.header("Age"), "Age continues from the stored times");
        assertEquals(558L, status(after).ttl());
        RawHttp.Response promoted = get("/warm");
        assertTrue(status(promoted).hit());
        assertEquals(1, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/warm")).build()).getCount());
    }

    @Test
    void diskTierMetricsAreExported() throws Exception {
        origin.stubFor(WireMock.get("/m").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("m")));
        get("/m");
        String diskEntries = "outpost_cache_entries{node=\"edge-test-1\",region=\"test\",tier=\"disk\"} 1.0";
        // The disk commit runs after the response went out: wait (bounded) until it has landed.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String metrics = RawHttp.get(edge.adminPort(), "localhost", "/metrics").text();
        while (!metrics.contains(diskEntries) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            metrics = RawHttp.get(edge.adminPort(), "localhost", "/metrics").text();
        }
        assertTrue(metrics.contains(diskEntries), metrics);
        assertTrue(metrics.contains("outpost_cache_rebuild_seconds"), metrics);
        assertTrue(metrics.contains("outpost_cache_read_failures_total"), metrics);
        assertTrue(metrics.contains("outpost_cache_disk_write_seconds_count"), "disk write latency histogram");
        assertTrue(metrics.contains("outpost_cache_disk_read_seconds_bucket"), "disk read latency histogram");
    }

    @Test
    void aStoreThatCannotBeOpenedIsMovedAsideAndTheEdgeKeepsServing() throws Exception {
        origin.stubFor(WireMock.get("/x").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("fresh")));
        get("/x");
        edge.stop(Duration.ofSeconds(1));
        try (var files = Files.list(diskDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("MANIFEST")).toList()) {
                Files.write(f, new byte[] {1, 2, 3, 4});
            }
        }
        edge = startEdge(edgeYaml());
        RawHttp.Response r = get("/x");
        assertEquals(200, r.status());
        assertEquals("fresh", r.text());
        assertEquals("uri-miss", status(r).fwd(), "the broken store was not used");
        try (var siblings = Files.list(diskDir.getParent())) {
            assertTrue(siblings.anyMatch(p -> p.getFileName().toString().startsWith(diskDir.getFileName() + ".broken-")),
                    "kept aside for inspection");
        }
        assertTrue(status(get("/x")).hit(), "the fresh disk store works");
    }

    /**
     * The value of {@code name} on the /metrics line whose labels include every {@code label="value"}
     * of {@code labels} (0 when there is no such line).
     */
    private double metric(String name, String... labels) throws java.io.IOException {
        for (String line : RawHttp.get(edge.adminPort(), "localhost", "/metrics").text().split("\n")) {
            if (!line.startsWith(name + "{")) {
                continue;
            }
            String labelPart = line.substring(name.length() + 1, line.lastIndexOf('}'));
            java.util.List<String> present = Arrays.asList(labelPart.split(","));
            if (present.containsAll(Arrays.asList(labels))) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void hitsAndBytesServedAreCountedPerTier() throws Exception {
        byte[] big = body(300_000); // disk only
        byte[] small = body(1_000); // both tiers; memory answers
        origin.stubFor(WireMock.get("/dm").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody(big)));
        origin.stubFor(WireMock.get("/sm").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody(small)));
        get("/dm");
        get("/sm");
        edge.disk().cleanUp();
        for (int i = 0; i < 2; i++) {
            RawHttp.Response hit = get("/dm");
            assertArrayEquals(big, hit.body());
            assertEquals("disk", status(hit).detail());
        }
        RawHttp.Response memoryHit = get("/sm");
        assertEquals("memory", status(memoryHit).detail());

        assertEquals(2.0, metric("outpost_requests_total", "cache=\"hit\"", "tier=\"disk\""));
        assertEquals(1.0, metric("outpost_requests_total", "cache=\"hit\"", "tier=\"memory\""));
        assertEquals(2.0, metric("outpost_requests_total", "cache=\"miss\"", "tier=\"none\""));
        assertEquals(600_000.0, metric("outpost_bytes_served_bytes_total", "tier=\"disk\""));
        assertEquals(1_000.0, metric("outpost_bytes_served_bytes_total", "tier=\"memory\""));
        assertEquals(301_000.0, metric("outpost_bytes_served_bytes_total", "tier=\"none\""), "the two misses");
    }

    @Test
    void aRangeFromDiskReadsOnlyTheChunksItCovers() throws Exception {
        byte[] big = body(16 * 65_536 + 500); // 17 chunks, disk only
        origin.stubFor(WireMock.get("/ranged").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody(big)));
        get("/ranged");
        edge.disk().cleanUp();
        double before = metric("outpost_cache_disk_read_seconds_count");
        RawHttp.Response part = get("/ranged", "Range: bytes=100000-150000"); // chunks 1 and 2 of 17
        assertEquals(206, part.status());
        assertEquals("disk", status(part).detail());
        assertArrayEquals(Arrays.copyOfRange(big, 100_000, 150_001), part.body());
        assertEquals(2.0, metric("outpost_cache_disk_read_seconds_count") - before, "two chunk gets, not 17");
    }

    @Test
    void ifRangeFromDiskSendsThePartOnlyWhileTheStrongValidatorMatches() throws Exception {
        byte[] big = body(300_000);
        origin.stubFor(WireMock.get("/ir").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("ETag", "\"v1\"").withBody(big)));
        get("/ir");
        edge.disk().cleanUp();

        RawHttp.Response match = get("/ir", "Range: bytes=70000-70099", "If-Range: \"v1\"");
        assertEquals(206, match.status());
        assertEquals("bytes 70000-70099/300000", match.header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(big, 70_000, 70_100), match.body());
        assertTrue(status(match).hit());
        assertEquals("disk", status(match).detail());

        RawHttp.Response mismatch = get("/ir", "Range: bytes=70000-70099", "If-Range: \"v0\"");
        assertEquals(200, mismatch.status(), "another representation: the whole body");
        assertEquals(null, mismatch.header("Content-Range"));
        assertArrayEquals(big, mismatch.body());
        assertEquals("disk", status(mismatch).detail());

        RawHttp.Response weak = get("/ir", "Range: bytes=70000-70099", "If-Range: W/\"v1\"");
        assertEquals(200, weak.status(), "a weak validator never matches If-Range");
        assertArrayEquals(big, weak.body());
        assertEquals(1, origin.countRequestsMatching(getRequestedFor(urlEqualTo("/ir")).build()).getCount());
    }

    @Test
    void aDiskTierWithoutPurgeApiUrlIsWarnedAboutAtStartAMemoryOnlyEdgeIsNot() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                dev.outpost.edge.server.EdgeRuntime.class);
        lines.start();
        log.addAppender(lines);
        try {
            startEdge(super.edgeYaml()).stop(Duration.ofMillis(100)); // memory only
            assertTrue(lines.list.stream().noneMatch(e -> e.getFormattedMessage().contains("purge.api-url")),
                    lines.list.toString());
            startEdge(withDiskTier(super.edgeYaml(), diskDir("outpost-no-feed"), "64KiB")).stop(Duration.ofMillis(100));
            assertEquals(1, lines.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().startsWith("cache.disk is set without purge.api-url")).count(),
                    lines.list.toString());
        } finally {
            log.detachAppender(lines);
        }
    }
}
