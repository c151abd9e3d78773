package dev.outpost.config;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * {@code fanout}: how the purge-api pushes each purge to each edge (docs/purge-protocol.md).
 *
 * @param timeout        {@code timeout}, default 2s, &gt; 0: one push ({@code POST /purge}) or probe
 *                       ({@code GET /purge/state}) may take at most this long, connecting included
 * @param maxAttempts    {@code max-attempts}, default 10: attempts of one purge on one edge before it is marked
 *                       {@code failed} for that edge (the edge then catches up from the log); an integer 1-1000000
 *                       or {@code unbounded} (empty)
 * @param initialBackoff {@code initial-backoff}, default 100ms, &gt; 0: the wait before the first retry is drawn
 *                       from 0 to this (full jitter), doubling each retry
 * @param maxBackoff     {@code max-backoff}, default 30s, &gt;= {@code initial-backoff}: the cap of that range
 * @param probeInterval  {@code probe-interval}, default 5s, &gt; 0: how often each edge's {@code GET /purge/state}
 *                       is read (health, last applied sequence), and how often an edge marked down is retried
 */
public record FanoutConfig(Duration timeout, OptionalInt maxAttempts, Duration initialBackoff, Duration maxBackoff,
        Duration probeInterval) {

    public static final FanoutConfig DEFAULTS = new FanoutConfig(Duration.ofSeconds(2), OptionalInt.of(10),
            Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(5));

    public FanoutConfig {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(maxAttempts, "maxAttempts");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(probeInterval, "probeInterval");
    }
}
