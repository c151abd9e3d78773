package dev.outpost.config;

import java.time.Duration;

/**
 * {@code limits}: what one REST request may ask of the purge-api. The upper bounds are the edge's own
 * ({@code POST /purge} on the admin port), so that a purge the purge-api accepts is never refused by an edge.
 *
 * @param maxBodySize    {@code max-body-size}, default 256KiB, 1KiB-1000KiB: larger request bodies get 413
 * @param maxValues      {@code max-values}, default 1000, 1-1000: values in one purge
 * @param maxValueLength {@code max-value-length}, default 8192, 1-8192: characters in one value
 * @param maxWait        {@code max-wait}, default 60s, &gt; 0: the longest {@code ?wait=} a request may ask for
 */
public record PurgeLimitsConfig(long maxBodySize, int maxValues, int maxValueLength, Duration maxWait) {

    /** The edge's limits, which these may not exceed (edge-node's PurgeEndpoint). */
    public static final long EDGE_MAX_BODY = ByteSize.MIB;
    public static final int EDGE_MAX_VALUES = 1000;
    public static final int EDGE_MAX_VALUE_LENGTH = 8192;
    /** Room kept under the edge's body limit for the {@code sequence} and {@code id} the purge-api adds. */
    static final long MAX_BODY = EDGE_MAX_BODY - 24 * ByteSize.KIB;

    public static final PurgeLimitsConfig DEFAULTS = new PurgeLimitsConfig(256 * ByteSize.KIB, EDGE_MAX_VALUES,
            EDGE_MAX_VALUE_LENGTH, Duration.ofSeconds(60));
}
