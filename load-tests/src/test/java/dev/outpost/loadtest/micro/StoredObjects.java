package dev.outpost.loadtest.micro;

import dev.outpost.edge.cache.CacheEntry;
import dev.outpost.edge.cache.CacheKey;
import dev.outpost.edge.http.HeaderFields;
import dev.outpost.edge.http.Reuse;
import java.time.Instant;
import java.util.List;

/** The objects the storage benchmarks store: one host, paths {@code /obj/<i>}, typical headers. */
final class StoredObjects {

    private StoredObjects() {
    }

    static CacheKey key(int i) {
        return new CacheKey("www.example.com", "/obj/" + i);
    }

    static CacheEntry entry(int i, long length, Instant now) {
        return new CacheEntry(key(i), "", List.of(), 200,
                HeaderFields.of("Content-Type", "application/octet-stream", "Cache-Control", "public, max-age=3600",
                        "ETag", "\"o" + i + "\"", "Last-Modified", "Thu, 26 Nov 2026 10:00:00 GMT"),
                now, now, 0, new Reuse.Policy(3600, 0, 0, false, false, false), length, false);
    }
}
