package dev.outpost.config;

import java.util.Objects;

/**
 * One thing wrong with a configuration file.
 *
 * @param path    where the problem is, as a dotted key path such as {@code cache.memory.max-size} or
 *                {@code origins[1].url}; {@code (document)} for problems with the file as a whole
 * @param message what is wrong, written for an operator
 */
public record ConfigProblem(String path, String message) {

    /** Path used for problems that concern the whole document (syntax errors, empty file, ...). */
    public static final String DOCUMENT = "(document)";

    public ConfigProblem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /** The problem as one report line: {@code config error: PATH: MESSAGE}. */
    public String render() {
        return "config error: " + path + ": " + message;
    }

    @Override
    public String toString() {
        return path + ": " + message;
    }
}
