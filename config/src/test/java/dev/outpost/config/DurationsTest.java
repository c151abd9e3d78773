package dev.outpost.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @Test
    void parsesEveryUnit() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30 s"));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
    }

    @Test
    void requiresAUnit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("30"));
        assertEquals("invalid duration \"30\": a unit is required (ms, s, m, h or d)", e.getMessage());
    }

    @Test
    void rejectsNegative() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5s"));
        assertTrue(e.getMessage().contains("cannot be negative"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "1.5s", "5 min", "5S", "30sec", "1h30m", "PT30S", "abc", "5  s"})
    void rejectsMalformed(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().startsWith("invalid duration \"" + text + "\""), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775807d", "99999999999999999999s"})
    void rejectsOverflow(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }
}
