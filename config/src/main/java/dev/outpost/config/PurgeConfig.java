package dev.outpost.config;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code purge}: where the edge catches up on purges it missed (docs/purge-protocol.md).
 *
 * @param apiUrl       {@code purge.api-url}: the purge-api to catch up from; empty = no catch-up (the edge is
 *                     ready at once and applies only what is pushed to it)
 * @param apiToken     {@code purge.api-token}: bearer token for the catch-up feed; required when
 *                     {@code api-url} is set, null otherwise
 * @param startupGrace {@code purge.startup-grace}: with a disk tier, how long an edge that cannot catch up at
 *                     start stays unready before it serves from memory only (the disk tier stays fenced until
 *                     the catch-up succeeds); empty = stay unready until caught up
 * @param pollInterval {@code purge.poll-interval}, default 30s: how often a running edge reads the feed to
 *                     notice a lost push; also the longest pause between retries of a failing catch-up
 */
public record PurgeConfig(Optional<URI> apiUrl, String apiToken, Optional<Duration> startupGrace,
        Duration pollInterval) {

    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(30);

    public PurgeConfig {
        apiUrl = Objects.requireNonNullElse(apiUrl, Optional.empty());
        startupGrace = Objects.requireNonNullElse(startupGrace, Optional.empty());
        pollInterval = Objects.requireNonNullElse(pollInterval, DEFAULT_POLL_INTERVAL);
    }

    /** No catch-up source: what an edge without a {@code purge} section gets. */
    public static PurgeConfig none() {
        return new PurgeConfig(Optional.empty(), null, Optional.empty(), DEFAULT_POLL_INTERVAL);
    }

    @Override
    public String toString() {
        return "PurgeConfig[apiUrl=" + apiUrl.map(URI::toString).orElse("none") + ", apiToken="
                + (apiToken == null ? "none" : "***") + ", startupGrace=" + startupGrace + ", pollInterval="
                + pollInterval + "]";
    }
}
