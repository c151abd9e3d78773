package dev.outpost.edge.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The deadlines that expire stored objects once they can serve nothing (RFC 9111 §4.2 freshness, RFC 5861
 * stale windows): handed out earliest first, in bounded batches, never before they are due.
 */
class ExpiryQueueTest {

    private final ExpiryQueue<String> queue = new ExpiryQueue<>();
    private final List<String> expired = new ArrayList<>();

    private int sweep(long now, int max) {
        return queue.sweep(now, max, d -> expired.add(d.key()));
    }

    @Test
    void dueDeadlinesGoEarliestFirstAndNoneBeforeItsTime() {
        queue.schedule("c", 300);
        queue.schedule("a", 100);
        queue.schedule("b", 200);
        queue.schedule("a-again", 100);

        assertFalse(queue.anyDue(99));
        assertEquals(0, sweep(99, 10));
        assertTrue(queue.anyDue(100), "due at its instant");
        assertEquals(3, sweep(200, 10));
        assertEquals(List.of("a", "a-again", "b"), expired, "by deadline, then in the order scheduled");
        assertEquals(1, queue.size());
        assertFalse(queue.anyDue(299), "the next due is the one left");
        assertTrue(queue.anyDue(300));
    }

    @Test
    void aCancelledDeadlineIsNeverHandedOut() {
        ExpiryQueue.Deadline<String> replaced = queue.schedule("k", 100);
        queue.schedule("k", 500);
        queue.cancel(replaced);

        assertEquals(0, sweep(499, 10));
        assertEquals(List.of(), expired);
        assertEquals(1, sweep(500, 10));
        assertEquals(List.of("k"), expired);
    }

    @Test
    void aSweepHandsOutAtMostItsBatchAndTheRestStaysDue() {
        for (int i = 0; i < 5; i++) {
            queue.schedule("k" + i, 100 + i);
        }
        assertEquals(2, sweep(1_000, 2));
        assertTrue(queue.anyDue(1_000), "three left, due");
        assertEquals(2, sweep(1_000, 2));
        assertEquals(1, sweep(1_000, 2));
        assertEquals(List.of("k0", "k1", "k2", "k3", "k4"), expired);
        assertFalse(queue.anyDue(Long.MAX_VALUE - 1), "empty");
    }

    @Test
    void oneSweeperAtATimeAndWhatIsScheduledMeanwhileIsSeen() {
        queue.schedule("a", 100);
        queue.schedule("b", 1_000);
        int[] nested = {-1};
        queue.sweep(200, 10, d -> {
            nested[0] = queue.sweep(200, 10, x -> expired.add(x.key()));
            queue.schedule("scheduled-during-the-sweep", 150);
        });
        assertEquals(0, nested[0], "a second sweep while one runs does nothing");
        assertTrue(queue.anyDue(150), "a deadline scheduled during the sweep lowers the next due again");
        assertEquals(1, sweep(200, 10));
        assertEquals(List.of("scheduled-during-the-sweep"), expired);
        assertFalse(queue.anyDue(999));
    }

    @Test
    void aFailingExpiryIsLoggedAndTheSweepGoesOn() {
        queue.schedule("fails", 100);
        queue.schedule("b", 100);
        int n = queue.sweep(100, 10, d -> {
            if (d.key().equals("fails")) {
                throw new IllegalStateException("test");
            }
            expired.add(d.key());
        });
        assertEquals(2, n);
        assertEquals(List.of("b"), expired);
        assertFalse(queue.anyDue(Long.MAX_VALUE - 1), "nothing left, and the sweep ended");
    }

    @Test
    void aHandedOutDeadlineCanStillBeCancelled() {
        ExpiryQueue.Deadline<String> d = queue.schedule("k", 100);
        assertEquals(1, sweep(100, 10));
        queue.cancel(d); // the tier removing the value it expired: nothing to do, nothing thrown
        assertEquals(0, queue.size());
        assertTrue(d.isDue(100));
        assertFalse(d.isDue(99));
    }
}
