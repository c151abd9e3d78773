package dev.outpost.edge.http;

/**
 * A single byte range, RFC 9110 §14.1.2 / §14.2, resolved against a known representation length.
 * Only single ranges are answered from cache; anything else (several ranges, another unit, syntax
 * errors) is {@link #IGNORE}: the full 200 is served instead, which §14.2 permits.
 */
public record ByteRange(long first, long last) {

    /** Marker: serve the whole representation (200). */
    public static final ByteRange IGNORE = new ByteRange(-1, -1);
    /** Marker: a syntactically valid single range that does not overlap the representation (416). */
    public static final ByteRange UNSATISFIABLE = new ByteRange(-2, -2);

    public long length() {
        return last - first + 1;
    }

    /**
     * {@code bytes=0-99}, {@code bytes=100-} and {@code bytes=-100} (suffix); last clamped to
     * length − 1. Returns {@link #IGNORE} or {@link #UNSATISFIABLE} markers as described above.
     * The unit is case-insensitive (§14.1); an absent (null) Range, a range with last-pos &lt; first-pos
     * (invalid, §14.1.1) and an empty representation (no byte can be addressed) are {@link #IGNORE}.
     * A first-pos at or beyond the length, or a zero suffix-length, is {@link #UNSATISFIABLE} (§14.1.1).
     */
    public static ByteRange parse(String rangeHeader, long representationLength) {
        if (rangeHeader == null || representationLength <= 0) {
            return IGNORE;
        }
        String v = rangeHeader.strip();
        int eq = v.indexOf('=');
        if (eq < 0 || !v.substring(0, eq).strip().equalsIgnoreCase("bytes")) {
            return IGNORE;
        }
        String spec = v.substring(eq + 1).strip();
        if (spec.indexOf(',') >= 0) {
            return IGNORE; // several ranges (or an empty list element): serve the full representation
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return IGNORE;
        }
        String firstText = spec.substring(0, dash);
        String lastText = spec.substring(dash + 1);
        if (firstText.isEmpty()) {
            long suffix = digits(lastText);
            if (suffix < 0) {
                return IGNORE;
            }
            if (suffix == 0) {
                return UNSATISFIABLE;
            }
            return new ByteRange(Math.max(0, representationLength - suffix), representationLength - 1);
        }
        long first = digits(firstText);
        if (first < 0) {
            return IGNORE;
        }
        long last;
        if (lastText.isEmpty()) {
            last = Long.MAX_VALUE;
        } else {
            last = digits(lastText);
            if (last < 0 || last < first) {
                return IGNORE;
            }
        }
        if (first >= representationLength) {
            return UNSATISFIABLE;
        }
        return new ByteRange(first, Math.min(last, representationLength - 1));
    }

    /** 1*DIGIT, saturating at Long.MAX_VALUE; -1 when not all digits or empty. */
    private static long digits(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            int d = c - '0';
            v = v > (Long.MAX_VALUE - d) / 10 ? Long.MAX_VALUE : v * 10 + d;
        }
        return v;
    }

    /** The Content-Range value for a 206, e.g. {@code bytes 0-99/1000}. */
    public String contentRange(long representationLength) {
        return "bytes " + first + "-" + last + "/" + representationLength;
    }
}
