package dev.outpost.purge.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    @Test
    void ceilingDoublesFromInitialUpToMax() {
        assertEquals(Duration.ofMillis(100), backoff.ceiling(1));
        assertEquals(Duration.ofMillis(200), backoff.ceiling(2));
        assertEquals(Duration.ofMillis(800), backoff.ceiling(4));
        assertEquals(Duration.ofSeconds(1), backoff.ceiling(5));
        assertEquals(Duration.ofSeconds(1), backoff.ceiling(1000), "no overflow for long outages");
    }

    @Test
    void fullJitterDrawsFromZeroToTheCeiling() {
        assertEquals(Duration.ZERO, backoff.delay(3, 0.0));
        assertEquals(Duration.ofMillis(200), backoff.delay(3, 0.5));
        assertEquals(Duration.ofNanos(399_999_600), backoff.delay(3, 0.999999));
        assertEquals(Duration.ofMillis(250), backoff.delay(50, 0.25));
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> backoff.delay(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> backoff.delay(1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    }

    @Test
    void statusesAreClassifiedAsTheProtocolSays() {
        assertEquals(EdgeAnswer.Kind.APPLIED, EdgeAnswer.classify(200));
        assertEquals(EdgeAnswer.Kind.APPLIED, EdgeAnswer.classify(204));
        for (int retryable : new int[] {408, 429, 500, 502, 503, 504}) {
            assertEquals(EdgeAnswer.Kind.RETRYABLE, EdgeAnswer.classify(retryable), Integer.toString(retryable));
        }
        for (int permanent : new int[] {301, 400, 401, 403, 404, 413, 415}) {
            assertEquals(EdgeAnswer.Kind.PERMANENT, EdgeAnswer.classify(permanent), Integer.toString(permanent));
        }
    }
}
