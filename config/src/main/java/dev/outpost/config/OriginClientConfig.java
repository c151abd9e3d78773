package dev.outpost.config;

import java.time.Duration;

/**
 * {@code origin-client}: how the edge talks to origins.
 *
 * @param connectTimeout          {@code connect-timeout}, default 2s, &gt; 0
 * @param firstByteTimeout        {@code first-byte-timeout}, default 30s, &gt; 0
 * @param idleTimeout             {@code idle-timeout}, default 60s, &gt; 0
 * @param maxConnectionsPerOrigin {@code max-connections-per-origin}, default 64, 1-65535
 * @param downHold                {@code down-hold}, default 5s, &ge; 0 (0: off): after a request to an origin
 *                                fails to connect or times out, stale responses that stale-if-error allows are
 *                                served without asking that origin again for this long
 */
public record OriginClientConfig(
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration idleTimeout,
        int maxConnectionsPerOrigin,
        Duration downHold) {
}
