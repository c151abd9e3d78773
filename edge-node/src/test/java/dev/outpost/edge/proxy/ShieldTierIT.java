package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.config.ConfigLoader;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.MutableClock;
import dev.outpost.edge.testing.RawHttp;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two tiers of real servers: a WireMock origin, a shield (an edge with {@code server.outermost: false})
 * and edges whose origin is the shield, all in-process on ephemeral ports. Checks RFC 9211 §2 (the
 * shield's Cache-Status entry first, then the edge's), RFC 9213 (CDN-Cache-Control and the tag fields
 * pass from shield to edge and stop at the outermost edge), collapsing of the edges' misses at the
 * shield, and the refusal of forwarding loops (RFC 9110 §7.6.3) with 508.
 */
class ShieldTierIT {

    private static final String HOST = "site.example";
    private static final String TOKEN = "shield-it-token";

    private final MutableClock clock = MutableClock.startingNow();
    private final List<EdgeRuntime> nodes = new ArrayList<>();
    private WireMockServer origin;

    @BeforeEach
    void startOrigin() {
        origin = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").jettyAcceptors(1));
        origin.start();
    }

    @AfterEach
    void stopAll() {
        for (EdgeRuntime node : nodes) {
            node.stop(Duration.ofMillis(200));
        }
        origin.stop();
    }

    // ---------------------------------------------------------------- two tiers

    @Test
    void rfc9211_2_cacheStatusListsTheShieldThenTheEdge() throws Exception {
        origin.stubFor(WireMock.get("/page").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("page")));
        EdgeRuntime shield = node("shield-eu", false, origin.port(), 0);
        EdgeRuntime edgeA = node("edge-eu-a", true, shield.trafficPort(), 0);
        EdgeRuntime edgeB = node("edge-eu-b", true, shield.trafficPort(), 0);

        RawHttp.Response first = RawHttp.get(edgeA.trafficPort(), HOST, "/page");
        assertEquals(200, first.status(), first.text());
        List<CacheStatusEntry> chain = chain(first);
        assertEquals(List.of("shield-eu", "edge-eu-a"), chain.stream().map(CacheStatusEntry::cache).toList());
        assertMissStored(chain.get(0));
        assertMissStored(chain.get(1));
        assertEquals("1.1 shield-eu (outpost), 1.1 edge-eu-a (outpost)", first.header("Via"));

        // Another edge of the region: a hit at the shield, a miss at that edge.
        chain = chain(RawHttp.get(edgeB.trafficPort(), HOST, "/page"));
        assertEquals(List.of("shield-eu", "edge-eu-b"), chain.stream().map(CacheStatusEntry::cache).toList());
        assertTrue(chain.get(0).hit(), chain.toString());
        assertEquals("memory", chain.get(0).detail());
        assertMissStored(chain.get(1));

        // The first edge again: its own hit, after the shield's entry it stored with the response.
        chain = chain(RawHttp.get(edgeA.trafficPort(), HOST, "/page"));
        assertEquals(List.of("shield-eu", "edge-eu-a"), chain.stream().map(CacheStatusEntry::cache).toList());
        assertMissStored(chain.get(0));
        assertTrue(chain.get(1).hit(), chain.toString());

        assertEquals(1, originRequests("/page"));
        var seen = origin.getAllServeEvents().get(0).getRequest();
        assertEquals("1.1 edge-eu-a (outpost), 1.1 shield-eu (outpost)", seen.getHeader("Via"));
        assertEquals(HOST, seen.getHeader("Host"), "the client's Host reaches the origin through both tiers");
    }

    @Test
    void rfc9213_cdnOnlyFieldsPassTheShieldAndStopAtTheOutermostEdge() throws Exception {
        origin.stubFor(WireMock.get("/tagged").willReturn(aResponse()
                .withHeader("Cache-Control", "no-store")
                .withHeader("CDN-Cache-Control", "max-age=60")
                .withHeader("Surrogate-Control", "max-age=60")
                .withHeader("Surrogate-Key", "products product-42")
                .withHeader("Cache-Tag", "catalog")
                .withBody("tagged")));
        EdgeRuntime shield = node("shield-us", false, origin.port(), 0);
        EdgeRuntime edge = node("edge-us", true, shield.trafficPort(), 0);

        RawHttp.Response fromShield = RawHttp.get(shield.trafficPort(), HOST, "/tagged");
        assertEquals("max-age=60", fromShield.header("CDN-Cache-Control"));
        assertEquals("max-age=60", fromShield.header("Surrogate-Control"), "passed on to the edges");
        assertEquals("products product-42", fromShield.header("Surrogate-Key"));
        assertEquals("catalog", fromShield.header("Cache-Tag"));

        RawHttp.Response toClient = RawHttp.get(edge.trafficPort(), HOST, "/tagged");
        assertEquals(200, toClient.status());
        assertEquals("no-store", toClient.header("Cache-Control"));
        assertNull(toClient.header("CDN-Cache-Control"), "the outermost edge removes CDN-only fields");
        assertNull(toClient.header("Surrogate-Control"));
        assertNull(toClient.header("Surrogate-Key"));
        assertNull(toClient.header("Cache-Tag"));
        // The edge stored it: it saw CDN-Cache-Control (Cache-Control alone says no-store) ...
        RawHttp.Response hit = RawHttp.get(edge.trafficPort(), HOST, "/tagged");
        assertTrue(chain(hit).get(1).hit());
        // ... and a hit leaves the CDN stripped like the miss did (the stored copy keeps the fields).
        assertEquals("no-store", hit.header("Cache-Control"));
        assertNull(hit.header("CDN-Cache-Control"), "the outermost edge removes CDN-only fields from its hits");
        assertNull(hit.header("Surrogate-Control"));
        assertNull(hit.header("Surrogate-Key"));
        assertNull(hit.header("Cache-Tag"));
        // It stored the tags too, so a purge by tag reaches its copy; the shield's copy is a purge of its own.
        assertEquals(1, purgeByTag(edge, "product-42"));
        assertEquals(1, purgeByTag(shield, "catalog"));
        List<CacheStatusEntry> chain = chain(RawHttp.get(edge.trafficPort(), HOST, "/tagged"));
        assertMissStored(chain.get(0));
        assertMissStored(chain.get(1));
        assertEquals(2, originRequests("/tagged"));
    }

    @Test
    void theShieldCollapsesTheMissesOfEveryEdgeIntoOneOriginFetch() throws Exception {
        int edges = 3;
        int perEdge = 4;
        try (GatedOrigin gated = new GatedOrigin()) {
            EdgeRuntime shield = node("shield-ap", false, gated.port(), 0);
            List<EdgeRuntime> regionEdges = new ArrayList<>();
            for (int i = 0; i < edges; i++) {
                regionEdges.add(node("edge-ap-" + i, true, shield.trafficPort(), 0));
            }
            ExecutorService clients = Executors.newFixedThreadPool(edges * perEdge);
            try {
                List<Future<RawHttp.Response>> responses = new ArrayList<>();
                for (EdgeRuntime edge : regionEdges) {
                    for (int i = 0; i < perEdge; i++) {
                        responses.add(clients.submit(() -> RawHttp.get(edge.trafficPort(), HOST, "/hot")));
                    }
                }
                // Every request is waiting before the origin answers: each edge collapsed its own into one
                // fetch from the shield, and the shield collapsed those into one fetch from the origin.
                // (The shield's leader may count its followers before its own request reaches the origin.)
                awaitTrue(() -> collapsedWaits(shield) == edges - 1
                        && regionEdges.stream().allMatch(e -> collapsedWaits(e) == perEdge - 1)
                        && gated.requests.get() >= 1,
                        "all requests collapsed: shield " + collapsedWaits(shield));
                assertEquals(1, gated.requests.get());
                gated.open();

                int shieldLeaders = 0;
                for (Future<RawHttp.Response> f : responses) {
                    RawHttp.Response r = f.get(20, TimeUnit.SECONDS);
                    assertEquals(200, r.status(), r.text());
                    assertEquals("hot", r.text());
                    List<CacheStatusEntry> chain = chain(r);
                    assertEquals("shield-ap", chain.get(0).cache());
                    if (!chain.get(0).collapsed()) {
                        shieldLeaders++;
                    }
                }
                assertEquals(perEdge, shieldLeaders, "one edge's requests came through the shield's leader");
                assertEquals(1, gated.requests.get(), "one origin fetch for " + edges * perEdge + " requests");
            } finally {
                clients.shutdownNow();
            }
        }
    }

    // ---------------------------------------------------------------- loops

    @Test
    void rfc9110_7_6_3_anEdgeWhoseOriginIsItselfRefusesTheLoop() throws Exception {
        int port = EdgeProcesses.freePort();
        EdgeRuntime loop = node("edge-loop", true, port, port);

        RawHttp.Response r = RawHttp.get(port, HOST, "/anything");
        assertEquals(508, r.status(), r.text());
        assertTrue(r.text().contains("forwarding loop: this request already passed through edge-loop"), r.text());
        List<CacheStatusEntry> chain = chain(r);
        assertEquals(2, chain.size(), chain.toString());
        assertEquals("loop-detected", chain.get(0).detail(), "the inner hop refused it");
        assertEquals("508", chain.get(1).fwdStatus(), "the outer hop relayed the refusal");
        assertFalse(chain.get(1).stored());
        // Refused before the lookup: the inner hop never waited on the outer hop's fetch of the same key.
        assertEquals(0, collapsedWaits(loop));

        RawHttp.Response post = RawHttp.exchange(port, "POST /form HTTP/1.1\r\nHost: " + HOST
                + "\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        assertEquals(508, post.status(), post.text());
    }

    @Test
    void rfc9110_7_6_3_aShieldPointedBackAtItsEdgeRefusesTheLoop() throws Exception {
        int edgePort = EdgeProcesses.freePort();
        int shieldPort = EdgeProcesses.freePort();
        EdgeRuntime shield = node("shield-bad", false, edgePort, shieldPort);
        EdgeRuntime edge = node("edge-bad", true, shieldPort, edgePort);

        RawHttp.Response r = RawHttp.get(edgePort, HOST, "/x");
        assertEquals(508, r.status(), r.text());
        assertTrue(r.text().contains("already passed through edge-bad"), r.text());
        assertEquals(List.of("edge-bad", "shield-bad", "edge-bad"), chain(r).stream().map(CacheStatusEntry::cache).toList());
        assertEquals(0, collapsedWaits(edge) + collapsedWaits(shield));
        assertEquals(0, origin.getAllServeEvents().size());
    }

    // ---------------------------------------------------------------- helpers

    /** Starts a node on 127.0.0.1 ({@code port} 0 = ephemeral) whose origin is 127.0.0.1:originPort. */
    private EdgeRuntime node(String id, boolean outermost, int originPort, int port) throws Exception {
        EdgeRuntime runtime = new EdgeRuntime(ConfigLoader.parseEdge(
                nodeYaml(id, outermost, port, "url: http://127.0.0.1:" + originPort), Map.of()), clock);
        nodes.add(runtime);
        return runtime.start().await(10, TimeUnit.SECONDS);
    }

    /**
     * A node's config on 127.0.0.1 ({@code port} 0 = ephemeral), with one default origin route whose
     * servers {@code origin} gives ({@code url: ...} or {@code urls: [...]}).
     */
    static String nodeYaml(String id, boolean outermost, int port, String origin) {
        return """
                node:
                  id: %s
                  region: test
                server:
                  host: 127.0.0.1
                  port: %d
                  outermost: %s
                admin:
                  host: 127.0.0.1
                  port: 0
                  token: %s
                origins:
                  - host: "*"
                    %s
                origin-client:
                  connect-timeout: 1s
                  first-byte-timeout: 20s
                cache:
                  memory:
                    max-size: 16MiB
                  collapse:
                    wait-timeout: 20s
                """.formatted(id, port, outermost, TOKEN, origin);
    }

    private static List<CacheStatusEntry> chain(RawHttp.Response r) {
        String value = r.header("Cache-Status");
        assertTrue(value != null, "no Cache-Status");
        return Arrays.stream(value.split(",")).map(String::trim).map(CacheStatusEntry::parse).toList();
    }

    private static void assertMissStored(CacheStatusEntry e) {
        assertEquals("uri-miss", e.fwd(), e.toString());
        assertEquals("200", e.fwdStatus(), e.toString());
        assertTrue(e.stored(), e.toString());
    }

    private int originRequests(String path) {
        return origin.countRequestsMatching(getRequestedFor(urlEqualTo(path)).build()).getCount();
    }

    private static long collapsedWaits(EdgeRuntime node) {
        Counter c = node.registry().find("outpost.collapsed.waits").counter();
        return c == null ? 0 : (long) c.count();
    }

    private static int purgeByTag(EdgeRuntime node, String tag) throws IOException {
        String body = "{\"type\":\"tag\",\"values\":[\"" + tag + "\"]}";
        RawHttp.Response r = RawHttp.exchange(node.adminPort(), "POST /purge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        assertEquals(200, r.status(), r.text());
        return new io.vertx.core.json.JsonObject(r.text()).getInteger("purged");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(10);
        }
    }

    /** An origin that holds every response until {@link #open()}, counting requests. */
    private static final class GatedOrigin implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        private final CountDownLatch gate = new CountDownLatch(1);
        private final HttpServer server;
        private final ExecutorService threads = Executors.newFixedThreadPool(8);

        GatedOrigin() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.setExecutor(threads);
            server.createContext("/", exchange -> {
                requests.incrementAndGet();
                try {
                    gate.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] body = "hot".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Cache-Control", "max-age=60");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        void open() {
            gate.countDown();
        }

        @Override
        public void close() {
            gate.countDown();
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
