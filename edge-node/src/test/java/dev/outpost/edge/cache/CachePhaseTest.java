package dev.outpost.edge.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CachePhaseTest {

    @Test
    void theHitPathIsAllowed() {
        CachePhase p = CachePhase.RECEIVED.moveTo(CachePhase.LOOKUP).moveTo(CachePhase.HIT)
                .moveTo(CachePhase.RESPOND).moveTo(CachePhase.DONE);
        assertEquals(CachePhase.DONE, p);
    }

    @Test
    void aFollowerMayLookUpAgainAfterTheLeaderStored() {
        assertTrue(CachePhase.MISS.canMoveTo(CachePhase.LOOKUP));
    }

    @Test
    void wrongTransitionsFailLoudly() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CachePhase.HIT.moveTo(CachePhase.FETCH));
        assertTrue(e.getMessage().contains("HIT -> FETCH"));
        assertThrows(IllegalStateException.class, () -> CachePhase.DONE.moveTo(CachePhase.RESPOND));
        assertThrows(IllegalStateException.class, () -> CachePhase.RECEIVED.moveTo(CachePhase.HIT));
    }
}
