package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ByteWeigherTest {

    private static final long GIB = 1L << 30;

    @Test
    void objectsUpToOneGibibyteAreWeighedExactly() {
        ByteWeigher w = ByteWeigher.forMaxObjectSize(GIB);
        assertEquals(1, w.unit());
        assertEquals(12_345, w.weigh(12_345));
        assertEquals(10 * GIB, w.maximumWeight(10 * GIB));
        assertEquals(77, w.bytes(77));
    }

    @Test
    void objectsAboveTwoGibibytesAreNotUnderCounted() {
        ByteWeigher w = ByteWeigher.forMaxObjectSize(8 * GIB);
        long fiveGib = 5 * GIB + 3;
        int weight = w.weigh(fiveGib);
        assertTrue(weight < Integer.MAX_VALUE, "a 5 GiB object fits an int weight");
        assertTrue(w.bytes(weight) >= fiveGib, "rounded up, never down");
        assertTrue(w.bytes(weight) - fiveGib < w.unit());
        assertTrue(w.bytes(w.maximumWeight(100 * GIB)) <= 100 * GIB, "the bound is never exceeded");
    }

    @Test
    void weighingRoundsUpToWholeUnits() {
        ByteWeigher w = new ByteWeigher(8);
        assertEquals(0, w.weigh(0));
        assertEquals(1, w.weigh(1));
        assertEquals(1, w.weigh(8));
        assertEquals(2, w.weigh(9));
    }
}
