package dev.outpost.edge.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** RFC 9111 §2 primary cache key; RFC 3986 §6.2.2 syntax-based normalisation; RFC 9110 §4.2.3 default ports. */
class CacheKeyPolicyTest {

    private final CacheKeyPolicy policy = new CacheKeyPolicy();

    @Test
    void rfc9110_4_2_3_hostIsCaseInsensitiveAndDefaultPortDropped() {
        assertEquals(policy.keyFor("http", "site.example", "/a"), policy.keyFor("http", "SITE.Example:80", "/a"));
        assertEquals(policy.keyFor("https", "site.example", "/a"), policy.keyFor("https", "site.example:443", "/a"));
        assertNotEquals(policy.keyFor("http", "site.example", "/a"), policy.keyFor("http", "site.example:8080", "/a"));
    }

    @Test
    void rfc9110_4_2_3_hostsWithPortsNormaliseLikeHostsWithout() {
        assertEquals("site.example:8080", CacheKeyPolicy.normaliseHost("http", "site.example:8080"));
        assertEquals("127.0.0.1:18080", CacheKeyPolicy.normaliseHost("http", "127.0.0.1:18080"));
        assertEquals("site.example", CacheKeyPolicy.normaliseHost("http", "site.example:80"));
        assertEquals("site.example:80", CacheKeyPolicy.normaliseHost("https", "site.example:80"));
        assertEquals("site.example", CacheKeyPolicy.normaliseHost("https", "site.example:443"));
        assertEquals("site.example:443", CacheKeyPolicy.normaliseHost("http", "site.example:443"));
        assertEquals("site.example", CacheKeyPolicy.normaliseHost("http", "site.example:"));
        assertEquals("site.example:8080", CacheKeyPolicy.normaliseHost("http", "Site.Example.:8080"));
        assertEquals("site.example", CacheKeyPolicy.normaliseHost("HTTP", "site.example:80"));
        assertEquals("[::1]:8080", CacheKeyPolicy.normaliseHost("http", "[::1]:8080"));
        assertEquals("[::1]", CacheKeyPolicy.normaliseHost("http", "[::1]:80"));
    }

    @Test
    void hostIsAlwaysPartOfTheKey() {
        assertNotEquals(policy.keyFor("http", "a.example", "/x"), policy.keyFor("http", "b.example", "/x"));
        assertThrows(IllegalArgumentException.class, () -> new CacheKey("", "/x"));
    }

    @Test
    void rfc3986_6_2_2_percentEncodingNormalised() {
        assertEquals(policy.keyFor("http", "h", "/a%7Eb"), policy.keyFor("http", "h", "/a~b"));
        assertEquals(policy.keyFor("http", "h", "/a%2fb"), policy.keyFor("http", "h", "/a%2Fb"));
        assertNotEquals(policy.keyFor("http", "h", "/a%2Fb"), policy.keyFor("http", "h", "/a/b"));
    }

    @Test
    void queryOrderIsSignificantAndEmptyQueryDropped() {
        assertNotEquals(policy.keyFor("http", "h", "/a?x=1&y=2"), policy.keyFor("http", "h", "/a?y=2&x=1"));
        assertEquals(policy.keyFor("http", "h", "/a?"), policy.keyFor("http", "h", "/a"));
        assertEquals("/", policy.keyFor("http", "h", "").pathAndQuery());
    }

    @Test
    void schemeDoesNotNarrowTheKey() {
        assertEquals(policy.keyForAbsolute(URI.create("http://site.example/a?b=1")),
                policy.keyForAbsolute(URI.create("https://site.example/a?b=1")));
        assertEquals(policy.keyFor("http", "site.example", "/a?b=1"),
                policy.keyForAbsolute(URI.create("http://site.example/a?b=1")));
    }
}
