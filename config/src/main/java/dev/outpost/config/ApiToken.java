package dev.outpost.config;

/**
 * One element of {@code auth.tokens}. {@link #toString()} does not show the secret.
 *
 * @param name  {@code name}: who uses the token (appears in logs), a name like {@code ci-deploy}
 * @param token {@code token}: the bearer secret, non-empty
 */
public record ApiToken(String name, String token) {

    @Override
    public String toString() {
        return "ApiToken[name=" + name + ", token=***]";
    }
}
