package dev.outpost.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "4096, 4096",
        "12B, 12",
        "1KiB, 1024",
        "256MiB, 268435456",
        "256 MiB, 268435456",
        "2GiB, 2147483648",
        "1TiB, 1099511627776",
        "1KB, 1000",
        "5MB, 5000000",
        "3GB, 3000000000",
        "2TB, 2000000000000",
        "' 8KiB ', 8192",
    })
    void parsesValidSizes(String text, long expected) {
        assertEquals(expected, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "abc", "MiB", "1.5GiB", "256mib", "256 kb", "256k", "256  MiB", "1 2MiB",
        "256MiB!", "0x10"})
    void rejectsMalformedSizes(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().startsWith("invalid size \"" + text + "\""), e.getMessage());
    }

    @Test
    void rejectsNegativeSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("-5MiB"));
        assertEquals("invalid size \"-5MiB\": sizes cannot be negative", e.getMessage());
    }

    @Test
    void unknownUnitMessageListsTheUnits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("5mib"));
        assertTrue(e.getMessage().contains("unknown unit \"mib\""), e.getMessage());
        assertTrue(e.getMessage().contains("MiB"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775808", "99999999999999999999999", "8388608TiB", "9300000TB"})
    void rejectsOverflow(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }

    @Test
    void largestValueStillParses() {
        assertEquals(Long.MAX_VALUE, ByteSize.parse("9223372036854775807"));
        assertEquals(8388607 * ByteSize.TIB, ByteSize.parse("8388607TiB"));
    }

    @Test
    void formatsExactBinaryUnitsSoTheyParseBack() {
        assertEquals("0B", ByteSize.format(0));
        assertEquals("1000B", ByteSize.format(1000));
        assertEquals("8KiB", ByteSize.format(8192));
        assertEquals("256MiB", ByteSize.format(256 * ByteSize.MIB));
        assertEquals("1GiB", ByteSize.format(ByteSize.GIB));
        assertEquals("3TiB", ByteSize.format(3 * ByteSize.TIB));
        for (long v : new long[] {0, 1, 1023, 1024, 8 * ByteSize.MIB, 5 * ByteSize.TIB}) {
            assertEquals(v, ByteSize.parse(ByteSize.format(v)));
        }
    }

    @Test
    void formatsInexactValuesWithOneDecimal() {
        assertEquals("1536MiB", ByteSize.format(ByteSize.GIB + ByteSize.GIB / 2)); // exact wins
        assertEquals("1.5GiB", ByteSize.format(ByteSize.GIB + ByteSize.GIB / 2 + 1));
        assertEquals("1.0KiB", ByteSize.format(1025));
    }

    @Test
    void formatRejectsNegative() {
        assertThrows(IllegalArgumentException.class, () -> ByteSize.format(-1));
    }
}
