package dev.outpost.edge.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.config.ConfigLoader;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.server.EdgeRuntime;
import dev.outpost.edge.testing.MutableClock;
import dev.outpost.edge.testing.RawHttp;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An origin route with several servers ({@code urls}): each request goes to its cache key's server by
 * rendezvous hashing, so every edge sends a given object to the same server (a shield pod), and a
 * server that cannot be connected to is skipped for the key's next one.
 */
class OriginServersIT {

    private static final String HOST = "site.example";
    private static final int KEYS = 60;

    private final MutableClock clock = MutableClock.startingNow();
    private final List<EdgeRuntime> nodes = new ArrayList<>();
    private final List<WireMockServer> servers = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (EdgeRuntime node : nodes) {
            node.stop(Duration.ofMillis(200));
        }
        servers.forEach(WireMockServer::stop);
    }

    /** A stand-in shield: answers every request with its name, uncacheable, so every request reaches it. */
    private WireMockServer shield(String name) {
        WireMockServer s = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1")
                .jettyAcceptors(1).containerThreads(16));
        s.start();
        s.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody(name)));
        servers.add(s);
        return s;
    }

    private static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    @Test
    void everyEdgeSendsAKeyToTheSameServerAndTheKeysSplitOverAll() throws Exception {
        WireMockServer a = shield("a");
        WireMockServer b = shield("b");
        // Two edges listing the servers in opposite orders: the order does not matter.
        EdgeRuntime edge1 = node("edge-1", true, url(a.port()), url(b.port()));
        EdgeRuntime edge2 = node("edge-2", true, url(b.port()), url(a.port()));

        Map<String, String> serverOf = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (EdgeRuntime edge : List.of(edge1, edge2)) {
                for (int i = 0; i < KEYS; i++) {
                    String path = "/obj/" + i + "?v=" + (i % 7);
                    RawHttp.Response r = RawHttp.get(edge.trafficPort(), HOST, path);
                    assertEquals(200, r.status(), r.text());
                    String previous = serverOf.putIfAbsent(path, r.text());
                    assertTrue(previous == null || previous.equals(r.text()),
                            path + " went to " + previous + ", then to " + r.text());
                }
            }
        }
        Map<String, Long> perServer = serverOf.values().stream()
                .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
        assertEquals(KEYS, serverOf.size());
        assertTrue(perServer.getOrDefault("a", 0L) >= KEYS / 4 && perServer.getOrDefault("b", 0L) >= KEYS / 4,
                "the keys split over both servers: " + perServer);
        // Each server saw only its own keys, every time (2 edges x 3 rounds).
        assertEquals(6L * perServer.get("a"), a.getAllServeEvents().size());
        assertEquals(6L * perServer.get("b"), b.getAllServeEvents().size());
    }

    @Test
    void aServerThatCannotBeConnectedToIsSkippedForTheKeysNextServer() throws Exception {
        WireMockServer a = shield("a");
        WireMockServer b = shield("b");
        int dead = 1; // tcpmux: nothing listens there, and no ephemeral port (the edge's own) can be it
        EdgeRuntime edge = node("edge-1", true, url(a.port()), url(b.port()), url(dead));

        Origin route = Origin.of("*", List.of(URI.create(url(a.port())), URI.create(url(b.port())),
                URI.create(url(dead))));
        Map<String, String> before = new HashMap<>();
        int failedOver = 0;
        for (int i = 0; i < KEYS; i++) {
            RawHttp.Response r = RawHttp.get(edge.trafficPort(), HOST, "/obj/" + i);
            assertEquals(200, r.status(), "a dead server's keys go to their next server: " + r.text());
            before.put("/obj/" + i, r.text());
            List<Origin.Server> order = route.serversFor(new CacheKey(HOST, "/obj/" + i));
            Origin.Server expected = order.get(0).port() == dead ? order.get(1) : order.get(0);
            failedOver += order.get(0).port() == dead ? 1 : 0;
            assertEquals(expected.port() == a.port() ? "a" : "b", r.text(), "/obj/" + i);
        }
        // about a third of the keys, by the hash of these (random) ports: enough for the check to mean something
        assertTrue(failedOver >= KEYS / 10, failedOver + " of " + KEYS + " keys had the dead server first");
        assertTrue(before.containsValue("a") && before.containsValue("b"), before.toString());

        // b goes away too: its keys move to a, a's keys stay where they were.
        b.stop();
        Thread.sleep(200); // lets the edge see its pooled connections to b closed
        for (int i = 0; i < KEYS; i++) {
            RawHttp.Response r = RawHttp.get(edge.trafficPort(), HOST, "/obj/" + i);
            assertEquals(200, r.status(), r.text());
            assertEquals("a", r.text());
        }
        a.stop();
        RawHttp.Response r = RawHttp.get(edge.trafficPort(), HOST, "/obj/1");
        assertEquals(502, r.status(), "no server left: the last failure is the answer");
    }

    /**
     * Issue 5's promise with two shield pods: edges spread the objects over both shields by key, so
     * the origin sees one fetch per object, not one per shield pod.
     */
    @Test
    void twoRealShieldsFetchEachObjectOnceFromTheOrigin() throws Exception {
        WireMockServer origin = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1")
                .jettyAcceptors(1));
        origin.start();
        servers.add(origin);
        origin.stubFor(WireMock.get(WireMock.urlPathMatching("/obj/.*"))
                .willReturn(aResponse().withHeader("Cache-Control", "max-age=300").withBody("object")));
        EdgeRuntime shield0 = node("shield-0", false, url(origin.port()));
        EdgeRuntime shield1 = node("shield-1", false, url(origin.port()));
        List<EdgeRuntime> edges = List.of(
                node("edge-0", true, url(shield0.trafficPort()), url(shield1.trafficPort())),
                node("edge-1", true, url(shield1.trafficPort()), url(shield0.trafficPort())),
                node("edge-2", true, url(shield0.trafficPort()), url(shield1.trafficPort())));
        for (EdgeRuntime edge : edges) {
            for (int i = 0; i < KEYS; i++) {
                RawHttp.Response r = RawHttp.get(edge.trafficPort(), HOST, "/obj/" + i);
                assertEquals(200, r.status(), r.text());
            }
        }
        assertEquals(KEYS, origin.getAllServeEvents().size(), "one origin fetch per object for the region");
        Map<String, Long> byShield = origin.getAllServeEvents().stream()
                .collect(Collectors.groupingBy(e -> e.getRequest().getHeader("Via").split(",")[1].trim(),
                        Collectors.counting()));
        assertEquals(2, byShield.size(), "both shields fetch a share: " + byShield);
    }

    private EdgeRuntime node(String id, boolean outermost, String... urls) throws Exception {
        String yaml = ShieldTierIT.nodeYaml(id, outermost, 0, "urls: [" + String.join(", ", urls) + "]");
        EdgeRuntime runtime = new EdgeRuntime(ConfigLoader.parseEdge(yaml, Map.of()), clock);
        nodes.add(runtime);
        return runtime.start().await(10, TimeUnit.SECONDS);
    }
}
