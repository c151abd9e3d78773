package dev.outpost.edge.storage.disk;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import dev.outpost.edge.storage.ObjectWriter;
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
 * {@link DiskStorage#open} takes (format check + index rebuild from the meta family). Not a test (not
 * run by the suite). Run it from edge-node after {@code ./mvnw -pl edge-node -am test-compile}:
 *
 * <pre>
 * java -Xmx1g -cp target/classes:target/test-classes:$(cat /tmp/cp.txt) \
 *     dev.outpost.edge.storage.disk.DiskRebuildBenchmark [objects=1000000] [dir] [bodyBytes=1024]
 * </pre>
 * An existing {@code dir} that already holds a store is reopened without filling it again.
 */
public final class DiskRebuildBenchmark {

    private DiskRebuildBenchmark() {
    }

    public static void main(String[] args) throws Exception {
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
