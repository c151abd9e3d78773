package dev.outpost.edge.http;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

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
        Set<String> names = new LinkedHashSet<>();
        for (String line : response.all("Vary")) {
            if (line == null) {
                continue;
            }
            for (String part : line.split(",", -1)) {
                String name = part.strip().toLowerCase(Locale.ROOT);
                if (name.equals("*")) {
                    return List.of("*");
                }
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        return names.isEmpty() ? List.of() : List.copyOf(names);
    }

    /** Fields whose values are case-insensitive lists of tokens: members are lower-cased. */
    static final Set<String> CASE_INSENSITIVE = Set.of("accept-encoding", "accept-language", "accept");

    public static boolean isStar(List<String> fieldNames) {
        return fieldNames.contains("*");
    }

    /** The normalised value of one request field for matching, or {@code null} when absent. */
    public static String normalisedValue(Fields request, String fieldName) {
        List<String> lines = request.all(fieldName);
        if (lines.isEmpty()) {
            return null;
        }
        String combined = String.join(",", lines);
        StringBuilder sb = new StringBuilder(combined.length());
        boolean pendingSpace = false;
        for (int i = 0; i < combined.length(); i++) {
            char c = combined.charAt(i);
            if (c == ' ' || c == '\t') {
                pendingSpace = true;
            } else if (c == ',') {
                // drop whitespace before a comma
                sb.append(',');
                pendingSpace = false;
                // and after it
                while (i + 1 < combined.length()
                        && (combined.charAt(i + 1) == ' ' || combined.charAt(i + 1) == '\t')) {
                    i++;
                }
            } else {
                if (pendingSpace && sb.length() > 0 && sb.charAt(sb.length() - 1) != ',') {
                    sb.append(' ');
                }
                pendingSpace = false;
                sb.append(c);
            }
        }
        String value = sb.toString();
        if (CASE_INSENSITIVE.contains(fieldName.toLowerCase(Locale.ROOT))) {
            value = value.toLowerCase(Locale.ROOT);
        }
        return value;
    }

    /**
     * A stable string that identifies the variant of {@code request} for the given Vary field names:
     * equal strings ⇔ all fields match. Unambiguous (an absent field differs from an empty one).
     * Empty string when {@code fieldNames} is empty.
     */
    public static String variantKey(Fields request, List<String> fieldNames) {
        if (fieldNames.isEmpty()) {
            return "";
        }
        // name ':' ('-' | '=' value), entries separated by '\n'; '\\', '\n' and ':' escaped in names
        // and '\\' and '\n' in values, so the encoding is injective.
        StringBuilder sb = new StringBuilder();
        for (String name : fieldNames) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            escape(name.toLowerCase(Locale.ROOT), sb, true);
            sb.append(':');
            String value = normalisedValue(request, name);
            if (value == null) {
                sb.append('-');
            } else {
                sb.append('=');
                escape(value, sb, false);
            }
        }
        return sb.toString();
    }

    private static void escape(String s, StringBuilder sb, boolean colon) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case ':' -> sb.append(colon ? "\\:" : ":");
                default -> sb.append(c);
            }
        }
    }
}
