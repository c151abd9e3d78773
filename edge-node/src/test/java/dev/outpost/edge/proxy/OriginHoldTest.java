package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.MutableClock;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** RFC 5861 §4 stale-if-error without asking an origin that failed moments ago. */
class OriginHoldTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final Origin site = Origin.of("site.example", URI.create("http://127.0.0.1:8000"));
    private final Origin other = Origin.of("other.example", URI.create("http://127.0.0.1:8001"));

    @Test
    void aFailureHoldsThatOriginForTheHoldThenItIsAskedAgain() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        assertFalse(hold.isHeld(site));
        hold.outcome(site, OriginHold.NO_ANSWER);
        assertTrue(hold.isHeld(site));
        assertFalse(hold.isHeld(other), "routes are held one by one");
        assertEquals(1, hold.held());
        clock.advance(Duration.ofMillis(4_999));
        assertTrue(hold.isHeld(site));
        clock.advance(Duration.ofMillis(1));
        assertFalse(hold.isHeld(site), "after the hold the next request asks the origin again");
        assertEquals(0, hold.held());
    }

    @Test
    void aFurtherFailureHoldsFromItsOwnTime() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        hold.outcome(site, OriginHold.NO_ANSWER);
        clock.advance(Duration.ofSeconds(6));
        hold.outcome(site, OriginHold.NO_ANSWER); // the probe after the hold failed too
        clock.advance(Duration.ofSeconds(4));
        assertTrue(hold.isHeld(site));
    }

    @Test
    void anAnswerReleasesTheOriginAtOnce() {
        OriginHold hold = new OriginHold(clock, Duration.ofSeconds(5));
        hold.outcome(site, OriginHold.NO_ANSWER);
        hold.outcome(other, 503);
        hold.outcome(site, 304);
        assertFalse(hold.isHeld(site));
        assertTrue(hold.isHeld(other));
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
        hold.outcome(other, 500);
        assertFalse(hold.isHeld(other), "a 500 is one resource's error, not the origin's");
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
