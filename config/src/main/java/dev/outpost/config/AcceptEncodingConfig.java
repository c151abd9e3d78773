package dev.outpost.config;

import java.util.List;

/**
 * {@code cache.accept-encoding}: Accept-Encoding normalisation.
 *
 * @param normalise {@code normalise}, default true: each request's Accept-Encoding is replaced by the
 *                  {@code codings} it accepts (or {@code identity}) before the cache matches it against
 *                  {@code Vary} and before it is forwarded, so spellings of one preference share a variant
 * @param codings   {@code codings}, lower-case content-coding names in the order the normalised field lists
 *                  them, default {@code [br, gzip, zstd]}; not empty, no duplicates, not {@code identity} or
 *                  {@code *}
 */
public record AcceptEncodingConfig(boolean normalise, List<String> codings) {

    public static final List<String> DEFAULT_CODINGS = List.of("br", "gzip", "zstd");

    public static final AcceptEncodingConfig DEFAULT = new AcceptEncodingConfig(true, DEFAULT_CODINGS);

    public AcceptEncodingConfig {
        codings = List.copyOf(codings);
    }
}
