package dev.outpost.edge.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A soft purge that lands while a revalidation of the same object is in flight (its 304 was asked for
 * before the purge) must not be undone by that 304: the object stays invalidated and the next request
 * revalidates again. Deterministic: the origin holds its 304 until the purge has been applied.
 */
class SoftPurgeRevalidationIT extends EdgeTestBase {

    private final HttpServer heldOrigin;
    private final AtomicInteger conditionals = new AtomicInteger();
    private volatile CountDownLatch received;
    private volatile CountDownLatch release;

    SoftPurgeRevalidationIT() {
        try {
            heldOrigin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        heldOrigin.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        heldOrigin.createContext("/held", this::serve);
        heldOrigin.start();
    }

    /** 200 (max-age=1, ETag); to If-None-Match a 304 (max-age=600), held until released while armed. */
    private void serve(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().add("ETag", "\"v1\"");
        if (ex.getRequestHeaders().getFirst("If-None-Match") != null) {
            conditionals.incrementAndGet();
            CountDownLatch r = received;
            CountDownLatch go = release;
            if (r != null) {
                r.countDown();
                try {
                    go.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ex.getResponseHeaders().add("Cache-Control", "max-age=600");
            ex.sendResponseHeaders(304, -1);
            ex.close();
            return;
        }
        byte[] body = "v1".getBytes(StandardCharsets.US_ASCII);
        ex.getResponseHeaders().add("Cache-Control", "max-age=1");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    protected String edgeYaml() {
        return PurgeEndpointIT.withToken(super.edgeYaml()).replace("url: http://127.0.0.1:" + origin.port(),
                "url: http://127.0.0.1:" + heldOrigin.getAddress().getPort());
    }

    @AfterEach
    void stopHeldOrigin() {
        if (release != null) {
            release.countDown();
        }
        heldOrigin.stop(0);
    }

    private CacheStatusEntry status(RawHttp.Response r) {
        return CacheStatusEntry.parse(ourCacheStatus(r));
    }

    @Test
    void aSoftPurgeDuringARevalidationIsNotUndoneByIts304() throws Exception {
        assertEquals("v1", get("/held").text());
        assertTrue(status(get("/held")).hit());
        clock.advance(Duration.ofSeconds(5)); // stale: the next request revalidates

        received = new CountDownLatch(1);
        release = new CountDownLatch(1);
        CompletableFuture<RawHttp.Response> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return get("/held");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertTrue(received.await(10, TimeUnit.SECONDS), "the revalidation reached the origin");
        assertEquals(1, PurgeEndpointIT.purgeOk(edge.adminPort(),
                "{\"type\":\"url\",\"values\":[\"http://site.example/held\"],\"soft\":true}"));
        received = null;
        release.countDown();
        RawHttp.Response revalidated = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals("v1", revalidated.text());
        assertEquals("304", status(revalidated).fwdStatus());

        RawHttp.Response next = get("/held");
        assertEquals("stale", status(next).fwd(), "still invalidated by the purge: " + status(next));
        assertEquals(2, conditionals.get(), "revalidated again after the purge");
        assertTrue(status(get("/held")).hit(), "that later 304 (sent after the purge) makes it fresh");
    }
}
