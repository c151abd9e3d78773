package dev.outpost.loadtest.micro;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.storage.StoredObject;
import dev.outpost.edge.storage.memory.MemoryStorage;
import java.time.Clock;
import java.util.List;
import org.apache.commons.rng.sampling.distribution.RejectionInversionZipfSampler;
import org.apache.commons.rng.simple.RandomSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The memory tier's lookup (Caffeine underneath): what every request does first. Keys are drawn from
 * a Zipf distribution (exponent 0.99) over the stored objects, as Caffeine's own benchmarks do, from
 * a precomputed table so the sampling is not measured; a miss looks up a key never stored. Two
 * threads, as an edge on two cores has two event loops.
 */
@Threads(2)
public class MemoryStorageBenchmark extends MicroBenchmark {

    private static final int TABLE = 1 << 16;

    @Param({"10000"})
    int objects;

    private MemoryStorage storage;
    private CacheKey[] zipfKeys;
    private CacheKey absent;

    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void fill() {
        Clock clock = Clock.systemUTC();
        storage = new MemoryStorage(1L << 30, 8L << 20, clock);
        byte[] body = new byte[1024];
        for (int i = 0; i < objects; i++) {
            storage.put(StoredObjects.entry(i, body.length, clock.instant()), body);
        }
        var zipf = RejectionInversionZipfSampler.of(RandomSource.XO_RO_SHI_RO_128_PP.create(42), objects, 0.99);
        zipfKeys = new CacheKey[TABLE];
        for (int i = 0; i < TABLE; i++) {
            zipfKeys[i] = StoredObjects.key(zipf.sample() - 1);
        }
        absent = StoredObjects.key(objects + 1);
        if (storage.lookupInMemory(zipfKeys[0]).isEmpty()) {
            throw new IllegalStateException("the memory tier did not keep the benchmark's objects");
        }
    }

    @Benchmark
    public List<StoredObject> hitZipf(Cursor cursor) {
        return storage.lookupInMemory(zipfKeys[cursor.next++ & (TABLE - 1)]);
    }

    @Benchmark
    public List<StoredObject> miss() {
        return storage.lookupInMemory(absent);
    }
}
