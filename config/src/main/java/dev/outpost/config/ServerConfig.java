package dev.outpost.config;

import java.time.Duration;

/**
 * {@code server}: the listener for client traffic.
 *
 * @param host                  {@code server.host}, default {@code 0.0.0.0}
 * @param port                  {@code server.port}, required, 0-65535 (0 = ephemeral, for tests)
 * @param maxInitialLineLength  {@code server.max-initial-line-length}, bytes, default 8KiB, 1KiB-64KiB
 * @param maxHeaderSize         {@code server.max-header-size}, bytes, default 8KiB, 1KiB-64KiB
 * @param requestHeadTimeout    {@code server.request-head-timeout}, default 10s, &gt; 0
 * @param idleTimeout           {@code server.idle-timeout}, default 60s, &gt; 0
 * @param shutdownTimeout       {@code server.shutdown-timeout}, default 30s (0 = stop at once)
 * @param outermost             {@code server.outermost}, default true: this node strips CDN-only headers before
 *                              responding
 * @param fastMemoryHits        {@code server.fast-memory-hits}, default true: a fresh hit in the memory tier for a
 *                              plain GET or HEAD is answered on the connection before the HTTP framework builds its
 *                              request objects; the response is the same, only cheaper. false sends every request
 *                              through the full request lifecycle (a switch for operators, and for benchmarks)
 */
public record ServerConfig(
        String host,
        int port,
        long maxInitialLineLength,
        long maxHeaderSize,
        Duration requestHeadTimeout,
        Duration idleTimeout,
        Duration shutdownTimeout,
        boolean outermost,
        boolean fastMemoryHits) {
}
