package dev.outpost.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the real {@code ./run-demo --no-build} (the README's quick start) on free ports with its own
 * RUN_DIR, checks a miss then a hit through the edge, stops it ({@code ./run-demo stop}, or SIGTERM
 * to the script, handled like Ctrl-C) and checks that no process it started is left.
 *
 * <p>Runs in the integration-test phase (failsafe): it needs edge-node/target/edge-node.jar and
 * load-tests/target/demo-origin.jar, which {@code ./mvnw verify} packages first. It fails, never
 * skips, when they are missing.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RunDemoIT {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private Path root;
    private Path runDir;
    private Map<String, String> ports;
    private Process demo;
    private final List<Long> startedPids = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp(TestInfo test) throws IOException {
        root = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
        assertTrue(Files.isExecutable(root.resolve("run-demo")), "no executable run-demo in " + root);
        for (String jar : new String[] {"edge-node/target/edge-node.jar", "purge-api/target/purge-api.jar",
                "load-tests/target/demo-origin.jar"}) {
            assertTrue(Files.isRegularFile(root.resolve(jar)),
                    jar + " is missing: run this test through ./mvnw verify, which packages it first");
        }
        runDir = root.resolve("load-tests/target/run-demo-it/" + test.getTestMethod().orElseThrow().getName());
        if (Files.exists(runDir)) {
            try (Stream<Path> files = Files.walk(runDir)) {
                files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(runDir);
        int[] free = freePorts(4);
        ports = Map.of("EDGE_PORT", String.valueOf(free[0]), "ADMIN_PORT", String.valueOf(free[1]),
                "ORIGIN_PORT", String.valueOf(free[2]), "PURGE_PORT", String.valueOf(free[3]));
    }

    @AfterEach
    void leaveNothingRunning() throws Exception {
        // Only on failure paths: the tests themselves stop everything and check it.
        if (demo != null && demo.isAlive()) {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
            demo.waitFor(10, TimeUnit.SECONDS);
        }
        for (long pid : startedPids) {
            ProcessHandle.of(pid).filter(p -> p.info().commandLine().orElse("").contains(root.toString()))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void runDemoServesAMissThenAHitAndStopLeavesNothing() throws Exception {
        startDemo();
        assertMissThenHit("/static/run-demo-it.txt");

        // a purge through the demo purge-api reaches the demo edge: the next request is a miss again
        String url = "http://127.0.0.1:" + ports.get("EDGE_PORT") + "/static/run-demo-it.txt";
        HttpResponse<String> purge = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + ports.get("PURGE_PORT") + "/v1/purges?wait=10s")).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer dev-token").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"url\",\"values\":[\"" + url + "\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, purge.statusCode(), purge.body());
        if (!purge.body().contains("\"status\":\"applied\"")) {
            fail("the purge was not applied within its wait: " + purge.body() + "\n--- GET /v1/edges\n"
                    + http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("PURGE_PORT")
                            + "/v1/edges")).header("Authorization", "Bearer dev-token").build(),
                            HttpResponse.BodyHandlers.ofString()).body() + logs());
        }
        List<String> after = cacheStatus(get("EDGE_PORT", "/static/run-demo-it.txt"));
        assertTrue(after.contains("fwd=uri-miss"), "purged: " + after);

        Process stop = script("stop").redirectOutput(runDir.resolve("stop.out").toFile()).start();
        assertTrue(stop.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "./run-demo stop did not finish");
        String stopOut = read(runDir.resolve("stop.out"));
        assertEquals(0, stop.exitValue(), "./run-demo stop: " + stopOut);
        assertTrue(stopOut.contains("stopped ./run-demo (pid " + demo.pid() + ")"), stopOut);

        // stop returns once the foreground ./run-demo is gone, so a new ./run-demo can start at once
        assertTrue(demo.waitFor(5, TimeUnit.SECONDS),
                "the foreground ./run-demo still runs after ./run-demo stop returned:\n" + output());
        assertEquals(0, demo.exitValue(), output());
        assertAllGone();
        String out = output();
        assertTrue(out.contains("stopped edge (pid ") && out.contains("stopped purge-api (pid ")
                && out.contains("stopped origin (pid "), out);
        // the foreground script follows the access log
        assertTrue(out.contains("GET /static/run-demo-it.txt -> 200  edge-demo;hit;"), out);
    }

    @Test
    void sigtermToTheScriptStopsEverything() throws Exception {
        startDemo();
        assertMissThenHit("/static/sigterm.txt");

        demo.destroy(); // SIGTERM, handled like Ctrl-C
        assertTrue(demo.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                "./run-demo did not exit on SIGTERM:\n" + output());
        assertEquals(0, demo.exitValue(), output());
        assertAllGone();
    }

    // ---------------------------------------------------------------- helpers

    private ProcessBuilder script(String... args) {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("run-demo").toString());
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true);
        pb.environment().putAll(ports);
        pb.environment().put("RUN_DIR", runDir.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home")); // the JDK running this test
        return pb;
    }

    private void startDemo() throws Exception {
        demo = script("--no-build").redirectOutput(runDir.resolve("run-demo.out").toFile()).start();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!output().contains("Outpost demo is ready.")) {
            if (!demo.isAlive()) {
                fail("./run-demo exited with " + demo.exitValue() + " before it was ready:\n" + output() + logs());
            }
            if (System.nanoTime() > deadline) {
                fail("./run-demo not ready within " + READY_TIMEOUT + ":\n" + output() + logs());
            }
            Thread.sleep(200);
        }
        for (String name : new String[] {"edge", "purge-api", "origin"}) {
            long pid = Long.parseLong(read(runDir.resolve(name + ".pid")).trim());
            startedPids.add(pid);
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), name + " pid " + pid);
        }
        HttpResponse<String> ready = get("ADMIN_PORT", "/readyz");
        assertEquals(200, ready.statusCode(), ready.body());
        HttpResponse<String> purgeReady = get("PURGE_PORT", "/readyz");
        assertEquals(200, purgeReady.statusCode(), purgeReady.body());
    }

    private void assertMissThenHit(String path) throws Exception {
        HttpResponse<String> first = get("EDGE_PORT", path);
        assertEquals(200, first.statusCode(), first.body());
        List<String> miss = cacheStatus(first);
        assertEquals("edge-demo", miss.get(0), miss.toString());
        assertTrue(miss.contains("fwd=uri-miss") && miss.contains("stored"), miss.toString());
        assertTrue(first.body().contains("Outpost demo origin: " + path), first.body());

        HttpResponse<String> second = get("EDGE_PORT", path);
        assertEquals(200, second.statusCode(), second.body());
        List<String> hit = cacheStatus(second);
        assertTrue(hit.contains("hit") && hit.contains("detail=memory"), hit.toString());
        assertEquals(first.body(), second.body(), "a hit serves the stored body");
    }

    /** The one Cache-Status entry's members: name, then parameters ("hit", "fwd=uri-miss", ...). */
    private static List<String> cacheStatus(HttpResponse<?> response) {
        List<String> values = response.headers().allValues("Cache-Status");
        assertEquals(1, values.size(), "Cache-Status: " + values);
        return Arrays.stream(values.get(0).split(";")).map(String::trim).toList();
    }

    private HttpResponse<String> get(String portVariable, String path) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + ports.get(portVariable) + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void assertAllGone() throws InterruptedException {
        for (long pid : startedPids) {
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (p.isPresent() && p.get().isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100); // an exited child may take a moment to be reaped
            }
            assertFalse(p.isPresent() && p.get().isAlive(), "pid " + pid + " is still running:\n" + output());
        }
        assertFalse(Files.exists(runDir.resolve("edge.pid")), "edge.pid left behind");
        assertFalse(Files.exists(runDir.resolve("origin.pid")), "origin.pid left behind");
        assertFalse(Files.exists(runDir.resolve("purge-api.pid")), "purge-api.pid left behind");
        assertFalse(Files.exists(runDir.resolve("run-demo.pid")), "run-demo.pid left behind");
        assertTrue(demo.descendants().findAny().isEmpty(), "the script left a child process running");
    }

    private String output() {
        return read(runDir.resolve("run-demo.out"));
    }

    private String logs() {
        return "\n--- edge.log\n" + read(runDir.resolve("edge.log")) + "\n--- purge-api.log\n"
                + read(runDir.resolve("purge-api.log")) + "\n--- origin.log\n" + read(runDir.resolve("origin.log"));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + file + ": " + e + ")";
        }
    }

    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }
}
