package dev.outpost.config;

/**
 * {@code server} of the purge-api.
 *
 * @param host {@code server.host}, default {@code 0.0.0.0}
 * @param port {@code server.port}, required, 0-65535 (0 = ephemeral, for tests)
 */
public record PurgeServerConfig(String host, int port) {
}
