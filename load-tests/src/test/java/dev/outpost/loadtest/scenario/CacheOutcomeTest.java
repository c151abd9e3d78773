package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading the edge's Cache-Status entries (RFC 9211 §2; examples from the README's table). */
class CacheOutcomeTest {

    @Test
    void hitsByTier() {
        assertEquals(CacheOutcome.HIT_MEMORY, CacheOutcome.of("load-edge;hit;ttl=55;detail=memory"));
        assertEquals(CacheOutcome.HIT_DISK, CacheOutcome.of("load-edge;hit;ttl=55;detail=disk"));
        assertEquals(CacheOutcome.HIT_MEMORY, CacheOutcome.of("load-edge;hit"));
    }

    @Test
    void staleServedIsAHitWithFwdStale() {
        CacheOutcome stale = CacheOutcome.of("load-edge;hit;fwd=stale;fwd-status=503;ttl=-3;detail=memory");
        assertEquals(CacheOutcome.STALE, stale);
        assertTrue(stale.servedFromCache());
    }

    @Test
    void rfc9211_2_4_aHitWithNoFreshnessLeftIsStale() {
        assertEquals(CacheOutcome.STALE, CacheOutcome.of("load-edge;hit;ttl=-12;detail=origin-held"));
        assertEquals(CacheOutcome.STALE, CacheOutcome.of("load-edge;hit;ttl=-1;detail=memory"));
        assertEquals(CacheOutcome.STALE, CacheOutcome.of("load-edge;hit;ttl=0;detail=memory"));
        assertEquals(CacheOutcome.STALE, CacheOutcome.of("load-edge;hit;detail=origin-held"));
        assertEquals(CacheOutcome.HIT_MEMORY, CacheOutcome.of("load-edge;hit;ttl=1;detail=memory"));
    }

    @Test
    void forwardedRequests() {
        assertEquals(CacheOutcome.REVALIDATED, CacheOutcome.of("load-edge;fwd=stale;fwd-status=304;ttl=5"));
        assertEquals(CacheOutcome.MISS, CacheOutcome.of("load-edge;fwd=uri-miss;fwd-status=200;ttl=60;stored"));
        assertEquals(CacheOutcome.MISS, CacheOutcome.of("load-edge;fwd=vary-miss;fwd-status=200"));
        assertEquals(CacheOutcome.MISS, CacheOutcome.of("load-edge;fwd=uri-miss;detail=origin-unreachable"));
        CacheOutcome collapsed = CacheOutcome.of("load-edge;fwd=uri-miss;fwd-status=200;ttl=29;collapsed;detail=memory");
        assertEquals(CacheOutcome.COLLAPSED, collapsed);
        assertFalse(collapsed.servedFromCache());
    }

    @Test
    void theLastMemberIsTheEdges() {
        // §2: caches append their entry; the one nearest the client comes last
        assertEquals(CacheOutcome.MISS, CacheOutcome.of("origin-cache;hit, load-edge;fwd=uri-miss;fwd-status=200"));
        assertEquals(CacheOutcome.HIT_DISK, CacheOutcome.of("shield;fwd=uri-miss, load-edge;hit;detail=disk"));
    }

    @Test
    void missingOrUnreadableHeadersAreNone() {
        assertEquals(CacheOutcome.NONE, CacheOutcome.of(null));
        assertEquals(CacheOutcome.NONE, CacheOutcome.of(""));
        assertEquals(CacheOutcome.NONE, CacheOutcome.of("load-edge;;;"));
        assertEquals(CacheOutcome.NONE, CacheOutcome.of("load-edge"));
    }
}
