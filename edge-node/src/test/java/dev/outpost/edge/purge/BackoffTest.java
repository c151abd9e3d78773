package dev.outpost.edge.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Exponential backoff with "equal jitter" for catch-up retries (docs/purge-protocol.md). */
class BackoffTest {

    @Test
    void doublesUpToTheCapWithTheLowestJitter() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.0);
        assertEquals(50, b.next().toMillis(), "half of 100");
        assertEquals(100, b.next().toMillis(), "half of 200");
        assertEquals(200, b.next().toMillis(), "half of 400");
        assertEquals(400, b.next().toMillis(), "half of 800");
        assertEquals(500, b.next().toMillis(), "half of the cap");
        assertEquals(500, b.next().toMillis());
    }

    @Test
    void theHighestJitterReachesTheCeilingButNeverTheCapPlusOne() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.999999);
        assertEquals(99, b.next().toMillis());
        for (int i = 0; i < 100; i++) {
            assertTrue(b.next().toMillis() < 1000);
        }
    }

    @Test
    void resetStartsOverAndManyFailuresDoNotOverflow() {
        Backoff b = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30), () -> 0.5);
        for (int i = 0; i < 200; i++) {
            assertTrue(b.next().toMillis() <= 30_000);
        }
        b.reset();
        assertEquals(187, b.next().toMillis(), "125 + 0.5 * 125 after a reset");
        assertEquals(1, b.failures());
    }
}
