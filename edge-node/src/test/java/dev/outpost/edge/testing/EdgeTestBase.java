package dev.outpost.edge.testing;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.outpost.config.ConfigLoader;
import dev.outpost.config.EdgeConfig;
import dev.outpost.edge.server.EdgeRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Starts a WireMock origin and a real edge (in-process, ephemeral ports, a hand-moved clock) for
 * every test, and stops both afterwards. Requests go through {@link RawHttp} on real sockets.
 */
public abstract class EdgeTestBase {

    protected static final String HOST = "site.example";

    protected WireMockServer origin;
    protected MutableClock clock;
    protected EdgeRuntime edge;

    @BeforeEach
    void startOriginAndEdge() throws Exception {
        origin = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1")
                .containerThreads(64).jettyAcceptors(1));
        origin.start();
        clock = MutableClock.startingNow();
        edge = startEdge(edgeYaml());
    }

    @AfterEach
    void stopOriginAndEdge() throws Exception {
        stopOriginAndEdgeNow();
        for (Path dir : diskDirs) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private final List<Path> diskDirs = new ArrayList<>();

    /** A temporary directory for a disk tier, deleted after the test once the edges are stopped. */
    protected Path diskDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            diskDirs.add(dir);
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * {@code yaml} (this base's configuration) with a 256 MiB disk tier in {@code dir}; bodies above
     * {@code memoryObjectLimit} (e.g. {@code 64KiB}) live on disk only.
     */
    protected static String withDiskTier(String yaml, Path dir, String memoryObjectLimit) {
        String memory = """
                    max-object-size: 8MiB
                """;
        if (!yaml.contains(memory)) {
            throw new IllegalArgumentException("not this base's configuration: " + yaml);
        }
        return yaml.replace(memory, """
                    max-object-size: %s
                  disk:
                    path: %s
                    max-size: 256MiB
                """.formatted(memoryObjectLimit, dir));
    }

    /** Stops both (idempotent), for subclasses that clean up after the edge is gone. */
    protected void stopOriginAndEdgeNow() {
        if (edge != null) {
            edge.stop(Duration.ofMillis(200));
            edge = null;
        }
        if (origin != null) {
            origin.stop();
            origin = null;
        }
    }

    /** The edge configuration for this test class; override to change it. */
    protected String edgeYaml() {
        return """
                node:
                  id: edge-test-1
                  region: test
                server:
                  host: 127.0.0.1
                  port: 0
                admin:
                  host: 127.0.0.1
                  port: 0
                origins:
                  - host: "*"
                    url: http://127.0.0.1:%d
                origin-client:
                  connect-timeout: 1s
                  first-byte-timeout: 2s
                cache:
                  memory:
                    max-size: 64MiB
                    max-object-size: 8MiB
                  collapse:
                    wait-timeout: 5s
                    uncacheable-ttl: 30s
                """.formatted(origin.port());
    }

    protected EdgeRuntime startEdge(String yaml) throws Exception {
        EdgeConfig config = ConfigLoader.parseEdge(yaml, Map.of());
        EdgeRuntime runtime = new EdgeRuntime(config, clock);
        return runtime.start().await(10, TimeUnit.SECONDS);
    }

    protected int port() {
        return edge.trafficPort();
    }

    protected RawHttp.Response get(String path, String... headerLines) throws IOException {
        return RawHttp.get(port(), HOST, path, headerLines);
    }

    protected RawHttp.Response request(String method, String path, String... headerLines) throws IOException {
        return RawHttp.request(port(), method, HOST, path, headerLines);
    }

    /** Cache-Status of a response, our own (last) entry only. */
    protected static String ourCacheStatus(RawHttp.Response r) {
        String v = r.header("Cache-Status");
        if (v == null) {
            return null;
        }
        String[] entries = v.split(",");
        return entries[entries.length - 1].trim();
    }

    /** Waits (bounded) until the origin has seen {@code count} requests; for background work only. */
    protected void awaitOriginRequests(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (origin.getAllServeEvents().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
