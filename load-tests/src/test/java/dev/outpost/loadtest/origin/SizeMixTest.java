package dev.outpost.loadtest.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SizeMixTest {

    @Test
    void parsesBandsWithWeightsAndSingleSizes() {
        SizeMix mix = SizeMix.parse("1KiB-8KiB:60, 16KiB, 1MiB-4MiB:3");
        assertEquals(List.of(new SizeMix.Band(1024, 8192, 60), new SizeMix.Band(16384, 16384, 1),
                new SizeMix.Band(1 << 20, 4 << 20, 3)), mix.bands());
    }

    @Test
    void badSpecsNameTheBadBand() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SizeMix.parse("1KiB-8KiB:60,8KiB-2KiB:5"));
        assertTrue(e.getMessage().contains("\"8KiB-2KiB:5\""), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SizeMix.parse("1KiB-8KiB:0"))
                .getMessage().contains("weight"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SizeMix.parse("1kb-2kb"))
                .getMessage().contains("unknown unit"));
        assertThrows(IllegalArgumentException.class, () -> SizeMix.parse(" "));
        assertThrows(IllegalArgumentException.class, () -> SizeMix.parse("1KiB:x"));
    }

    @Test
    void sizeIsAPureFunctionOfTheIdWithinTheBands() {
        SizeMix mix = SizeMix.parse(SizeMix.DEFAULT);
        SizeMix again = SizeMix.parse(SizeMix.DEFAULT);
        for (long id = 0; id < 10_000; id++) {
            long size = mix.sizeOf(id);
            assertEquals(size, again.sizeOf(id));
            assertTrue(size >= 1024 && size <= 4 << 20, id + ": " + size);
        }
        assertEquals(16384, SizeMix.parse("16KiB").sizeOf(42));
    }

    @Test
    void bandsAreChosenInProportionToTheirWeights() {
        SizeMix mix = SizeMix.parse("1KiB-2KiB:90,1MiB-2MiB:10");
        int large = 0;
        for (long id = 0; id < 10_000; id++) {
            if (mix.sizeOf(id) >= 1 << 20) {
                large++;
            }
        }
        assertTrue(large > 850 && large < 1150, "large objects: " + large + " of 10000, expected about 1000");
    }

    @Test
    void sizesWithinABandAreLogUniform() {
        SizeMix mix = SizeMix.parse("1KiB-64KiB");
        int belowGeometricMiddle = 0; // 8 KiB: the middle of 1 KiB .. 64 KiB on a log scale
        for (long id = 0; id < 10_000; id++) {
            if (mix.sizeOf(id) < 8192) {
                belowGeometricMiddle++;
            }
        }
        assertTrue(belowGeometricMiddle > 4700 && belowGeometricMiddle < 5300, "below 8 KiB: " + belowGeometricMiddle);
    }

    @Test
    void totalBytesAddsTheSizes() {
        SizeMix mix = SizeMix.parse("1KiB-8KiB");
        assertEquals(mix.sizeOf(0) + mix.sizeOf(1) + mix.sizeOf(2), mix.totalBytes(3));
    }
}
