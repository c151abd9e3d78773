package dev.outpost.loadtest.micro;

import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.cache.CacheKeyPolicy;
import java.net.URI;
import org.openjdk.jmh.annotations.Benchmark;

/** Building the primary cache key (RFC 9111 §2, RFC 3986 §6.2.2 normalisation): once per request. */
public class CacheKeyBenchmark extends MicroBenchmark {

    private final CacheKeyPolicy policy = new CacheKeyPolicy();
    private final URI purgeUrl = URI.create("http://www.example.com/images/hero.jpg?w=640");

    /** The common request: a lower-case host, a plain path. */
    @Benchmark
    public CacheKey plainHostAndPath() {
        return policy.keyFor("http", "www.example.com", "/static/app.3f2a9c.js");
    }

    /** Host to normalise (case, default port) and a query with percent-encodings to normalise. */
    @Benchmark
    public CacheKey hostAndTargetToNormalise() {
        return policy.keyFor("http", "WWW.Example.COM:80", "/a/%7euser/search?q=caf%c3%a9&page=2");
    }

    /** An absolute URL, as purges give them. */
    @Benchmark
    public CacheKey absoluteUrl() {
        return policy.keyForAbsolute(purgeUrl);
    }
}
