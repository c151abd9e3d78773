package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
 * Runs the real {@code deploy/local/outpost-regions --no-build}: on loopback, and with each region in its
 * own network namespace ({@code --netem}, which runs the namespaces without added delay where the kernel
 * has no netem qdisc; skipped, saying why, where namespaces cannot be made). Each run sends a request
 * through each region's edge and its shield, purges it once through purge-api, sees the purge at both
 * tiers of every region, stops the script with {@code stop} or with Ctrl-C (SIGINT to its process
 * group, as a terminal sends it), and checks that no process, PID file or namespace it made is left.
 * Needs the packaged jars: failsafe, after package.
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
    private static final String IN_NAMESPACES = "in its own network namespace";

    private final Path runDir = Deploy.DIR.resolve("target/outpost-regions-it");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final List<Long> pids = new ArrayList<>();
    private Process script;
    private int basePort;

    /** What the script printed once ready: each region's edge, and purge-api. */
    private record Started(String out, Map<String, URI> edges, String purgeApi) {
    }

    @AfterEach
    void leaveNothingRunning() throws Exception {
        // Only on failure paths: the tests stop everything themselves and check it.
        if (script != null && script.isAlive()) {
            script.destroy();
            script.waitFor(60, TimeUnit.SECONDS);
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (script != null && !namespaces().isEmpty()) {
            command("stop").start().waitFor(60, TimeUnit.SECONDS); // removes what a failed run left
        }
    }

    @Test
    void threeRegionsOnLoopbackServeThroughTheirShieldsSeeOnePurgeAndStopCleanly() throws Exception {
        Started started = start("--no-build", "--regions", "3");
        assertFalse(started.out().contains(IN_NAMESPACES), started.out());
        started.edges().values().forEach(edge -> assertEquals("127.0.0.1", edge.getHost()));
        servesAndPurgesInEveryRegion(started);
        stopWithStopCommand();
        assertNothingLeft(List.of("edge-us", "shield-ap", "purge-api", "origin"));
    }

    /**
     * {@code --netem}: each region in its own namespace, its nodes on their own address and only that
     * namespace's; with the delay where the kernel has netem, else without it and saying so.
     */
    @Test
    void regionsInTheirOwnNetworkNamespacesServePurgeAndLeaveNoNamespace() throws Exception {
        assumeNamespacesCanBeMade();
        Started started = start("--no-build", "--regions", "2", "--netem", "5ms");
        String out = started.out();
        assertTrue(out.contains("Outpost regions are ready (each region " + IN_NAMESPACES + ", 5ms away).")
                || out.contains("tc netem is not available in this kernel") && out.contains(
                        "Outpost regions are ready (each region " + IN_NAMESPACES + ", no added delay)."), out);
        assertEquals(List.of("outpost-eu", "outpost-us"), namespaces().stream().sorted().toList());
        assertEquals(URI.create("http://10.203.0.2:" + (basePort + 12)), started.edges().get("us"));
        assertEquals(URI.create("http://10.203.1.2:" + (basePort + 22)), started.edges().get("eu"));
        for (String region : List.of("us", "eu")) {
            for (String node : List.of("shield-" + region, "edge-" + region)) {
                assertEquals("outpost-" + region, namespaceOf(pidOf(node)), node + " runs in its region's namespace");
            }
        }
        assertEquals("", namespaceOf(pidOf("origin")), "the origin stays in the host's namespace");
        servesAndPurgesInEveryRegion(started);
        stopWithStopCommand();
        assertNothingLeft(List.of("edge-us", "shield-eu", "purge-api", "origin"));
    }

    /**
     * Ctrl-C where the script runs: the terminal sends SIGINT to its whole process group, the script and
     * the servers it started in the background (which, started by a non-interactive shell, ignore it).
     * The script stops every server, removes its namespaces (when namespaces can be made here) and exits.
     */
    @Test
    void ctrlCStopsEveryProcessItStarted() throws Exception {
        boolean namespaces = namespacesCanBeMade() == null;
        Started started = namespaces ? start("--no-build", "--regions", "2", "--netns")
                : start("--no-build", "--regions", "2");
        assertEquals(namespaces, started.out().contains(IN_NAMESPACES), started.out());
        for (Map.Entry<String, URI> e : started.edges().entrySet()) {
            assertTrue(cacheStatus(get(e.getValue())).get(1).startsWith("edge-" + e.getKey() + ";"), e.getKey());
        }
        long group = script.pid();
        String stat = Deploy.read(Path.of("/proc/" + group + "/stat"));
        assertEquals(String.valueOf(group), stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2],
                "the script leads its own process group (started by setsid)");
        List<Long> descendants = script.descendants().map(ProcessHandle::pid).toList();
        assertTrue(descendants.containsAll(pids), descendants + " " + pids);

        Deploy.Output interrupt = Deploy.run(List.of("kill", "-INT", "--", "-" + group), Duration.ofSeconds(10),
                "to send SIGINT");
        assertEquals(0, interrupt.exitCode(), interrupt.stderr());
        assertTrue(script.waitFor(90, TimeUnit.SECONDS), "the script still runs after Ctrl-C:\n" + output());
        assertEquals(0, script.exitValue(), output());
        assertTrue(output().contains("outpost-regions: stopping ..."), output());
        for (long pid : descendants) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "pid " + pid + " (started by the script) is still running");
        }
        assertNothingLeft(List.of("edge-us", "edge-eu", "shield-us", "shield-eu", "purge-api", "origin"));
    }

    // ---------------------------------------------------------------- runs

    private Started start(String... args) throws Exception {
        for (String jar : List.of("edge-node/target/edge-node.jar", "purge-api/target/purge-api.jar",
                "load-tests/target/demo-origin.jar")) {
            assertTrue(Files.isRegularFile(Deploy.ROOT.resolve(jar)), jar + " is missing: run through ./mvnw verify");
        }
        deleteRunDir();
        basePort = freeBasePort();
        List<String> setsid = new ArrayList<>(List.of("setsid"));
        setsid.addAll(command(args).command());
        ProcessBuilder pb = command(args).command(setsid);
        script = pb.redirectOutput(runDir.resolve("script.out").toFile()).start();
        // The ready block is printed line by line after "Outpost regions are ready": wait for its last line,
        // or the region list may not have been written yet (a CI run read the file between the two).
        String out = awaitOutput("Stop with Ctrl-C here");
        assertTrue(out.contains("Outpost regions are ready"), out);
        Map<String, URI> edges = new LinkedHashMap<>();
        Matcher m = REGION.matcher(out);
        while (m.find()) {
            edges.put(m.group(1), URI.create("http://" + m.group(2) + ":" + m.group(3)));
        }
        int regions = Integer.parseInt(args[Arrays.asList(args).indexOf("--regions") + 1]);
        assertEquals(List.of("us", "eu", "ap").subList(0, regions), List.copyOf(edges.keySet()), out);
        Matcher api = PURGE_API.matcher(out);
        assertTrue(api.find(), out);
        try (Stream<Path> files = Files.list(runDir.resolve("pids"))) {
            files.filter(f -> !f.getFileName().toString().equals("outpost-regions.pid"))
                    .forEach(f -> pids.add(Long.parseLong(Deploy.read(f).trim())));
        }
        assertEquals(2 + 2 * regions, pids.size(), "origin, purge-api and a shield and an edge per region");
        return new Started(out, edges, api.group(1));
    }

    private void servesAndPurgesInEveryRegion(Started started) throws Exception {
        for (Map.Entry<String, URI> e : started.edges().entrySet()) {
            String region = e.getKey();
            List<String> first = cacheStatus(get(e.getValue()));
            assertEquals(2, first.size(), first.toString());
            assertTrue(first.get(0).startsWith("shield-" + region + ";fwd=uri-miss") && first.get(0).contains(";stored"), first.toString());
            assertTrue(first.get(1).startsWith("edge-" + region + ";fwd=uri-miss") && first.get(1).contains(";stored"), first.toString());
            assertTrue(cacheStatus(get(e.getValue())).get(1).startsWith("edge-" + region + ";hit"), region);
        }

        HttpResponse<String> purge = http.send(HttpRequest.newBuilder(URI.create(started.purgeApi() + "/v1/purges?wait=20s"))
                .header("Authorization", "Bearer local-purge-token").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"url\",\"values\":[\"http://" + HOST + PATH + "\"]}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, purge.statusCode(), purge.body());
        JsonNode accepted = json.readTree(purge.body());
        assertEquals("applied", accepted.path("status").asText(), "applied by every live node: " + purge.body());

        for (Map.Entry<String, URI> e : started.edges().entrySet()) {
            List<String> after = cacheStatus(get(e.getValue()));
            assertTrue(after.get(0).startsWith("shield-" + e.getKey() + ";fwd=uri-miss"), "the shield's copy is gone: " + after);
            assertTrue(after.get(1).startsWith("edge-" + e.getKey() + ";fwd=uri-miss"), "the edge's copy is gone: " + after);
        }
    }

    private void stopWithStopCommand() throws Exception {
        Process stop = command("stop").redirectOutput(runDir.resolve("stop.out").toFile()).start();
        assertTrue(stop.waitFor(90, TimeUnit.SECONDS), "stop did not finish");
        assertEquals(0, stop.exitValue(), Deploy.read(runDir.resolve("stop.out")));
        assertTrue(script.waitFor(10, TimeUnit.SECONDS), "the script still runs after stop returned");
        assertEquals(0, script.exitValue(), output());
    }

    /** No server, PID file or namespace left, and the script said it stopped each of {@code nodes}. */
    private void assertNothingLeft(List<String> nodes) throws IOException {
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " is still running");
        }
        try (Stream<Path> files = Files.list(runDir.resolve("pids"))) {
            assertEquals(List.of(), files.toList(), "PID files left behind");
        }
        assertEquals(List.of(), namespaces(), "namespaces left behind");
        Deploy.Output links = Deploy.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10), "to list links");
        assertFalse(links.stdout().matches("(?s).*\\bob-(us|eu|ap)\\b.*"), "veths left behind: " + links.stdout());
        String stopped = output();
        for (String node : nodes) {
            assertTrue(stopped.contains("stopped " + node + " (pid "), stopped);
        }
    }

    // ---------------------------------------------------------------- namespaces

    /** Null when this process may make a network namespace (it tries one); else why not. */
    private static String namespacesCanBeMade() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root (running as " + System.getProperty("user.name") + ")";
        }
        String probe = "outpost-probe-" + ProcessHandle.current().pid();
        Deploy.Output add = Deploy.run(List.of("ip", "netns", "add", probe), Duration.ofSeconds(10),
                "to make network namespaces");
        if (add.exitCode() != 0) {
            return "'ip netns add' is not permitted here: " + add.stderr().strip();
        }
        Deploy.run(List.of("ip", "netns", "del", probe), Duration.ofSeconds(10), "to remove a network namespace");
        return null;
    }

    private static void assumeNamespacesCanBeMade() {
        String why = namespacesCanBeMade();
        if (why != null) {
            System.out.println("LocalRegionsIT: skipping the network-namespace run: " + why);
        }
        assumeTrue(why == null, why);
    }

    /** The script's namespaces (outpost-*) that exist now. */
    private static List<String> namespaces() {
        Deploy.Output list = Deploy.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10), "to list namespaces");
        return list.stdout().lines().map(l -> l.split(" ")[0]).filter(n -> n.startsWith("outpost-")).toList();
    }

    /** The named network namespace a process is in, "" for the host's. */
    private static String namespaceOf(long pid) {
        return Deploy.run(List.of("ip", "netns", "identify", String.valueOf(pid)), Duration.ofSeconds(10),
                "to find a process's namespace").stdout().strip();
    }

    private long pidOf(String node) {
        return Long.parseLong(Deploy.read(runDir.resolve("pids/" + node + ".pid")).trim());
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
