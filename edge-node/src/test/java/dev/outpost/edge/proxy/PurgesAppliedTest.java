package dev.outpost.edge.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Reading {@code Outpost-Purges-Applied} (docs/purge-protocol.md, "Across tiers"): digits only, else 0. */
class PurgesAppliedTest {

    @Test
    void aSequenceIsDigitsAnythingElseCountsAsNone() {
        assertEquals(42, ProxyPipeline.purgeSequence("42"));
        assertEquals(999_999_999_999_999_999L, ProxyPipeline.purgeSequence("999999999999999999"));
        assertEquals(0, ProxyPipeline.purgeSequence(null));
        assertEquals(0, ProxyPipeline.purgeSequence(""));
        assertEquals(0, ProxyPipeline.purgeSequence("-1"));
        assertEquals(0, ProxyPipeline.purgeSequence("+1"));
        assertEquals(0, ProxyPipeline.purgeSequence(" 1"));
        assertEquals(0, ProxyPipeline.purgeSequence("1e3"));
        assertEquals(0, ProxyPipeline.purgeSequence("1000000000000000000"), "19 digits: not a sequence");
    }
}
