package dev.outpost.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;

/** Test helpers: collect the problems of a config and assert on them. */
final class Problems {

    static final String MINIMAL_EDGE = """
            node: {id: edge-1}
            server: {port: 8080}
            admin: {port: 9080}
            origins:
              - {host: "*", url: "http://127.0.0.1:8000"}
            """;

    private Problems() {
    }

    static List<ConfigProblem> ofEdge(String yaml) {
        return ofEdge(yaml, Map.of());
    }

    static List<ConfigProblem> ofEdge(String yaml, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parseEdge(yaml, env)).problems();
    }

    static List<ConfigProblem> ofPurgeApi(String yaml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parsePurgeApi(yaml, Map.of())).problems();
    }

    /** Asserts a problem at exactly {@code path} whose message contains {@code text}. */
    static void assertHas(List<ConfigProblem> problems, String path, String text) {
        for (ConfigProblem p : problems) {
            if (p.path().equals(path) && p.message().contains(text)) {
                return;
            }
        }
        fail("no problem at " + path + " containing \"" + text + "\" in:\n" + render(problems));
    }

    static void assertOnly(List<ConfigProblem> problems, String path, String text) {
        assertTrue(problems.size() == 1, "expected exactly one problem, got:\n" + render(problems));
        assertHas(problems, path, text);
    }

    static String render(List<ConfigProblem> problems) {
        return new ConfigException(problems).report();
    }
}
