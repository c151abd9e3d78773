package dev.outpost.config;

import java.net.URI;
import java.util.List;

/**
 * One element of {@code origins}: a route from a Host to one origin server ({@code url}) or to several
 * interchangeable ones ({@code urls}, e.g. the pods of a shield tier).
 *
 * <p>With several servers, each request goes to one of them chosen by rendezvous hashing of its cache
 * key, so every node configured with the same list sends a given object to the same server (and that
 * server's cache and miss collapsing see all of its requests); when that server cannot be connected
 * to, the next server in the key's order is tried. The order of the list does not matter.
 *
 * @param host the Host this route serves, lower-case, or {@code "*"} for the default route; unique
 * @param urls absolute http(s) URLs of the origin's servers, at least one, distinct, all with the same
 *             path (a prefix for request paths); no query or fragment
 */
public record OriginConfig(String host, List<URI> urls) {

    /** The host of the default route. */
    public static final String DEFAULT_HOST = "*";

    public OriginConfig {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("an origin needs at least one URL");
        }
    }

    /** A route to a single server. */
    public OriginConfig(String host, URI url) {
        this(host, List.of(url));
    }

    /** The first (for {@code url:}, the only) server's URL. */
    public URI url() {
        return urls.get(0);
    }

    public boolean isDefaultRoute() {
        return DEFAULT_HOST.equals(host);
    }
}
