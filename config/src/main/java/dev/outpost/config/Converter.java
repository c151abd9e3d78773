package dev.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Turns one scalar YAML node (already {@code ${VAR}}-substituted) into a typed value.
 *
 * @param expected what a valid value looks like, for messages: "expected {expected}, got ..."
 * @param convert  the conversion; throws {@link BadValue} when the node is not a valid
 *                 {@code expected}, or {@link Rejected} when it is but is unusable for another reason
 */
record Converter<T>(String expected, Function<JsonNode, T> convert) {

    /** A value that does not convert. The message, if any, is a detail appended in parentheses. */
    static final class BadValue extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadValue(String detail) {
            super(detail, null, false, false);
        }
    }

    /** A value of the right type that is still unusable; the message is reported as it is. */
    static final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message, null, false, false);
        }
    }

    /** This converter, additionally rejecting values that fail {@code check} with {@code detail}. */
    Converter<T> check(Predicate<T> check, String detail) {
        return new Converter<>(expected, node -> {
            T value = convert.apply(node);
            if (!check.test(value)) {
                throw new BadValue(detail);
            }
            return value;
        });
    }

    /** This converter followed by {@code then}, under a new description. */
    <R> Converter<R> map(String newExpected, Function<T, R> then) {
        return new Converter<>(newExpected, node -> then.apply(convert.apply(node)));
    }
}
