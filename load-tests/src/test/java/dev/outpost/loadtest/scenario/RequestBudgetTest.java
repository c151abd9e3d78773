package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestBudgetTest {

    private final AtomicLong nanos = new AtomicLong(1_000);

    @Test
    void grantsExactlyTheRequestCount() {
        RequestBudget budget = new RequestBudget(3, Duration.ofMinutes(1), nanos::get);
        assertTrue(budget.take());
        assertTrue(budget.take());
        assertTrue(budget.take());
        assertFalse(budget.take());
        assertFalse(budget.take());
        assertEquals("3 of 3 requests sent", budget.describe());
    }

    @Test
    void stopsWhenTheTimeLimitHasPassedSinceTheFirstRequest() {
        RequestBudget budget = new RequestBudget(1000, Duration.ofSeconds(10), nanos::get);
        nanos.addAndGet(Duration.ofHours(1).toNanos()); // time before the first request does not count
        assertTrue(budget.take());
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertTrue(budget.take());
        nanos.addAndGet(1);
        assertFalse(budget.take());
        assertEquals("stopped by its time limit after 2 of 1000 requests", budget.describe());
    }
}
