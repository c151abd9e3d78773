package dev.outpost.edge.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.MutableClock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class CacheLockTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final CacheLock lock = new CacheLock(Duration.ofSeconds(5), Duration.ofSeconds(32), Duration.ofSeconds(30), clock);

    @Test
    void firstIsLeaderOthersFollowAndAreWokenOnStored() throws Exception {
        CacheLock.Fill leader = assertInstanceOf(CacheLock.Fill.class, lock.acquire("k"));
        CacheLock.Wait a = assertInstanceOf(CacheLock.Wait.class, lock.acquire("k"));
        CacheLock.Wait b = assertInstanceOf(CacheLock.Wait.class, lock.acquire("k"));
        leader.release(CacheLock.Outcome.STORED);
        assertEquals(CacheLock.Outcome.STORED, a.outcome().get());
        assertEquals(CacheLock.Outcome.STORED, b.outcome().get());
        assertInstanceOf(CacheLock.Fill.class, lock.acquire("k"), "released: the next miss leads again");
    }

    @Test
    void followersAreWokenOnFailure() throws Exception {
        CacheLock.Fill leader = (CacheLock.Fill) lock.acquire("k");
        CacheLock.Wait w = (CacheLock.Wait) lock.acquire("k");
        leader.release(CacheLock.Outcome.FAILED);
        assertEquals(CacheLock.Outcome.FAILED, w.outcome().get());
        assertFalse(lock.isMarkedUncacheable("k"));
    }

    @Test
    void notStoredMarksTheKeyUncacheableForAWhile() throws Exception {
        CacheLock.Fill leader = (CacheLock.Fill) lock.acquire("k");
        CacheLock.Wait w = (CacheLock.Wait) lock.acquire("k");
        leader.release(CacheLock.Outcome.NOT_STORED);
        assertEquals(CacheLock.Outcome.NOT_STORED, w.outcome().get());
        assertTrue(lock.isMarkedUncacheable("k"));
        clock.advance(Duration.ofSeconds(31));
        assertFalse(lock.isMarkedUncacheable("k"));
    }

    @Test
    void releaseIsIdempotent() throws Exception {
        CacheLock.Fill leader = (CacheLock.Fill) lock.acquire("k");
        CacheLock.Wait w = (CacheLock.Wait) lock.acquire("k");
        leader.release(CacheLock.Outcome.STORED);
        leader.release(CacheLock.Outcome.FAILED);
        assertEquals(CacheLock.Outcome.STORED, w.outcome().get());
    }

    @Test
    void aFollowersWaitIsBounded() {
        CacheLock quick = new CacheLock(Duration.ofMillis(50), Duration.ZERO, Duration.ofSeconds(30), clock);
        quick.acquire("k");
        CacheLock.Wait w = (CacheLock.Wait) quick.acquire("k");
        assertTimesOut(w);
    }

    /** The leader's connect and first-byte timeouts: 10 s here, against a follower's wait-timeout of 50 ms. */
    private final CacheLock slowOrigin = new CacheLock(Duration.ofMillis(50), Duration.ofSeconds(10),
            Duration.ofSeconds(30), clock);

    @Test
    void beforeTheLeadersHeadAFollowerWaitsAsLongAsTheLeaderMay() throws Exception {
        CacheLock.Fill leader = (CacheLock.Fill) slowOrigin.acquire("k");
        CacheLock.Wait w = (CacheLock.Wait) slowOrigin.acquire("k");
        // six wait-timeouts later it still waits: the origin has not answered the leader yet
        assertThrows(TimeoutException.class, () -> w.outcome().get(300, TimeUnit.MILLISECONDS));
        leader.release(CacheLock.Outcome.STORED);
        assertEquals(CacheLock.Outcome.STORED, w.outcome().get());
    }

    @Test
    void fromTheLeadersHeadAFollowerWaitsTheWaitTimeoutForTheFill() {
        CacheLock.Fill leader = (CacheLock.Fill) slowOrigin.acquire("k");
        CacheLock.Wait early = (CacheLock.Wait) slowOrigin.acquire("k");
        leader.headReceived();
        CacheLock.Wait late = (CacheLock.Wait) slowOrigin.acquire("k");
        assertTimesOut(early);
        assertTimesOut(late);
    }

    /** Times out on its own, well before the 10 s a leader may wait for its head. */
    private static void assertTimesOut(CacheLock.Wait w) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> w.outcome().get(5, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, e.getCause());
    }

    @Test
    void keysAreIndependent() {
        assertInstanceOf(CacheLock.Fill.class, lock.acquire("a"));
        assertInstanceOf(CacheLock.Fill.class, lock.acquire("b"));
        assertEquals(2, lock.inflight());
    }
}
