package dev.outpost.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * {@code auth}.
 *
 * @param tokens {@code auth.tokens}: at least one; names and tokens unique
 */
public record AuthConfig(List<ApiToken> tokens) {

    public AuthConfig {
        tokens = List.copyOf(tokens);
    }

    /** The token entry whose secret equals {@code presented}, compared in constant time per entry. */
    public Optional<ApiToken> find(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        ApiToken match = null;
        for (ApiToken t : tokens) {
            if (MessageDigest.isEqual(
                    t.token().getBytes(StandardCharsets.UTF_8),
                    presented.getBytes(StandardCharsets.UTF_8))) {
                match = t;
            }
        }
        return Optional.ofNullable(match);
    }
}
