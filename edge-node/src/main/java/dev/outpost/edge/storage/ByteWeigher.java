package dev.outpost.edge.storage;

/**
 * Caffeine weighs entries with an {@code int}; stored objects can be larger than 2 GiB. A tier weighs in
 * units of {@link #unit()} bytes, chosen from its largest object so that an entry holding a few of them
 * still fits an int: exactly one byte per unit while objects are at most 1 GiB (the accounting is then
 * exact), a few bytes per unit above that (each entry is rounded up by less than one unit, so the bound
 * is never exceeded).
 */
public record ByteWeigher(long unit) {

    private static final long EXACT_UP_TO = 1L << 30;

    public ByteWeigher {
        if (unit < 1) {
            throw new IllegalArgumentException("unit must be at least one byte: " + unit);
        }
    }

    /** The weigher for a tier whose objects are at most {@code maxObjectSize} bytes. */
    public static ByteWeigher forMaxObjectSize(long maxObjectSize) {
        return new ByteWeigher(Math.max(1, ceilDiv(maxObjectSize, EXACT_UP_TO)));
    }

    /** The weight of {@code bytes}, rounded up to whole units, capped at {@link Integer#MAX_VALUE}. */
    public int weigh(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE, ceilDiv(Math.max(0, bytes), unit));
    }

    /** Caffeine's maximum weight for a tier of {@code maxBytes}. */
    public long maximumWeight(long maxBytes) {
        return maxBytes / unit;
    }

    /** The bytes a total weight stands for. */
    public long bytes(long weight) {
        return Math.multiplyHigh(weight, unit) != 0 ? Long.MAX_VALUE : weight * unit;
    }

    private static long ceilDiv(long x, long y) {
        return -Math.floorDiv(-x, y); // Math.ceilDiv is Java 18
    }
}
