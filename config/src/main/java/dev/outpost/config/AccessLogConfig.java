package dev.outpost.config;

/**
 * {@code access-log}.
 *
 * @param enabled {@code access-log.enabled}: write a JSON access log, default false
 */
public record AccessLogConfig(boolean enabled) {
}
