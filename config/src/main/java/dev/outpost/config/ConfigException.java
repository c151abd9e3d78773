package dev.outpost.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when a configuration is invalid. Carries every problem found, not only the first one.
 * Its message is {@link #report()}: one {@code config error: PATH: MESSAGE} line per problem.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(render(problems), null, false, false); // an operator error: no stack trace needed
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in the order the loader found them. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    /** One line per problem, e.g. {@code config error: server.port: expected an integer 0-65535, got "abc"}. */
    public String report() {
        return getMessage();
    }

    private static String render(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::render).collect(Collectors.joining("\n"));
    }
}
