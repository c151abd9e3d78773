package dev.outpost.edge.storage.disk;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.RawHttp;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Start-up time of the disk tier with many stored objects: fills a store with N small objects
 * (realistic headers, 1 KiB bodies) through the normal writer API, closes it, and measures how long
 * {@link DiskStorage#open} takes (format check + index rebuild from the meta family). With
 * {@code --edge JAR} it then also starts the real edge ({@code java -jar JAR --config ...}, a config
 * whose disk tier is that store) and measures the time from starting the process until its
 * {@code /readyz} answers 200, i.e. what issue 3's "ready in ≤ 10 s with 1 million stored objects"
 * means. Not a test (not run by the suite). Commands in load-tests/README.md ("Disk tier start-up"):
 *
 * <pre>
 * ./mvnw -B -o -q -pl edge-node -am package dependency:build-classpath -DskipTests \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/outpost-cp.txt
 * java -Xmx1g -cp edge-node/target/classes:edge-node/target/test-classes:$(cat /tmp/outpost-cp.txt) \
 *     dev.outpost.edge.storage.disk.DiskRebuildBenchmark [objects=1000000] [dir] [bodyBytes=1024] \
 *     [--edge edge-node/target/edge-node.jar] [--edge-heap 512m]
 * </pre>
 * An existing {@code dir} that already holds a store is reopened without filling it again.
 */
public final class DiskRebuildBenchmark {

    private DiskRebuildBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        List<String> positional = new java.util.ArrayList<>();
        Path edgeJar = null;
        String edgeHeap = "512m";
        for (int i = 0; i < argv.length; i++) {
            switch (argv[i]) {
                case "--edge" -> edgeJar = Path.of(argv[++i]);
                case "--edge-heap" -> edgeHeap = argv[++i];
                default -> positional.add(argv[i]);
            }
        }
        String[] args = positional.toArray(new String[0]);
        int objects = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("outpost-disk-bench");
        int bodyBytes = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        Clock clock = Clock.systemUTC();
        long maxSize = 64L << 30;
        boolean fill = !Files.exists(dir.resolve("CURRENT"));

        if (fill) {
            long start = System.nanoTime();
            try (DiskStorage disk = DiskStorage.open(dir, maxSize, 1L << 30, clock, Duration.ofHours(1))) {
                byte[] body = new byte[bodyBytes];
                ArrayDeque<CompletableFuture<Boolean>> pending = new ArrayDeque<>();
                Instant now = clock.instant();
                for (int i = 0; i < objects; i++) {
                    body[i % bodyBytes] = (byte) i;
                    CacheEntry e = new CacheEntry(new CacheKey("img" + (i % 7) + ".site.example",
                            "/assets/" + (i / 1000) + "/photo-" + i + ".jpg?w=640&q=80"), "", List.of(), 200,
                            HeaderFields.of("Content-Type", "image/jpeg", "Content-Length", Integer.toString(bodyBytes),
                                    "ETag", "\"" + Integer.toHexString(i * 0x9E3779B1) + "-5f2a\"", "Last-Modified",
                                    "Tue, 04 Mar 2025 10:15:30 GMT", "Cache-Control", "public, max-age=86400",
                                    "Date", "Wed, 05 Mar 2025 08:00:00 GMT", "Server", "origin", "Accept-Ranges",
                                    "bytes"),
                            now, now, 0, new Reuse.Policy(86_400, 0, 0, false, false, false), bodyBytes, false);
                    ObjectWriter w = disk.writer(e);
                    w.write(ByteBuffer.wrap(body));
                    pending.add(w.commit());
                    while (pending.size() > 2000) {
                        if (!pending.poll().join()) {
                            throw new IllegalStateException("object " + i + " was not stored");
                        }
                    }
                    if (i % 100_000 == 0 && i > 0) {
                        System.out.printf("filled %,d objects in %,d ms%n", i, (System.nanoTime() - start) / 1_000_000);
                    }
                }
                pending.forEach(CompletableFuture::join);
                System.out.printf("filled %,d objects (%,d bytes accounted) in %,d ms%n", disk.entryCount(),
                        disk.byteSize(), (System.nanoTime() - start) / 1_000_000);
            }
        }
        System.out.printf("store size on disk: %,d bytes%n", du(dir));

        for (int round = 1; round <= 2; round++) {
            System.gc();
            long heapBefore = usedHeap();
            long start = System.nanoTime();
            try (DiskStorage disk = DiskStorage.open(dir, maxSize, 1L << 30, clock, Duration.ofHours(1))) {
                long millis = (System.nanoTime() - start) / 1_000_000;
                System.gc();
                long heap = usedHeap() - heapBefore;
                System.out.printf("reopen %d: open() took %,d ms (rebuild %,d ms), %,d entries, %,d bytes accounted,"
                        + " index heap ≈ %,d MiB (%,d bytes/entry)%n", round, millis, disk.rebuildMillis(),
                        disk.entryCount(), disk.byteSize(), heap >> 20, disk.entryCount() == 0 ? 0
                                : heap / disk.entryCount());
            }
        }
        if (edgeJar != null) {
            for (int round = 1; round <= 2; round++) {
                timeEdgeReady(edgeJar, edgeHeap, dir, maxSize, round);
            }
        }
    }

    /**
     * Starts {@code java -Xmx<heap> -jar edgeJar} on the store and prints how long it took until
     * {@code /readyz} answered 200 (JVM start, config, RocksDB open, index rebuild, servers bound), then
     * stops it with SIGTERM. The origin is never contacted.
     */
    private static void timeEdgeReady(Path edgeJar, String heap, Path dir, long maxSize, int round)
            throws Exception {
        int port = EdgeProcesses.freePort();
        int admin = EdgeProcesses.freePort();
        Path config = Files.createTempFile("outpost-rebuild-edge", ".yaml");
        Path log = Files.createTempFile("outpost-rebuild-edge", ".log");
        Files.writeString(config, EdgeProcesses.configHead("edge-rebuild-bench", port, admin, "http://127.0.0.1:9")
                + """
                cache:
                  memory:
                    max-size: 64MiB
                    max-object-size: 1MiB
                  disk:
                    path: %s
                    max-size: %d
                    max-object-size: 1GiB
                """.formatted(dir.toAbsolutePath(), maxSize));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx" + heap, "-jar", edgeJar.toString(), "--config",
                config.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        long start = System.nanoTime();
        Process edge = pb.start();
        try {
            long deadline = start + 120_000_000_000L;
            int status = -1;
            while (status != 200 && edge.isAlive() && System.nanoTime() < deadline) {
                status = readyz(admin);
                if (status != 200) {
                    Thread.sleep(10);
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            String rebuilt = Files.readAllLines(log).stream().filter(l -> l.contains("index rebuilt in")).findFirst()
                    .orElse("(no rebuild line in " + log + ")");
            if (status != 200) {
                System.out.printf("edge %d: NOT ready after %,d ms (alive: %s); log %s%n", round, millis,
                        edge.isAlive(), log);
            } else {
                System.out.printf("edge %d: java -Xmx%s -jar edge-node.jar ready (/readyz 200) %,d ms after start;"
                        + " its log: %s%n", round, heap, millis, rebuilt.substring(rebuilt.indexOf("disk store")));
                Files.delete(log); // kept only when the edge did not become ready
            }
        } finally {
            edge.destroy();
            if (!edge.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                edge.destroyForcibly();
            }
            Files.deleteIfExists(config);
        }
    }

    private static int readyz(int port) {
        try {
            return RawHttp.get(port, "localhost", "/readyz").status();
        } catch (java.io.IOException notYet) {
            return -1;
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static long du(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
