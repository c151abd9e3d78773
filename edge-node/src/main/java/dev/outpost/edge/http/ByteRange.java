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
     */
    public static ByteRange parse(String rangeHeader, long representationLength) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The Content-Range value for a 206, e.g. {@code bytes 0-99/1000}. */
    public String contentRange(long representationLength) {
        return "bytes " + first + "-" + last + "/" + representationLength;
    }
}
