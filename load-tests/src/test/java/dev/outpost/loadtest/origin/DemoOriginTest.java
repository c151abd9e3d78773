package dev.outpost.loadtest.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Starts {@link DemoOrigin} in-process on a free port and checks what its demo paths send. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DemoOriginTest {

    private Vertx vertx;
    private HttpClient client;
    private String base;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        int port = new DemoOrigin().start(vertx, "127.0.0.1", 0).await(10, TimeUnit.SECONDS).actualPort();
        base = "http://127.0.0.1:" + port;
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build(); // as the edge talks to it
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void indexListsEveryDemoPath() throws Exception {
        HttpResponse<String> r = get("/");
        assertEquals(200, r.statusCode());
        assertEquals("max-age=10", header(r, "Cache-Control"));
        assertTrue(header(r, "Content-Type").startsWith("text/html"));
        for (String path : new String[] {"/static/", "/short", "/swr", "/sie", "/cdn", "/private", "/no-store",
                "/vary", "/tagged", "/cookie", "/slow", "/bytes", "/admin/fail"}) {
            assertTrue(r.body().contains(path), path);
        }
    }

    @Test
    void staticAssetsCarryValidatorsAndRevalidateWith304() throws Exception {
        HttpResponse<String> r = get("/static/logo.txt");
        assertEquals(200, r.statusCode());
        assertEquals("public, max-age=300", header(r, "Cache-Control"));
        String etag = header(r, "ETag");
        String lastModified = header(r, "Last-Modified");
        assertTrue(etag.matches("W/\"static-[0-9a-f]+-[0-9]+\""), etag);
        assertTrue(lastModified.endsWith(" GMT"), lastModified);
        assertTrue(r.body().contains("Cache-Control: public, max-age=300"), r.body());

        HttpResponse<String> byEtag = get("/static/logo.txt", "If-None-Match", "\"other\", " + etag);
        assertEquals(304, byEtag.statusCode());
        assertEquals("", byEtag.body());
        assertEquals(etag, header(byEtag, "ETag"));
        assertEquals("public, max-age=300", header(byEtag, "Cache-Control"));

        HttpResponse<String> byDate = get("/static/logo.txt", "If-Modified-Since", lastModified);
        assertEquals(304, byDate.statusCode());

        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
        HttpResponse<String> both = get("/static/logo.txt", "If-None-Match", "\"other\"",
                "If-Modified-Since", lastModified);
        assertEquals(200, both.statusCode());
    }

    @Test
    void shortRevalidatesWithIfNoneMatch() throws Exception {
        HttpResponse<String> r = get("/short");
        assertEquals("max-age=5", header(r, "Cache-Control"));
        assertEquals("W/\"short-v1\"", header(r, "ETag"));
        assertEquals(304, get("/short", "If-None-Match", "\"short-v1\"").statusCode()); // weak comparison
        assertEquals(304, get("/short", "If-None-Match", "*").statusCode());
        assertEquals(200, get("/short", "If-None-Match", "W/\"short-v0\"").statusCode());
    }

    @Test
    void cachingHeadersOfTheOtherPages() throws Exception {
        assertEquals("max-age=5, stale-while-revalidate=30", header(get("/swr"), "Cache-Control"));
        assertEquals("max-age=5, stale-if-error=300", header(get("/sie"), "Cache-Control"));
        HttpResponse<String> cdn = get("/cdn");
        assertEquals("no-store", header(cdn, "Cache-Control"));
        assertEquals("max-age=60", header(cdn, "CDN-Cache-Control"));
        assertEquals("private, max-age=60", header(get("/private"), "Cache-Control"));
        assertEquals("no-store", header(get("/no-store"), "Cache-Control"));
        HttpResponse<String> tagged = get("/tagged");
        assertEquals("demo products", header(tagged, "Surrogate-Key"));
        assertEquals("demo,products", header(tagged, "Cache-Tag"));
        assertTrue(header(get("/cookie"), "Set-Cookie").startsWith("demo-session="));
        assertTrue(header(get("/short"), "Date").endsWith(" GMT"));
        HttpResponse<String> missing = get("/nope");
        assertEquals(404, missing.statusCode());
        assertEquals("max-age=10", header(missing, "Cache-Control"));
    }

    @Test
    void varyDependsOnAcceptLanguage() throws Exception {
        HttpResponse<String> fr = get("/vary", "Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8");
        assertEquals("Accept-Language", header(fr, "Vary"));
        assertEquals("fr", header(fr, "Content-Language"));
        assertTrue(fr.body().contains("Bonjour"), fr.body());
        HttpResponse<String> other = get("/vary", "Accept-Language", "xx");
        assertEquals("en", header(other, "Content-Language"));
        assertTrue(other.body().contains("Hello"), other.body());
    }

    @Test
    void failSwitchTakesEverythingButAdminDown() throws Exception {
        assertEquals(200, get("/sie").statusCode());
        assertEquals(200, get("/admin/fail?on=true").statusCode());
        HttpResponse<String> down = get("/sie");
        assertEquals(503, down.statusCode());
        assertEquals("no-store", header(down, "Cache-Control"));
        assertEquals(503, get("/static/a").statusCode());
        assertTrue(get("/admin/fail").body().startsWith("origin down"));

        assertEquals(200, get("/admin/fail?on=true&mode=close").statusCode());
        assertThrows(IOException.class, () -> get("/sie"));

        assertEquals(200, get("/admin/fail?on=false").statusCode());
        assertEquals(200, get("/sie").statusCode());
        assertEquals(400, get("/admin/fail?on=maybe").statusCode());
    }

    @Test
    void slowAnswersAfterTheDelay() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = get("/slow?ms=300");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(200, r.statusCode());
        assertEquals("max-age=30", header(r, "Cache-Control"));
        assertTrue(ms >= 300, "answered after " + ms + " ms");
        assertEquals(400, get("/slow?ms=-1").statusCode());
        assertEquals(400, get("/slow?ms=999999").statusCode());
    }

    @Test
    void bytesStreamsADeterministicBodyOfTheAskedSize() throws Exception {
        int size = 3 * 1024 * 1024 + 17; // several chunks and a partial one
        HttpResponse<InputStream> r = client.send(
                HttpRequest.newBuilder(URI.create(base + "/bytes?size=" + size)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals(String.valueOf(size), header(r, "Content-Length"));
        assertEquals("max-age=60", header(r, "Cache-Control"));
        assertEquals("\"bytes-" + size + "\"", header(r, "ETag"));
        byte[] body;
        try (InputStream in = r.body()) {
            body = in.readAllBytes();
        }
        byte[] line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] expected = new byte[size];
        for (int i = 0; i < size; i++) {
            expected[i] = line[i % line.length];
        }
        assertArrayEquals(expected, body);

        assertEquals(304, get("/bytes?size=" + size, "If-None-Match", "\"bytes-" + size + "\"").statusCode());
        assertEquals(0, get("/bytes?size=0").body().length());
        assertEquals(400, get("/bytes?size=lots").statusCode());
    }

    @Test
    void headAnswersWithoutBody() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/bytes?size=5000000000"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("5000000000", header(r, "Content-Length"));
        assertFalse(r.body().length() > 0);
    }

    @Test
    void etagListParsing() {
        assertTrue(DemoOrigin.etagMatches("W/\"a\"", "\"a\""));
        assertTrue(DemoOrigin.etagMatches("\"x\",\"a\"", "W/\"a\""));
        assertFalse(DemoOrigin.etagMatches("\"ab\"", "\"a\""));
        assertFalse(DemoOrigin.etagMatches("a", "\"a\""));
        assertEquals("de", DemoOrigin.firstLanguage("xx, de-AT;q=0.5"));
    }
}
