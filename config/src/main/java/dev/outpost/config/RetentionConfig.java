package dev.outpost.config;

import java.time.Duration;

/**
 * {@code log.retention}: how far back edges can catch up.
 *
 * @param maxEntries {@code max-entries}, default 1000000, &gt;= 1
 * @param maxAge     {@code max-age}, default 7d, &gt; 0
 */
public record RetentionConfig(long maxEntries, Duration maxAge) {
}
