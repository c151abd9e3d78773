package dev.outpost.config;

/**
 * {@code admin}: the listener for metrics, health and purge.
 *
 * @param host  {@code admin.host}, default {@code 127.0.0.1}
 * @param port  {@code admin.port}, required, 0-65535, must differ from {@code server.port} unless 0
 * @param token {@code admin.token}, optional: null disables the admin endpoints that need a token
 */
public record AdminConfig(String host, int port, String token) {

    /** Whether a token is configured (endpoints that need one are enabled). */
    public boolean hasToken() {
        return token != null;
    }

    @Override
    public String toString() {
        return "AdminConfig[host=" + host + ", port=" + port + ", token=" + (token == null ? "none" : "***") + "]";
    }
}
