package dev.outpost.config;

import java.net.URI;

/**
 * One element of {@code origins}.
 *
 * @param host the Host this route serves, lower-case, or {@code "*"} for the default route; unique
 * @param url  absolute http(s) URL of the origin; its path, if any, is a prefix; no query or fragment
 */
public record OriginConfig(String host, URI url) {

    /** The host of the default route. */
    public static final String DEFAULT_HOST = "*";

    public boolean isDefaultRoute() {
        return DEFAULT_HOST.equals(host);
    }
}
