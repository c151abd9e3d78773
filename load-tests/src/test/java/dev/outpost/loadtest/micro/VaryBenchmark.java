package dev.outpost.loadtest.micro;

import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Vary;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Vary matching (RFC 9111 §4.1): the response's Vary field names (once per stored response) and a
 * request's variant key over them (once per request for an object that has Vary).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class VaryBenchmark {

    private final HeaderFields response = HeaderFields.of("Content-Type", "text/html",
            "Vary", "Accept-Encoding, Accept-Language", "Cache-Control", "max-age=60");
    private final HeaderFields request = HeaderFields.of("Host", "www.example.com", "User-Agent", "Mozilla/5.0",
            "Accept-Encoding", "gzip, deflate,  br", "Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8");
    private final List<String> names = Vary.fieldNames(response);

    @Benchmark
    public List<String> fieldNames() {
        return Vary.fieldNames(response);
    }

    @Benchmark
    public String variantKey() {
        return Vary.variantKey(request, names);
    }
}
