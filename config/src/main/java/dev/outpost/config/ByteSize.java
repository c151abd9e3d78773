package dev.outpost.config;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as written in configuration files: a non-negative integer, optionally followed (with or
 * without one space) by a case-sensitive unit. {@code B}, {@code KiB}, {@code MiB}, {@code GiB},
 * {@code TiB} are 1024-based; {@code KB}, {@code MB}, {@code GB}, {@code TB} are 1000-based. A bare
 * number is a count of bytes. Fractions ({@code 1.5GiB}) are not accepted.
 */
public final class ByteSize {

    public static final long KIB = 1024L;
    public static final long MIB = KIB * 1024;
    public static final long GIB = MIB * 1024;
    public static final long TIB = GIB * 1024;

    private static final Pattern SYNTAX = Pattern.compile("(\\d+) ?([A-Za-z]+)?");
    private static final Map<String, Long> UNITS = Map.of(
            "B", 1L,
            "KiB", KIB, "MiB", MIB, "GiB", GIB, "TiB", TIB,
            "KB", 1000L, "MB", 1000_000L, "GB", 1000_000_000L, "TB", 1000_000_000_000L);
    private static final String UNIT_LIST = "B, KiB, MiB, GiB, TiB, KB, MB, GB, TB";

    private ByteSize() {
    }

    /**
     * Parses a size such as {@code 256MiB}, {@code 256 MiB}, {@code 10GB} or {@code 4096}.
     *
     * @return the size in bytes
     * @throws IllegalArgumentException if the text is malformed, negative, has an unknown unit or does not fit a long
     */
    public static long parse(String text) {
        try {
            return parseOrExplain(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid size \"" + text + "\": " + e.getMessage(), e);
        }
    }

    /** Like {@link #parse} but the exception message is only the reason, without the input. */
    static long parseOrExplain(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no value");
        }
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty value");
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("sizes cannot be negative");
        }
        Matcher m = SYNTAX.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a whole number followed by one of " + UNIT_LIST);
        }
        String unitName = m.group(2) == null ? "B" : m.group(2);
        Long unit = UNITS.get(unitName);
        if (unit == null) {
            throw new IllegalArgumentException(
                    "unknown unit \"" + unitName + "\" (units are case-sensitive: " + UNIT_LIST + ")");
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("too large (the maximum is " + Long.MAX_VALUE + " bytes)");
        }
    }

    /**
     * Formats a size for people: exact and parseable when it is a whole number of a binary unit
     * ({@code 256MiB}, {@code 1000B}), otherwise rounded to one decimal ({@code 1.5GiB}).
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public static String format(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("sizes cannot be negative: " + bytes);
        }
        long[] units = {TIB, GIB, MIB, KIB};
        String[] names = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            if (bytes >= units[i] && bytes % units[i] == 0) {
                return bytes / units[i] + names[i];
            }
        }
        for (int i = 0; i < units.length; i++) {
            if (bytes >= units[i]) {
                return String.format(Locale.ROOT, "%.1f%s", (double) bytes / units[i], names[i]);
            }
        }
        return bytes + "B";
    }
}
