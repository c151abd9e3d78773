package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectIdsTest {

    @Test
    void zipfFavoursLowIdsInTheExpectedProportion() {
        ObjectIds ids = ObjectIds.zipf(10_000, 1.0, 7);
        int[] counts = new int[10_000];
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            counts[ids.nextId()]++;
        }
        // P(rank k) = 1/(k * H(10000)), H(10000) ~ 9.79: id 0 gets ~10.2 %, id 1 ~5.1 %, id 9 ~1.0 %
        assertEquals(0.102, counts[0] / (double) n, 0.01);
        assertEquals(2.0, counts[0] / (double) counts[1], 0.2);
        assertEquals(10.0, counts[0] / (double) counts[9], 1.5);
        int top100 = 0;
        for (int i = 0; i < 100; i++) {
            top100 += counts[i];
        }
        assertEquals(0.53, top100 / (double) n, 0.02); // H(100) / H(10000) = 5.19 / 9.79
    }

    @Test
    void sameSeedSameSequence() {
        ObjectIds a = ObjectIds.zipf(1000, 0.99, 42);
        ObjectIds b = ObjectIds.zipf(1000, 0.99, 42);
        ObjectIds u1 = ObjectIds.uniform(1000, 42);
        ObjectIds u2 = ObjectIds.uniform(1000, 42);
        for (int i = 0; i < 1000; i++) {
            assertEquals(a.nextId(), b.nextId());
            assertEquals(u1.nextId(), u2.nextId());
        }
    }

    @Test
    void uniformStaysInRangeAndCoversIt() {
        ObjectIds ids = ObjectIds.uniform(50, 1);
        boolean[] seen = new boolean[50];
        for (int i = 0; i < 5000; i++) {
            int id = ids.nextId();
            assertTrue(id >= 0 && id < 50, "id " + id);
            seen[id] = true;
        }
        for (boolean s : seen) {
            assertTrue(s);
        }
    }

    @Test
    void cycleWalksTheRangeRepeatedlyAndFeedsTheIdAttribute() {
        ObjectIds ids = ObjectIds.cycle(3, 6);
        List<Object> walked = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            walked.add(ids.next().get(ObjectIds.ATTRIBUTE));
        }
        assertEquals(List.of(3, 4, 5, 3, 4, 5, 3), walked);
    }

    @Test
    void badParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ObjectIds.zipf(0, 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> ObjectIds.zipf(10, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ObjectIds.uniform(0, 1));
        assertThrows(IllegalArgumentException.class, () -> ObjectIds.cycle(5, 5));
    }
}
