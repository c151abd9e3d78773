package dev.outpost.loadtest.scenario;

import dev.outpost.config.ByteSize;
import dev.outpost.config.Durations;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A scenario's knobs, read from {@code -Dload.NAME=VALUE} system properties (Maven passes them on to
 * the Gatling JVM), each with the scenario's default. Every value read is remembered, so the summary
 * can say exactly what ran. A malformed value stops the scenario before anything starts, naming the
 * property.
 */
final class LoadSettings {

    static final String PREFIX = "load.";

    private final Map<String, String> used = new LinkedHashMap<>();
    private final Function<String, String> source;

    LoadSettings() {
        this(System::getProperty);
    }

    LoadSettings(Function<String, String> source) {
        this.source = source;
    }

    int integer(String name, int dflt) {
        return read(name, String.valueOf(dflt), "a whole number", Integer::parseInt);
    }

    double decimal(String name, double dflt) {
        return read(name, String.valueOf(dflt), "a number", Double::parseDouble);
    }

    long bytes(String name, String dflt) {
        return read(name, dflt, "a size like 256MiB", ByteSize::parse);
    }

    Duration duration(String name, String dflt) {
        return read(name, dflt, "a duration like 30s", Durations::parse);
    }

    String text(String name, String dflt) {
        return read(name, dflt, "text", s -> s);
    }

    /** Every setting read so far, {@code load.NAME -> value}, in the order they were read. */
    Map<String, String> used() {
        return Collections.unmodifiableMap(used);
    }

    private <T> T read(String name, String dflt, String expected, Function<String, T> parse) {
        String key = PREFIX + name;
        String raw = source.apply(key);
        String value = raw == null ? dflt : raw.strip();
        try {
            T parsed = parse.apply(value);
            used.put(key, value);
            return parsed;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be " + expected + ", got \"" + value + "\"", e);
        }
    }
}
