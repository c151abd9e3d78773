package dev.outpost.edge.http;

import java.util.List;

/**
 * Secondary cache keys, RFC 9111 §4.1. A stored response with {@code Vary} is selected only when
 * every listed request field matches the request that produced it, after normalisation: lines are
 * combined (RFC 9110 §5.3), whitespace around commas and at the ends is trimmed, runs of whitespace
 * are collapsed, and for fields whose values are case-insensitive lists of tokens
 * ({@code Accept-Encoding}, {@code Accept-Language}, {@code Accept}) members are lower-cased.
 * An absent field matches only an absent field. {@code Vary: *} never matches.
 */
public final class Vary {

    private Vary() {
    }

    /** The lower-case field names listed in all Vary lines, deduplicated, in order; ["*"] if any is "*". */
    public static List<String> fieldNames(Fields response) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public static boolean isStar(List<String> fieldNames) {
        return fieldNames.contains("*");
    }

    /** The normalised value of one request field for matching, or {@code null} when absent. */
    public static String normalisedValue(Fields request, String fieldName) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * A stable string that identifies the variant of {@code request} for the given Vary field names:
     * equal strings ⇔ all fields match. Unambiguous (an absent field differs from an empty one).
     * Empty string when {@code fieldNames} is empty.
     */
    public static String variantKey(Fields request, List<String> fieldNames) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
