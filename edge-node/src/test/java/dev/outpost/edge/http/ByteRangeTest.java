package dev.outpost.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteRangeTest {

    @Test
    void rfc9110_14_1_2_firstAndLast() {
        ByteRange r = ByteRange.parse("bytes=0-99", 1000);
        assertEquals(new ByteRange(0, 99), r);
        assertEquals(100, r.length());
        assertEquals("bytes 0-99/1000", r.contentRange(1000));
        assertEquals(new ByteRange(999, 999), ByteRange.parse("bytes=999-999", 1000));
    }

    @Test
    void rfc9110_14_1_2_openEnded() {
        assertEquals(new ByteRange(100, 999), ByteRange.parse("bytes=100-", 1000));
    }

    @Test
    void rfc9110_14_1_2_suffix() {
        assertEquals(new ByteRange(900, 999), ByteRange.parse("bytes=-100", 1000));
        assertEquals(new ByteRange(0, 999), ByteRange.parse("bytes=-5000", 1000), "suffix longer than length");
    }

    @Test
    void rfc9110_14_1_2_lastClampedToLength() {
        assertEquals(new ByteRange(500, 999), ByteRange.parse("bytes=500-5000", 1000));
        assertEquals(new ByteRange(0, 999), ByteRange.parse("bytes=0-99999999999999999999999", 1000));
    }

    @Test
    void rfc9110_14_1_unitAndWhitespaceTolerance() {
        assertEquals(new ByteRange(0, 9), ByteRange.parse("Bytes=0-9", 1000));
        assertEquals(new ByteRange(0, 9), ByteRange.parse(" bytes= 0-9 ", 1000));
    }

    @Test
    void rfc9110_14_1_1_unsatisfiable() {
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=1000-", 1000));
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=1000-2000", 1000));
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=-0", 1000));
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=99999999999999999999-", 1000));
    }

    @Test
    void rfc9110_14_2_multipleRangesAreIgnored() {
        assertEquals(ByteRange.IGNORE, ByteRange.parse("bytes=0-1,5-6", 1000));
        assertEquals(ByteRange.IGNORE, ByteRange.parse("bytes=0-1, -5", 1000));
        assertEquals(ByteRange.IGNORE, ByteRange.parse("bytes=0-1,", 1000));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-1", "bytes=1-2-3", "bytes=--1",
            "items=0-9", "bytes 0-9", "bytes=+1-2", "bytes=0x1-2", "bytes=1 -2", "bytes=-1-", "=0-9"})
    void rfc9110_14_2_badSyntaxOrOtherUnitIsIgnored(String header) {
        assertEquals(ByteRange.IGNORE, ByteRange.parse(header, 1000));
    }

    @Test
    void rfc9110_14_2_emptyRepresentationIgnoresRange() {
        assertEquals(ByteRange.IGNORE, ByteRange.parse("bytes=0-9", 0));
        assertEquals(ByteRange.IGNORE, ByteRange.parse("bytes=-9", 0));
    }
}
