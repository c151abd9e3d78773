package dev.outpost.loadtest.scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The servers a scenario runs against, each a separate JVM started from the built jars the way
 * operators start them: the load origin ({@code load-tests/target/demo-origin.jar}), an edge
 * ({@code edge-node/target/edge-node.jar}) in front of it and, when asked, a purge-api
 * ({@code purge-api/target/purge-api.jar}) that pushes purges to that edge; on free ports of
 * 127.0.0.1, with their config and logs in {@code load-tests/target/scenarios/<name>/}. Ports are chosen when this is
 * built (the simulation needs its URLs before Gatling starts), the servers start in {@link #start()}
 * and stop (SIGTERM, then a kill after 30 s) in {@link #close()} or, if the Gatling JVM dies first,
 * in a shutdown hook: a scenario never leaves a process behind.
 */
final class ScenarioEnvironment implements AutoCloseable {

    static final String NODE_ID = "load-edge";
    static final String ADMIN_TOKEN = "load-admin-token";
    static final String PURGE_TOKEN = "load-purge-token";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final Path root;
    private final Path dir;
    private final int edgePort;
    private final int adminPort;
    private final int originPort;
    private final int purgeApiPort;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopAll, "scenario-environment-shutdown");

    private List<String> originArgs = List.of();
    private List<String> edgeJvmArgs = List.of();
    private String memoryMaxSize = "1GiB";
    private String memoryMaxObjectSize = "8MiB";
    private String diskMaxSize;
    private boolean purgeApi;

    ScenarioEnvironment(String name) {
        this.name = name;
        this.root = repositoryRoot();
        this.dir = root.resolve("load-tests/target/scenarios").resolve(name);
        try {
            this.edgePort = freePort();
            this.adminPort = freePort();
            this.originPort = freePort();
            this.purgeApiPort = freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Arguments of the origin besides its port (see {@code demo-origin.jar --help}). */
    ScenarioEnvironment originArgs(String... args) {
        this.originArgs = List.of(args);
        return this;
    }

    /** JVM options of the edge, space-separated (e.g. {@code -Xmx1g -XX:+UseParallelGC}). */
    ScenarioEnvironment edgeJvm(String options) {
        this.edgeJvmArgs = options.isBlank() ? List.of() : List.of(options.strip().split("\\s+"));
        return this;
    }

    /** {@code cache.memory.max-size} and {@code max-object-size} of the edge. */
    ScenarioEnvironment memory(String maxSize, String maxObjectSize) {
        this.memoryMaxSize = maxSize;
        this.memoryMaxObjectSize = maxObjectSize;
        return this;
    }

    /** Gives the edge a disk tier of {@code maxSize} under this scenario's directory (emptied at start). */
    ScenarioEnvironment disk(String maxSize) {
        this.diskMaxSize = maxSize;
        return this;
    }

    /** Also starts a purge-api (after the edge) whose only edge is this one; see {@link #purgeApiConfig()}. */
    ScenarioEnvironment withPurgeApi() {
        this.purgeApi = true;
        return this;
    }

    String name() {
        return name;
    }

    Path directory() {
        return dir;
    }

    Path repository() {
        return root;
    }

    String edgeUrl() {
        return "http://127.0.0.1:" + edgePort;
    }

    String edgeAdminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    String originUrl() {
        return "http://127.0.0.1:" + originPort;
    }

    String purgeApiUrl() {
        return "http://127.0.0.1:" + purgeApiPort;
    }

    /**
     * Starts the origin, then the edge (returns once its {@code /readyz} answers 200), then the
     * purge-api if asked (once its {@code /v1/openapi.yaml} answers).
     */
    void start() {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            Files.createDirectories(dir);
            Path originJar = jar("load-tests/target/demo-origin.jar");
            Path edgeJar = jar("edge-node/target/edge-node.jar");
            List<String> origin = new ArrayList<>(List.of(java(), "-Xmx512m", "-XX:+UseParallelGC", "-jar",
                    originJar.toString(), "--host", "127.0.0.1", "--port", String.valueOf(originPort)));
            origin.addAll(originArgs);
            Process originProcess = launch("origin", origin);
            awaitOk(originUrl() + "/admin/stats", originProcess, "origin");

            Path config = dir.resolve("edge.yaml");
            Files.writeString(config, edgeConfig());
            List<String> edge = new ArrayList<>(List.of(java()));
            edge.addAll(edgeJvmArgs);
            edge.addAll(List.of("-jar", edgeJar.toString(), "--config", config.toString()));
            Process edgeProcess = launch("edge", edge);
            awaitOk(edgeAdminUrl() + "/readyz", edgeProcess, "edge");

            if (purgeApi) {
                Path purgeJar = jar("purge-api/target/purge-api.jar");
                Path purgeConfig = dir.resolve("purge-api.yaml");
                Files.writeString(purgeConfig, purgeApiConfig());
                Process purgeProcess = launch("purge-api", List.of(java(), "-Xmx256m", "-XX:+UseParallelGC", "-jar",
                        purgeJar.toString(), "--config", purgeConfig.toString()));
                awaitOk(purgeApiUrl() + "/v1/openapi.yaml", purgeProcess, "purge-api");
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts a process that {@link #close()} stops; its output goes to NAME.out and NAME.err here. */
    private Process launch(String processName, List<String> command) throws IOException {
        // the JVM's temporary files (RocksDB's native library, Vert.x's file cache) in this run's folder: a
        // process that has to be killed cannot delete them itself
        List<String> withTmp = new ArrayList<>(command);
        withTmp.add(1, "-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve(processName + "-tmp")));
        Process p = new ProcessBuilder(withTmp)
                .redirectOutput(dir.resolve(processName + ".out").toFile())
                .redirectError(dir.resolve(processName + ".err").toFile())
                .start();
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    /** The edge's YAML config: this environment's ports, origin, tiers; access log off. */
    String edgeConfig() throws IOException {
        StringBuilder yaml = new StringBuilder()
                .append("node:\n  id: ").append(NODE_ID).append('\n')
                .append("server:\n  host: 127.0.0.1\n  port: ").append(edgePort).append("\n  shutdown-timeout: 5s\n")
                .append("admin:\n  host: 127.0.0.1\n  port: ").append(adminPort)
                .append("\n  token: ").append(ADMIN_TOKEN).append('\n')
                .append("origins:\n  - host: \"*\"\n    url: ").append(originUrl()).append('\n')
                .append("cache:\n  memory:\n    max-size: ").append(memoryMaxSize)
                .append("\n    max-object-size: ").append(memoryMaxObjectSize).append('\n');
        if (diskMaxSize != null) {
            Path cacheDir = dir.resolve("disk-cache");
            deleteRecursively(cacheDir);
            yaml.append("  disk:\n    path: ").append(cacheDir).append("\n    max-size: ").append(diskMaxSize).append('\n');
        }
        yaml.append("access-log:\n  enabled: false\n");
        return yaml.toString();
    }

    /**
     * The purge-api's YAML config (ARCHITECTURE §5): this environment's port, one token
     * ({@value #PURGE_TOKEN}), a fresh log under this scenario's directory, and this edge as its only
     * edge (with the edge's admin token), probed every second.
     */
    String purgeApiConfig() throws IOException {
        Path log = dir.resolve("purge-log");
        deleteRecursively(log);
        return "server:\n  host: 127.0.0.1\n  port: " + purgeApiPort + "\n"
                + "auth:\n  tokens:\n    - name: load-tests\n      token: " + PURGE_TOKEN + "\n"
                + "log:\n  path: " + log + "\n"
                + "fanout:\n  probe-interval: 1s\n"
                + "edges:\n  - id: " + NODE_ID + "\n    region: load\n    admin-url: " + edgeAdminUrl()
                + "\n    token: " + ADMIN_TOKEN + "\n";
    }

    /** GET {@code url}, the body as text; fails on anything but 200. */
    String get(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops every process started here: SIGTERM to all, then waits (the edge drains), then kills. */
    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrNotAdded) {
            // nothing to remove
        }
    }

    private void stopAll() {
        List<Process> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        for (int i = all.size() - 1; i >= 0; i--) { // the edge first, then what it depends on
            all.get(i).destroy();
            try {
                if (!all.get(i).waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    all.get(i).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                all.get(i).destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitOk(String url, Process process, String what) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(what + " exited with " + process.exitValue() + " before it was ready; "
                        + "its log: " + tail(dir.resolve(what + ".err")));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(what + " not ready within " + START_TIMEOUT.toSeconds() + " s at " + url
                + "; its log: " + tail(dir.resolve(what + ".err")));
    }

    private Path jar(String relative) {
        Path jar = root.resolve(relative);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (./mvnw -B -DskipTests package, or run "
                    + "the scenario through load-tests/run-scenario, which does)");
        }
        return jar;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String tail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** {@code -Dload.root}, else the nearest directory upwards holding {@code mvnw} and {@code edge-node/}. */
    static Path repositoryRoot() {
        String configured = System.getProperty(LoadSettings.PREFIX + "root");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("mvnw")) && Files.isDirectory(p.resolve("edge-node"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath()
                + "; set -Dload.root=DIR");
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
