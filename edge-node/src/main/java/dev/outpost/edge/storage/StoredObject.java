package dev.outpost.edge.storage;

import dev.outpost.edge.cache.CacheEntry;

/** One stored variant as found by a lookup: its metadata, its body, and which tier served it. */
public record StoredObject(CacheEntry entry, StoredBody body, Tier tier) {

    public enum Tier {
        MEMORY("memory"), DISK("disk"),
        /** A fill in progress, read along as it streams in ({@link ObjectWriter#growingBody}, or a heap copy). */
        FILL("fill");

        private final String label;

        Tier(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
