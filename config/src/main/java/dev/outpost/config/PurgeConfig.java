package dev.outpost.config;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code purge}.
 *
 * @param apiUrl {@code purge.api-url}: the purge-api to catch up from; empty = no catch-up
 */
public record PurgeConfig(Optional<URI> apiUrl) {

    public PurgeConfig {
        apiUrl = Objects.requireNonNullElse(apiUrl, Optional.empty());
    }
}
