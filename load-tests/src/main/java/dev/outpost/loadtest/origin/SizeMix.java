package dev.outpost.loadtest.origin;

import dev.outpost.config.ByteSize;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How large each synthetic object is: a weighted mix of size bands, written like
 * {@code 1KiB-8KiB:60,8KiB-64KiB:30,64KiB-512KiB:9,512KiB-4MiB:1} (a band without a weight weighs 1;
 * a band may be one size, {@code 16KiB}). The size of object {@code id} is a pure function of the id:
 * the origin, the load generator and a rerun all agree without sharing state. Within a band sizes are
 * log-uniform, so a 1 KiB-8 KiB band has as many objects under 3 KiB as over.
 */
public record SizeMix(List<Band> bands) {

    /** The default mix of the load origin: mostly small objects, a few large ones (mean about 60 KiB). */
    public static final String DEFAULT = "1KiB-8KiB:60,8KiB-64KiB:30,64KiB-512KiB:9,512KiB-4MiB:1";

    /** Sizes from {@code min} to {@code max} bytes inclusive, chosen with relative weight {@code weight}. */
    public record Band(long min, long max, int weight) {
        public Band {
            if (min < 0 || max < min) {
                throw new IllegalArgumentException("a size band needs 0 <= min <= max, got " + min + "-" + max);
            }
            if (weight <= 0) {
                throw new IllegalArgumentException("a size band's weight must be positive, got " + weight);
            }
        }
    }

    public SizeMix {
        if (bands.isEmpty()) {
            throw new IllegalArgumentException("a size mix needs at least one band");
        }
        bands = List.copyOf(bands);
    }

    /** Parses the form described above; the message of the exception names the bad part. */
    public static SizeMix parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty size mix (expected e.g. " + DEFAULT + ")");
        }
        List<Band> bands = new ArrayList<>();
        for (String part : spec.split(",")) {
            String band = part.strip();
            try {
                int colon = band.lastIndexOf(':');
                int weight = colon < 0 ? 1 : Integer.parseInt(band.substring(colon + 1).strip());
                String range = colon < 0 ? band : band.substring(0, colon).strip();
                int dash = range.indexOf('-');
                long min = ByteSize.parse(dash < 0 ? range : range.substring(0, dash));
                long max = dash < 0 ? min : ByteSize.parse(range.substring(dash + 1));
                bands.add(new Band(min, max, weight));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad size band \"" + band + "\" in \"" + spec + "\": "
                        + e.getMessage() + " (expected MIN-MAX:WEIGHT, e.g. 1KiB-8KiB:60)", e);
            }
        }
        return new SizeMix(bands);
    }

    /** The size of object {@code id}: the same on every call, for every process. */
    public long sizeOf(long id) {
        SplittableRandom random = new SplittableRandom(id * 0x9E3779B97F4A7C15L + 0x5DEECE66DL);
        int total = 0;
        for (Band b : bands) {
            total += b.weight();
        }
        int pick = random.nextInt(total);
        Band band = bands.get(bands.size() - 1);
        for (Band b : bands) {
            if (pick < b.weight()) {
                band = b;
                break;
            }
            pick -= b.weight();
        }
        if (band.min() == band.max()) {
            return band.min();
        }
        double low = Math.log(Math.max(1, band.min()));
        double high = Math.log(band.max() + 1.0);
        long size = (long) Math.exp(low + random.nextDouble() * (high - low));
        return Math.max(band.min(), Math.min(band.max(), size));
    }

    /** Total bytes of objects {@code 0 .. objects-1}. */
    public long totalBytes(long objects) {
        long total = 0;
        for (long id = 0; id < objects; id++) {
            total += sizeOf(id);
        }
        return total;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Band b : bands) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(ByteSize.format(b.min()));
            if (b.max() != b.min()) {
                sb.append('-').append(ByteSize.format(b.max()));
            }
            sb.append(':').append(b.weight());
        }
        return sb.toString();
    }
}
