package dev.outpost.loadtest.micro;

import dev.outpost.edge.http.AcceptEncoding;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Vary;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Vary matching (RFC 9111 §4.1): the response's Vary field names (once per stored response) and a
 * request's variant key over them (once per request for an object that has Vary); and the
 * Accept-Encoding normalisation done when the request's forwarded view is built (once per request for
 * an object that has Vary, and per origin request).
 */
public class VaryBenchmark extends MicroBenchmark {

    private final HeaderFields response = HeaderFields.of("Content-Type", "text/html",
            "Vary", "Accept-Encoding, Accept-Language", "Cache-Control", "max-age=60");
    private final HeaderFields request = HeaderFields.of("Host", "www.example.com", "User-Agent", "Mozilla/5.0",
            "Accept-Encoding", "gzip, deflate,  br", "Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8");
    private final List<String> names = Vary.fieldNames(response);
    private final AcceptEncoding acceptEncoding = new AcceptEncoding(List.of("br", "gzip", "zstd"));
    private final List<String> chromeAcceptEncoding = List.of("gzip, deflate, br, zstd");

    @Benchmark
    public List<String> fieldNames() {
        return Vary.fieldNames(response);
    }

    @Benchmark
    public String normaliseAcceptEncoding() {
        return acceptEncoding.normalise(chromeAcceptEncoding);
    }

    @Benchmark
    public String variantKey() {
        return Vary.variantKey(request, names);
    }
}
