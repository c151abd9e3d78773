package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.greenbytes.http.sfv.BooleanItem;
import org.greenbytes.http.sfv.IntegerItem;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.OuterList;
import org.greenbytes.http.sfv.Parser;
import org.greenbytes.http.sfv.StringItem;
import org.greenbytes.http.sfv.TokenItem;
import org.junit.jupiter.api.Test;

class CacheStatusTest {

    private static final int NS = CacheStatus.NO_STATUS;
    private static final long NT = CacheStatus.NO_TTL;

    private static Item<?> parse(String entry) {
        return Parser.parseItem(entry);
    }

    @Test
    void rfc9211_2_hitWithTtlAndDetail() {
        CacheStatus s = new CacheStatus("edge-eu-1", true, null, NS, false, false, 42, "memory");
        assertEquals("edge-eu-1;hit;ttl=42;detail=memory", s.toEntry());
        Item<?> item = parse(s.toEntry());
        assertInstanceOf(TokenItem.class, item);
        assertEquals("edge-eu-1", item.get());
        assertEquals(Boolean.TRUE, item.getParams().get("hit").get());
        assertEquals(42L, ((IntegerItem) item.getParams().get("ttl")).getAsLong());
        assertInstanceOf(TokenItem.class, item.getParams().get("detail"));
    }

    @Test
    void rfc9211_2_2_fwdUriMissStored() {
        assertEquals("edge-eu-1;fwd=uri-miss;stored",
                new CacheStatus("edge-eu-1", false, CacheStatus.Fwd.URI_MISS, NS, true, false, NT, null).toEntry());
    }

    @Test
    void rfc9211_2_3_fwdStaleWithFwdStatus() {
        assertEquals("edge-eu-1;fwd=stale;fwd-status=304",
                new CacheStatus("edge-eu-1", false, CacheStatus.Fwd.STALE, 304, false, false, NT, null).toEntry());
    }

    @Test
    void rfc9211_2_1_hitWhileRevalidating() {
        assertEquals("edge-eu-1;hit;fwd=stale",
                new CacheStatus("edge-eu-1", true, CacheStatus.Fwd.STALE, NS, false, false, NT, null).toEntry());
    }

    @Test
    void rfc9211_2_parameterOrderAndCollapsed() {
        CacheStatus s = new CacheStatus("e", true, CacheStatus.Fwd.VARY_MISS, 200, true, true, -3, "x y");
        assertEquals("e;hit;fwd=vary-miss;fwd-status=200;ttl=-3;stored;collapsed;detail=\"x y\"", s.toEntry());
        Item<?> item = parse(s.toEntry());
        assertEquals(java.util.List.of("hit", "fwd", "fwd-status", "ttl", "stored", "collapsed", "detail"),
                java.util.List.copyOf(item.getParams().keySet()));
        assertInstanceOf(BooleanItem.class, item.getParams().get("collapsed"));
        assertInstanceOf(StringItem.class, item.getParams().get("detail"));
    }

    @Test
    void rfc9211_2_falseBooleansAreOmitted() {
        assertEquals("edge", new CacheStatus("edge", false, null, NS, false, false, NT, null).toEntry());
    }

    @Test
    void rfc8941_3_3_4_cacheNameIsStringWhenNotAToken() {
        String entry = new CacheStatus("Edge Node \"1\"", true, null, NS, false, false, NT, null).toEntry();
        assertEquals("\"Edge Node \\\"1\\\"\";hit", entry);
        assertInstanceOf(StringItem.class, parse(entry));
        assertInstanceOf(StringItem.class, parse(new CacheStatus("1edge", false, null, NS, false, false, NT, null)
                .toEntry()));
        assertInstanceOf(StringItem.class, parse(new CacheStatus("", false, null, NS, false, false, NT, null)
                .toEntry()));
        // characters a String cannot carry are replaced
        assertEquals("\"caf?\"", new CacheStatus("café", false, null, NS, false, false, NT, null).toEntry());
        assertInstanceOf(TokenItem.class, parse(new CacheStatus("ExampleCache", false, null, NS, false, false, NT,
                null).toEntry()));
    }

    @Test
    void rfc9211_2_appendAfterUpstreamEntries() {
        String entry = new CacheStatus("edge", true, null, NS, false, false, 5, null).toEntry();
        assertEquals(entry, CacheStatus.append(null, entry));
        assertEquals(entry, CacheStatus.append(" ", entry));
        String combined = CacheStatus.append("origin-cache;fwd=miss;stored", entry);
        OuterList list = Parser.parseList(combined);
        assertEquals(2, list.get().size());
        assertEquals("edge", list.get().get(1).get());
    }

    @Test
    void rfc8941_3_3_1_ttlBeyondIntegerRangeIsClamped() {
        String entry = new CacheStatus("e", false, null, NS, false, false, Long.MAX_VALUE - 1, null).toEntry();
        assertEquals("e;ttl=999999999999999", entry);
        assertTrue(parse(entry).getParams().containsKey("ttl"));
    }
}
