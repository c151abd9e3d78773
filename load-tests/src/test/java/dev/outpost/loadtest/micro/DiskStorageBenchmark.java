package dev.outpost.loadtest.micro;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.StoredBody;
import dev.outpost.edge.storage.StoredObject;
import dev.outpost.edge.storage.disk.DiskStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The disk tier's read path: a lookup (index, metadata from RocksDB on the tier's read threads) and
 * the whole body read chunk by chunk (64 KiB chunks), as a disk hit is served. A real RocksDB in a
 * temp dir holding {@code objects} objects of {@code size} bytes, read in random order; after the
 * first pass the OS page cache holds them, so this measures the tier's own cost (JNI, copies, thread
 * hops), not the device.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DiskStorageBenchmark extends MicroBenchmark {

    @Param({"1024", "16384", "262144"})
    int size;

    @Param({"200"})
    int objects;

    private Path dir;
    private DiskStorage storage;

    @Setup(Level.Trial)
    public void fill() throws IOException {
        dir = Files.createTempDirectory("outpost-jmh-disk");
        Clock clock = Clock.systemUTC();
        storage = DiskStorage.open(dir, 4L << 30, 1L << 30, clock, Duration.ofHours(1));
        byte[] chunk = new byte[DiskStorage.CHUNK_SIZE];
        ThreadLocalRandom.current().nextBytes(chunk);
        for (int i = 0; i < objects; i++) {
            ObjectWriter writer = storage.writer(StoredObjects.entry(i, size, clock.instant()));
            for (int written = 0; written < size; written += chunk.length) {
                writer.write(ByteBuffer.wrap(chunk, 0, Math.min(chunk.length, size - written)));
            }
            if (!writer.commit().join()) {
                throw new IllegalStateException("the disk tier did not store object " + i);
            }
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        storage.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public void lookupAndReadBody(Blackhole bh) {
        CacheKey key = StoredObjects.key(ThreadLocalRandom.current().nextInt(objects));
        List<StoredObject> found = storage.lookup(key).join();
        StoredBody body = found.get(0).body();
        try (StoredBody.Reader reader = body.open(0, body.length() - 1)) {
            for (ByteBuffer b = reader.next().join(); b != null; b = reader.next().join()) {
                bh.consume(b.get(b.limit() - 1));
            }
        }
    }
}
