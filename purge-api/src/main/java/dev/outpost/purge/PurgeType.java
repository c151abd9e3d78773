package dev.outpost.purge;

import java.util.Locale;

/** The purge verbs of ARCHITECTURE §4, as written on the wire ({@code "url"}, {@code "prefix"}, ...). */
public enum PurgeType {
    URL, PREFIX, TAG, ALL;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type named {@code wire}; throws IllegalArgumentException for any other text. */
    public static PurgeType fromWire(String wire) {
        for (PurgeType t : values()) {
            if (t.wire().equals(wire)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown purge type '" + wire + "'");
    }
}
