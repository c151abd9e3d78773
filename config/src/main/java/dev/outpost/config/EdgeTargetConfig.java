package dev.outpost.config;

import java.net.URI;

/**
 * One element of {@code edges} in the purge-api config. {@link #toString()} does not show the token.
 *
 * @param id       {@code id}, required, a name like {@code edge-eu-1}; unique
 * @param region   {@code region}, default {@code "default"}
 * @param adminUrl {@code admin-url}, required: the edge's admin listener, absolute http(s)
 * @param token    {@code token}, required: the edge's {@code admin.token}
 */
public record EdgeTargetConfig(String id, String region, URI adminUrl, String token) {

    @Override
    public String toString() {
        return "EdgeTargetConfig[id=" + id + ", region=" + region + ", adminUrl=" + adminUrl + ", token=***]";
    }
}
