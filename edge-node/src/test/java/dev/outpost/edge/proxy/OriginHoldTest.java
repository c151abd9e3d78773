package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** RFC 5861 §4 stale-if-error without asking an origin that failed moments ago: the bookkeeping. */
class OriginHoldTest {

    private static final Origin.Server SERVER = new Origin.Server("http", "127.0.0.1", 8000);
    private final MutableClock clock = MutableClock.startingNow();
    private final OriginHold.Target site = new OriginHold.Target(SERVER, "site.example");
    private final OriginHold.Target otherHost = new OriginHold.Target(SERVER, "other.example");
    private final OriginHold.Target otherServer =
            new OriginHold.Target(new Origin.Server("http", "127.0.0.1", 8001), "site.example");

    @Test
    void aFailureHoldsThatServerForThatHostForTheHold() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        assertFalse(hold.isHeld(site));
        hold.outcome(site, OriginHold.NO_ANSWER);
        assertTrue(hold.isHeld(site));
        assertFalse(hold.isHeld(otherHost), "another site behind the same server (a shield) is not held");
        assertFalse(hold.isHeld(otherServer), "another server of the route is not held");
        assertEquals(1, hold.held());
        clock.advance(Duration.ofMillis(4_999));
        assertTrue(hold.isHeld(site));
    }

    @Test
    void afterTheHoldExactlyOneRequestAsksAgain() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        hold.outcome(site, OriginHold.NO_ANSWER);
        clock.advance(Duration.ofSeconds(5));
        assertFalse(hold.isHeld(site), "the first request after the hold asks");
        assertTrue(hold.isHeld(site), "the others stay held while it is out");
        assertTrue(hold.isHeld(site));
        clock.advance(Duration.ofSeconds(5));
        assertFalse(hold.isHeld(site), "an ask that never reported (e.g. a hanging origin): one more after a hold");
        assertTrue(hold.isHeld(site));
    }

    /** A wall clock stepped back (NTP, a VM restored) does not lengthen a hold: it counts as over, one request asks. */
    @Test
    void aClockSteppedBackDoesNotLengthenAHold() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        hold.outcome(site, OriginHold.NO_ANSWER);
        clock.advance(Duration.ofHours(-1));
        assertEquals(0, hold.held());
        assertFalse(hold.isHeld(site), "the first request after the step asks (it would have waited an hour)");
        assertTrue(hold.isHeld(site), "the others stay held while it is out");
        clock.advance(Duration.ofSeconds(5));
        assertFalse(hold.isHeld(site), "a hold from the new time on");
    }

    /** With the targets full, holds a backward step left in the future make room like expired ones. */
    @Test
    void aFullSetOfTargetsMakesRoomForNewFailuresAfterAClockStep() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        for (int i = 0; i < OriginHold.MAX_TARGETS; i++) {
            hold.outcome(new OriginHold.Target(SERVER, "host" + i + ".example"), OriginHold.NO_ANSWER);
        }
        clock.advance(Duration.ofHours(-1));
        hold.outcome(site, OriginHold.NO_ANSWER);
        assertTrue(hold.isHeld(site), "held: the stale holds made room");
    }

    @Test
    void theAskersFailureHoldsAnewItsAnswerReleases() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        hold.outcome(site, OriginHold.NO_ANSWER);
        clock.advance(Duration.ofSeconds(6));
        assertFalse(hold.isHeld(site));
        clock.advance(Duration.ofSeconds(1));
        hold.outcome(site, 503); // the ask failed a second later
        clock.advance(Duration.ofSeconds(4));
        assertTrue(hold.isHeld(site), "held from the ask's failure");
        hold.outcome(site, 304);
        assertFalse(hold.isHeld(site));
        assertFalse(hold.isHeld(site), "released: every request asks");
        assertEquals(0, hold.held());
    }

    @Test
    void rfc9110_15_6_gatewayAndUnavailabilityStatusesHoldOtherStatusesRelease() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        for (int status : new int[] {502, 503, 504}) {
            hold.outcome(site, 200);
            hold.outcome(site, status);
            assertTrue(hold.isHeld(site), status + " holds");
        }
        for (int status : new int[] {200, 206, 304, 404, 500, 501}) {
            hold.outcome(site, 503);
            hold.outcome(site, status);
            assertFalse(hold.isHeld(site), status + " is an answer from an origin that is there: it releases");
        }
        hold.outcome(otherHost, 500);
        assertFalse(hold.isHeld(otherHost), "a 500 is one resource's error, not the origin's");
    }

    @Test
    void heldTargetsAreBoundedExpiredOnesMakeRoom() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        for (int i = 0; i < OriginHold.MAX_TARGETS; i++) {
            hold.outcome(new OriginHold.Target(SERVER, "h" + i + ".example"), OriginHold.NO_ANSWER);
        }
        hold.outcome(site, OriginHold.NO_ANSWER);
        assertFalse(hold.isHeld(site), "full: a flood of failing hosts is not held, so not kept");
        assertTrue(hold.isHeld(new OriginHold.Target(SERVER, "h0.example")));
        clock.advance(Duration.ofSeconds(5));
        hold.outcome(site, OriginHold.NO_ANSWER);
        assertTrue(hold.isHeld(site), "the expired ones made room");
        assertEquals(1, hold.held());
    }

    @Test
    void aZeroHoldNeverHolds() {
        OriginHold hold = new OriginHold(clock, Duration.ZERO);
        hold.outcome(site, OriginHold.NO_ANSWER);
        assertFalse(hold.isHeld(site));
        assertEquals(0, hold.held());
        assertThrows(IllegalArgumentException.class, () -> new OriginHold(clock, Duration.ofSeconds(-1)));
    }
}
