package dev.outpost.config;

import static dev.outpost.config.Problems.assertOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole-file problems: missing, unreadable, empty, not YAML. */
class ConfigLoaderFileTest {

    @TempDir
    Path tmp;

    private static List<ConfigProblem> parseProblems(String yaml) {
        return Problems.ofEdge(yaml);
    }

    @Test
    void loadsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("edge.yaml"), Problems.MINIMAL_EDGE);
        assertEquals("edge-1", ConfigLoader.loadEdge(file).node().id());
    }

    @Test
    void missingFile() {
        Path file = tmp.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.loadEdge(file));
        assertOnly(e.problems(), file.toString(), "file not found");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.loadPurgeApi(file));
        assertOnly(e.problems(), file.toString(), "file not found");
    }

    @Test
    void directoryInsteadOfFile() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.loadEdge(tmp));
        assertOnly(e.problems(), tmp.toString(), "is a directory");
    }

    @Test
    void emptyDocument() {
        assertOnly(parseProblems(""), ConfigProblem.DOCUMENT, "the configuration is empty");
        assertOnly(parseProblems("# only a comment\n"), ConfigProblem.DOCUMENT, "the configuration is empty");
        assertOnly(parseProblems("~\n"), ConfigProblem.DOCUMENT, "the configuration is empty");
    }

    @Test
    void documentMustBeAMapping() {
        assertOnly(parseProblems("- a\n- b\n"), ConfigProblem.DOCUMENT, "expected a mapping of keys, got a list");
        assertOnly(parseProblems("just text\n"), ConfigProblem.DOCUMENT, "got \"just text\"");
    }

    @Test
    void syntaxErrorIsOneProblemWithLineAndColumn() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parseEdge("node:\n  id: a\n   bad: [1, 2\nserver: {port: 1}\n", Map.of()));
        assertEquals(1, e.problems().size(), e.report());
        ConfigProblem p = e.problems().get(0);
        assertEquals(ConfigProblem.DOCUMENT, p.path());
        assertTrue(p.message().startsWith("invalid YAML at line 3, column "), p.message());
        assertFalse(e.report().contains("\tat "), "no stack trace in the report");
        assertFalse(e.report().contains("\n"), "one line: " + e.report());
    }

    @Test
    void unquotedVariableInFlowMappingGetsAHint() {
        assertOnly(parseProblems("node: {id: ${ID}}\n"), ConfigProblem.DOCUMENT, "must be quoted");
    }

    @Test
    void duplicateKeysAreASyntaxProblem() {
        List<ConfigProblem> p = parseProblems("node: {id: a}\nnode: {id: b}\n");
        assertOnly(p, ConfigProblem.DOCUMENT, "Duplicate field 'node'");
        assertTrue(p.get(0).message().contains("line 2"), p.get(0).message());
    }

    @Test
    void renderedLine() {
        assertEquals("config error: server.port: bad",
                new ConfigProblem("server.port", "bad").render());
        assertThrows(IllegalArgumentException.class, () -> new ConfigException(List.of()));
    }

    private static void assertTrue(boolean condition, String message) {
        org.junit.jupiter.api.Assertions.assertTrue(condition, message);
    }
}
