package dev.outpost.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadSettingsTest {

    @Test
    void readsPropertiesOrDefaultsAndRemembersWhatWasUsed() {
        Map<String, String> props = Map.of("load.users", "8", "load.max-duration", "90s", "load.edge-memory", " 64MiB ");
        LoadSettings s = new LoadSettings(props::get);
        assertEquals(8, s.integer("users", 32));
        assertEquals(1000, s.integer("requests", 1000));
        assertEquals(Duration.ofSeconds(90), s.duration("max-duration", "3m"));
        assertEquals(64L << 20, s.bytes("edge-memory", "1GiB"));
        assertEquals(0.99, s.decimal("zipf-exponent", 0.99));
        assertEquals(Map.of("load.users", "8", "load.requests", "1000", "load.max-duration", "90s",
                "load.edge-memory", "64MiB", "load.zipf-exponent", "0.99"), s.used());
    }

    @Test
    void malformedValuesNameTheProperty() {
        LoadSettings s = new LoadSettings(Map.of("load.users", "many", "load.max-duration", "soon")::get);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.integer("users", 1));
        assertTrue(e.getMessage().contains("load.users") && e.getMessage().contains("\"many\""), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.duration("max-duration", "1m"))
                .getMessage().contains("load.max-duration"));
    }
}
