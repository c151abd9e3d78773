package dev.outpost.loadtest.micro;

import dev.outpost.edge.http.CacheControl;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.ResponseControl;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Cache-Control parsing (RFC 9111 §5.2) and the choice of the effective response directives
 * (targeted fields, RFC 9213, before Surrogate-Control and Cache-Control): what the edge does once
 * per origin response (and for request directives, once per request that has them).
 */
public class HeaderParsingBenchmark extends MicroBenchmark {

    private final List<String> responseCacheControl =
            List.of("public, max-age=3600, stale-while-revalidate=30, stale-if-error=86400");
    private final HeaderFields request = HeaderFields.of("Host", "www.example.com", "Accept-Encoding", "gzip, br",
            "Cache-Control", "max-age=0");
    private final HeaderFields responseWithTargeted = HeaderFields.of("Content-Type", "text/css",
            "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=600, stale-while-revalidate=30",
            "ETag", "\"v1\"");
    private final HeaderFields responseCacheControlOnly = HeaderFields.of("Content-Type", "text/css",
            "Cache-Control", "public, max-age=3600, stale-if-error=86400", "ETag", "\"v1\"");
    private final List<String> targeted = List.of("CDN-Cache-Control");

    @Benchmark
    public CacheControl parseResponseCacheControl() {
        return CacheControl.parse(responseCacheControl);
    }

    @Benchmark
    public CacheControl parseRequestCacheControl() {
        return CacheControl.ofRequest(request);
    }

    /** CDN-Cache-Control present: a Structured Fields dictionary wins over Cache-Control. */
    @Benchmark
    public ResponseControl resolveTargetedField() {
        return ResponseControl.resolve(responseWithTargeted, targeted);
    }

    /** No targeted field: looked for, not found, Cache-Control parsed. */
    @Benchmark
    public ResponseControl resolveCacheControlOnly() {
        return ResponseControl.resolve(responseCacheControlOnly, targeted);
    }
}
