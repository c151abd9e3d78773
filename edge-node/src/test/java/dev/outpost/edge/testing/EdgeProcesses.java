package dev.outpost.edge.testing;

import dev.outpost.config.testing.FreePorts;
import dev.outpost.edge.EdgeNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The edge as a separate JVM, the way operators run it: {@code java -cp <test classpath> EdgeNode
 * --config FILE}, output to files (a live process's pipes are never read, so it never blocks on them).
 */
public final class EdgeProcesses {

    private EdgeProcesses() {
    }

    public static int freePort() throws IOException {
        return FreePorts.loopback(); // below the ephemeral range: see FreePorts
    }

    public static Process launch(Path config, Path stdout, Path stderr, String... jvmArgs) throws IOException {
        return new ProcessBuilder(command(config, jvmArgs))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    }

    /**
     * The command line that runs an edge with {@code config}. Its temporary files (RocksDB's native library,
     * Vert.x's file cache) go to a {@code tmp} folder next to {@code config}, removed with the test's folder:
     * an edge killed with SIGKILL cannot delete them itself.
     */
    public static List<String> command(Path config, String... jvmArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.io.tmpdir=" + tmpDirNextTo(config));
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(EdgeNode.class.getName());
        cmd.add("--config");
        cmd.add(config.toString());
        return cmd;
    }

    /** A {@code tmp} folder beside {@code file}, created if needed. */
    public static Path tmpDirNextTo(Path file) {
        Path tmp = file.toAbsolutePath().getParent().resolve("tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return tmp;
    }

    /**
     * The start of an edge config listening on 127.0.0.1 ({@code port}, admin {@code adminPort}) with
     * {@code originUrl} as the origin of every host; append the {@code cache:} section.
     */
    public static String configHead(String nodeId, int port, int adminPort, String originUrl) {
        return """
                node:
                  id: %s
                server:
                  host: 127.0.0.1
                  port: %d
                admin:
                  host: 127.0.0.1
                  port: %d
                origins:
                  - host: "*"
                    url: %s
                """.formatted(nodeId, port, adminPort, originUrl);
    }

    /** Stops {@code edge} (SIGTERM, then SIGKILL after 20 s); null is ignored. */
    public static void stop(Process edge) throws InterruptedException {
        if (edge != null) {
            edge.destroy();
            if (!edge.waitFor(20, TimeUnit.SECONDS)) {
                edge.destroyForcibly();
            }
        }
    }

    /** The sum of every series of the metric {@code name} on the admin {@code /metrics}; fails when there is none. */
    public static double metricSum(int adminPort, String name) throws IOException {
        String text = RawHttp.get(adminPort, "localhost", "/metrics").text();
        double sum = 0;
        boolean seen = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                seen = true;
            }
        }
        if (!seen) {
            throw new AssertionError("no " + name + " in:\n" + text);
        }
        return sum;
    }

    public static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    /** Polls the admin {@code /readyz} until 200 (at most 30 s); fails with the edge's stderr if it exits. */
    public static void awaitReady(Process edge, int adminPort, Path stderr) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!edge.isAlive()) {
                throw new AssertionError("edge exited early: " + read(stderr));
            }
            try {
                if (RawHttp.get(adminPort, "localhost", "/readyz").status() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("edge not ready in time: " + read(stderr));
    }
}
