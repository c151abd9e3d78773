package dev.outpost.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in configuration files: a non-negative integer followed (with or without one
 * space) by a required unit: {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}. Examples:
 * {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}.
 */
public final class Durations {

    private static final Pattern SYNTAX = Pattern.compile("(\\d+) ?([A-Za-z]*)");
    private static final String UNIT_LIST = "ms, s, m, h or d";

    private Durations() {
    }

    /**
     * Parses a duration such as {@code 30s}.
     *
     * @throws IllegalArgumentException if the text is malformed, negative, lacks a unit or is too large
     */
    public static Duration parse(String text) {
        try {
            return parseOrExplain(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\": " + e.getMessage(), e);
        }
    }

    /** Like {@link #parse} but the exception message is only the reason, without the input. */
    static Duration parseOrExplain(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no value");
        }
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty value");
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("durations cannot be negative");
        }
        Matcher m = SYNTAX.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a whole number followed by " + UNIT_LIST);
        }
        String unit = m.group(2);
        if (unit.isEmpty()) {
            throw new IllegalArgumentException("a unit is required (" + UNIT_LIST + ")");
        }
        try {
            long n = Long.parseLong(m.group(1));
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException(
                        "unknown unit \"" + unit + "\" (use " + UNIT_LIST + ")");
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("too large");
        }
    }
}
