package dev.outpost.config;

import java.time.Duration;

/**
 * {@code origin-client}: how the edge talks to origins.
 *
 * @param connectTimeout          {@code connect-timeout}, default 2s, &gt; 0
 * @param firstByteTimeout        {@code first-byte-timeout}, default 30s, &gt; 0
 * @param idleTimeout             {@code idle-timeout}, default 60s, &gt; 0
 * @param maxConnectionsPerOrigin {@code max-connections-per-origin}, default 64, 1-65535
 * @param downHold                {@code down-hold}, default 5s, &ge; 0 (0: off): after the edge's own request (a
 *                                miss, a validation) to an origin server gets no answer or a 502/503/504, stale
 *                                responses of that host that stale-if-error allows are served without asking that
 *                                server again for this long
 */
public record OriginClientConfig(
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration idleTimeout,
        int maxConnectionsPerOrigin,
        Duration downHold) {
}
