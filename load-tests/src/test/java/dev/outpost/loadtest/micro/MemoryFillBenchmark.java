package dev.outpost.loadtest.micro;

import dev.outpost.edge.storage.ObjectWriter;
import dev.outpost.edge.storage.memory.MemoryStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The memory tier's side of a miss: a writer for an object of known length, its body written in 16 KiB pieces
 * (as the origin's buffers come), the commit. 16 KiB bodies gather in the heap and go to direct buffers; 256 KiB
 * ones stream into a file of the memory filesystem ({@code /dev/shm} where it exists, as the edge's default).
 * One thread; 1,000 keys in turn, each commit replacing that key's previous object.
 */
public class MemoryFillBenchmark extends MicroBenchmark {

    private static final int KEYS = 1000;
    private static final int PIECE = 16 * 1024;

    @Param({"16384", "262144"})
    int size;

    private Path dir;
    private MemoryStorage storage;
    private ByteBuffer body;
    private Clock clock;
    private int next;

    @Setup
    public void open() throws IOException {
        Path shm = Path.of("/dev/shm");
        dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                "outpost-fill-bench");
        clock = Clock.systemUTC();
        storage = new MemoryStorage(1L << 30, 8L << 20, clock, Duration.ofHours(1), Runnable::run,
                new MemoryStorage.BodyFiles(dir, 128 * 1024));
        body = ByteBuffer.allocateDirect(size);
        while (body.hasRemaining()) {
            body.put((byte) body.position());
        }
        body.flip();
    }

    @TearDown
    public void close() throws IOException {
        storage.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Benchmark
    public boolean fill() {
        ObjectWriter w = storage.writer(StoredObjects.entry(next++ % KEYS, size, clock.instant()));
        for (int at = 0; at < size; at += PIECE) {
            w.write(body.duplicate().position(at).limit(Math.min(size, at + PIECE)));
        }
        return w.commit().join();
    }
}
