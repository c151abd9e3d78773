package dev.outpost.config;

import java.time.Duration;

/**
 * {@code log.retention}: how far back edges can catch up.
 *
 * @param maxEntries    {@code max-entries}, default 1000000, &gt;= 1
 * @param maxAge        {@code max-age}, default 7d, &gt; 0
 * @param checkInterval {@code check-interval}, default 1m, &gt; 0: how often entries beyond either limit are dropped
 */
public record RetentionConfig(long maxEntries, Duration maxAge, Duration checkInterval) {

    public RetentionConfig(long maxEntries, Duration maxAge) {
        this(maxEntries, maxAge, Duration.ofMinutes(1));
    }
}
