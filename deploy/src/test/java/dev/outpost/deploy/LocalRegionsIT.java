package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the real {@code deploy/local/outpost-regions --no-build} with three regions (and {@code --netem},
 * which uses network namespaces where the kernel has netem and says it falls back to loopback where
 * not), sends a request through each region's edge and its shield, purges it once through purge-api,
 * sees the purge at both tiers of every region, stops the script with {@code stop} and checks that no
 * process or namespace it made is left. Needs the packaged jars: failsafe, after package.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LocalRegionsIT {

    static {
        // Every region is sent the same Host, as clients behind GeoDNS do; the JDK client allows it only so.
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final Path SCRIPT = Deploy.DIR.resolve("local/outpost-regions");
    private static final String HOST = "site.example";
    private static final String PATH = "/static/regions-it.txt";
    private static final Pattern REGION = Pattern.compile(
            "(?m)^  (\\w+)\\s+edge\\s+http://([0-9.]+):(\\d+)/\\s+\\(admin :(\\d+)\\)\\s+shield http://([0-9.]+):(\\d+)/");
    private static final Pattern PURGE_API = Pattern.compile("(?m)^  purge-api\\s+(http://[0-9.:]+)/v1/purges");

    private final Path runDir = Deploy.DIR.resolve("target/outpost-regions-it");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final List<Long> pids = new ArrayList<>();
    private Process script;
    private int basePort;

    @AfterEach
    void leaveNothingRunning() throws Exception {
        // Only on failure paths: the test stops everything itself and checks it.
        if (script != null && script.isAlive()) {
            script.destroy();
            script.waitFor(60, TimeUnit.SECONDS);
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void threeRegionsServeThroughTheirShieldsSeeOnePurgeAndStopCleanly() throws Exception {
        for (String jar : List.of("edge-node/target/edge-node.jar", "purge-api/target/purge-api.jar",
                "load-tests/target/demo-origin.jar")) {
            assertTrue(Files.isRegularFile(Deploy.ROOT.resolve(jar)), jar + " is missing: run through ./mvnw verify");
        }
        deleteRunDir();
        basePort = freeBasePort();
        script = command("--no-build", "--regions", "3", "--netem", "5ms")
                .redirectOutput(runDir.resolve("script.out").toFile()).start();
        String out = awaitOutput("Outpost regions are ready");
        assertTrue(out.contains("running on loopback") || out.contains("in its own network namespace"), out);
        Map<String, URI> edges = new LinkedHashMap<>();
        Matcher m = REGION.matcher(out);
        while (m.find()) {
            edges.put(m.group(1), URI.create("http://" + m.group(2) + ":" + m.group(3)));
        }
        assertEquals(List.of("us", "eu", "ap"), List.copyOf(edges.keySet()), out);
        Matcher api = PURGE_API.matcher(out);
        assertTrue(api.find(), out);
        try (Stream<Path> files = Files.list(runDir.resolve("pids"))) {
            files.filter(f -> !f.getFileName().toString().equals("outpost-regions.pid"))
                    .forEach(f -> pids.add(Long.parseLong(Deploy.read(f).trim())));
        }
        assertEquals(8, pids.size(), "origin, purge-api and a shield and an edge per region");

        for (Map.Entry<String, URI> e : edges.entrySet()) {
            String region = e.getKey();
            List<String> first = cacheStatus(get(e.getValue()));
            assertEquals(2, first.size(), first.toString());
            assertTrue(first.get(0).startsWith("shield-" + region + ";fwd=uri-miss") && first.get(0).contains(";stored"), first.toString());
            assertTrue(first.get(1).startsWith("edge-" + region + ";fwd=uri-miss") && first.get(1).contains(";stored"), first.toString());
            assertTrue(cacheStatus(get(e.getValue())).get(1).startsWith("edge-" + region + ";hit"), region);
        }

        HttpResponse<String> purge = http.send(HttpRequest.newBuilder(URI.create(api.group(1) + "/v1/purges?wait=20s"))
                .header("Authorization", "Bearer local-purge-token").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"url\",\"values\":[\"http://" + HOST + PATH + "\"]}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, purge.statusCode(), purge.body());
        JsonNode accepted = json.readTree(purge.body());
        assertEquals("applied", accepted.path("status").asText(), "applied by every live node: " + purge.body());

        for (Map.Entry<String, URI> e : edges.entrySet()) {
            List<String> after = cacheStatus(get(e.getValue()));
            assertTrue(after.get(0).startsWith("shield-" + e.getKey() + ";fwd=uri-miss"), "the shield's copy is gone: " + after);
            assertTrue(after.get(1).startsWith("edge-" + e.getKey() + ";fwd=uri-miss"), "the edge's copy is gone: " + after);
        }

        Process stop = command("stop").redirectOutput(runDir.resolve("stop.out").toFile()).start();
        assertTrue(stop.waitFor(90, TimeUnit.SECONDS), "stop did not finish");
        assertEquals(0, stop.exitValue(), Deploy.read(runDir.resolve("stop.out")));
        assertTrue(script.waitFor(10, TimeUnit.SECONDS), "the script still runs after stop returned");
        assertEquals(0, script.exitValue(), output());
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " is still running");
        }
        try (Stream<Path> files = Files.list(runDir.resolve("pids"))) {
            assertEquals(List.of(), files.toList(), "PID files left behind");
        }
        Deploy.Output namespaces = Deploy.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10), "to list namespaces");
        assertFalse(namespaces.stdout().contains("outpost-"), "namespaces left behind: " + namespaces.stdout());
        String stopped = output();
        for (String node : List.of("edge-us", "shield-ap", "purge-api", "origin")) {
            assertTrue(stopped.contains("stopped " + node + " (pid "), stopped);
        }
    }

    // ---------------------------------------------------------------- helpers

    private ProcessBuilder command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Deploy.ROOT.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BASE_PORT", String.valueOf(basePort));
        pb.environment().put("RUN_DIR", runDir.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    private String awaitOutput(String line) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
        while (!output().contains(line)) {
            if (!script.isAlive()) {
                fail("outpost-regions exited with " + script.exitValue() + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                fail("outpost-regions not ready in time:\n" + output());
            }
            Thread.sleep(200);
        }
        return output();
    }

    private String output() {
        Path out = runDir.resolve("script.out");
        return Files.exists(out) ? Deploy.read(out) : "";
    }

    private HttpResponse<String> get(URI edge) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(edge.resolve(PATH)).header("Host", HOST)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static List<String> cacheStatus(HttpResponse<?> r) {
        return Arrays.stream(r.headers().firstValue("Cache-Status").orElseThrow().split(",")).map(String::trim).toList();
    }

    private void deleteRunDir() throws IOException {
        if (Files.exists(runDir)) {
            try (Stream<Path> files = Files.walk(runDir)) {
                files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(runDir);
    }

    /** A base port whose offsets (0-1 and 10-33) are all free on 127.0.0.1 now. */
    private static int freeBasePort() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            boolean free = true;
            for (int offset = 0; offset < 34 && free; offset++) {
                if (offset < 2 || offset >= 10) {
                    try (ServerSocket s = new ServerSocket(base + offset, 1, InetAddress.getLoopbackAddress())) {
                        s.setReuseAddress(true);
                    } catch (IOException taken) {
                        free = false;
                    }
                }
            }
            if (free) {
                return base;
            }
        }
        return fail("no free block of ports");
    }
}
