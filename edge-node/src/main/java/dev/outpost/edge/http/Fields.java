package dev.outpost.edge.http;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * A read-only view over HTTP header fields (RFC 9110 §5). Field names are compared
 * case-insensitively; the order of field lines is kept. The pure rules of this package
 * read headers only through this view, so they never depend on a server library.
 */
public interface Fields {

    /** Every field line value for {@code name}, in order; an empty list when absent. */
    List<String> all(String name);

    /** Calls {@code action} for every field line, in order, with the name as received. */
    void forEach(BiConsumer<String, String> action);

    /** The first field line value for {@code name}, or {@code null}. */
    default String first(String name) {
        List<String> values = all(name);
        return values.isEmpty() ? null : values.get(0);
    }

    default boolean has(String name) {
        return !all(name).isEmpty();
    }

    /** The combined field value (RFC 9110 §5.3): all lines joined with ", "; {@code null} when absent. */
    default String combined(String name) {
        List<String> values = all(name);
        return values.isEmpty() ? null : String.join(", ", values);
    }
}
