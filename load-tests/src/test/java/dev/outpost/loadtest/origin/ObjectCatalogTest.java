package dev.outpost.loadtest.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The load origin's synthetic objects ({@code /obj/N}) and counters ({@code /admin/stats}), in-process. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ObjectCatalogTest {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Vertx vertx;
    private String base;

    private void start(ObjectCatalog.Settings settings) throws Exception {
        vertx = Vertx.vertx();
        int port = new DemoOrigin(Clock.systemUTC(), settings).start(vertx, "127.0.0.1", 0)
                .await(10, TimeUnit.SECONDS).actualPort();
        base = "http://127.0.0.1:" + port;
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonObject stats() throws Exception {
        return new JsonObject(new String(get("/admin/stats").body(), java.nio.charset.StandardCharsets.UTF_8));
    }

    private static ObjectCatalog.Settings settings(int objects, String mix, long latencyMin, long latencyMax,
            double errorRate) {
        return new ObjectCatalog.Settings(objects, SizeMix.parse(mix), "public, max-age=60, stale-if-error=300",
                latencyMin, latencyMax, errorRate, 10);
    }

    @Test
    void objectsHaveTheirMixSizeAPatternBodyValidatorsAndSurrogateKeys() throws Exception {
        ObjectCatalog.Settings s = settings(100, "1KiB-200KiB", 0, 0, 0);
        start(s);
        HttpResponse<byte[]> r = get("/obj/42");
        assertEquals(200, r.statusCode());
        long size = s.sizes().sizeOf(42);
        assertEquals(String.valueOf(size), r.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("public, max-age=60, stale-if-error=300", r.headers().firstValue("Cache-Control").orElseThrow());
        assertEquals("o42 g2", r.headers().firstValue("Surrogate-Key").orElseThrow());
        String etag = r.headers().firstValue("ETag").orElseThrow();
        assertEquals("\"o42-" + size + "\"", etag);
        byte[] expected = new byte[(int) size];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = PatternBody.LINE[i % PatternBody.LINE.length];
        }
        assertArrayEquals(expected, r.body());

        assertEquals(304, get("/obj/42", "If-None-Match", etag).statusCode());
        String lastModified = r.headers().firstValue("Last-Modified").orElseThrow();
        assertEquals(304, get("/obj/42", "If-Modified-Since", lastModified).statusCode());
        assertEquals(200, get("/obj/7").statusCode());

        JsonObject stats = stats();
        assertEquals(4, stats.getLong("requests"));
        assertEquals(2, stats.getLong("full"));
        assertEquals(2, stats.getLong("notModified"));
        assertEquals(2, stats.getLong("distinctObjects"));
        assertEquals(1, stats.getLong("refetchedObjects"));
        assertEquals(3, stats.getLong("maxAnswersPerObject"));
        assertEquals(size + s.sizes().sizeOf(7), stats.getLong("bytesSent"));
    }

    @Test
    void unknownAndMalformedIdsAreClientErrorsAndNotCounted() throws Exception {
        start(settings(10, "1KiB", 0, 0, 0));
        assertEquals(404, get("/obj/10").statusCode());
        assertEquals(404, get("/obj/-1").statusCode());
        HttpResponse<byte[]> bad = get("/obj/abc");
        assertEquals(400, bad.statusCode());
        assertTrue(new String(bad.body()).contains("\"abc\""));
        assertEquals(0, stats().getLong("requests"));
    }

    @Test
    void errorRateOneFailsEveryObjectRequestWithAnUncacheable500() throws Exception {
        start(settings(10, "1KiB", 0, 0, 1.0));
        HttpResponse<byte[]> r = get("/obj/1");
        assertEquals(500, r.statusCode());
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
        JsonObject stats = stats();
        assertEquals(1, stats.getLong("injectedErrors"));
        assertEquals(0, stats.getLong("distinctObjects"));
    }

    @Test
    void latencyDelaysTheAnswer() throws Exception {
        start(settings(10, "1KiB", 200, 250, 0));
        long t0 = System.nanoTime();
        assertEquals(200, get("/obj/3").statusCode());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 200, "answered after " + ms + " ms");
    }

    @Test
    void theOutageSwitchRefusesObjectsAndCountsTheRefusals() throws Exception {
        start(settings(10, "1KiB", 0, 0, 0));
        assertEquals(200, get("/admin/fail?on=true").statusCode());
        assertEquals(503, get("/obj/1").statusCode());
        assertEquals(503, get("/obj/2").statusCode());
        JsonObject stats = stats();
        assertEquals(2, stats.getLong("refusedWhileDown"));
        assertEquals(true, stats.getBoolean("down"));
        assertEquals(0, stats.getLong("requests"));
        assertEquals(200, get("/admin/fail?on=false").statusCode());
        assertEquals(200, get("/obj/1").statusCode());
    }

    @Test
    void settingsFromTheCommandLineAreValidated() {
        DemoOrigin origin = new DemoOrigin();
        new picocli.CommandLine(origin).parseArgs("--objects", "500", "--size-mix", "4KiB-64KiB:8,1MiB:2",
                "--latency", "5-20", "--error-rate", "0.01", "--object-cache-control", "max-age=1", "--tag-groups", "7");
        ObjectCatalog.Settings s = origin.catalogSettingsFromOptions();
        assertEquals(new ObjectCatalog.Settings(500, SizeMix.parse("4KiB-64KiB:8,1MiB:2"), "max-age=1", 5, 20, 0.01, 7), s);

        DemoOrigin badLatency = new DemoOrigin();
        new picocli.CommandLine(badLatency).parseArgs("--latency", "soon");
        assertTrue(assertThrows(IllegalArgumentException.class, badLatency::catalogSettingsFromOptions)
                .getMessage().contains("--latency"));
        DemoOrigin badRate = new DemoOrigin();
        new picocli.CommandLine(badRate).parseArgs("--error-rate", "1.5");
        assertTrue(assertThrows(IllegalArgumentException.class, badRate::catalogSettingsFromOptions)
                .getMessage().contains("error rate"));
        DemoOrigin badMix = new DemoOrigin();
        new picocli.CommandLine(badMix).parseArgs("--size-mix", "big");
        assertThrows(IllegalArgumentException.class, badMix::catalogSettingsFromOptions);
    }
}
