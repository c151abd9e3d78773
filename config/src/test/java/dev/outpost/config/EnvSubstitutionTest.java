package dev.outpost.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvSubstitutionTest {

    private static final Map<String, String> ENV = Map.of("HOST", "origin.test", "PORT", "8081", "EMPTY", "");

    private static String sub(String text) {
        return EnvSubstitution.substitute(text, ENV);
    }

    @Test
    void replacesSetVariables() {
        assertEquals("http://origin.test:8081/x", sub("http://${HOST}:${PORT}/x"));
        assertEquals("plain", sub("plain"));
    }

    @Test
    void usesDefaultWhenUnsetOrEmpty() {
        assertEquals("dev-token", sub("${TOKEN:-dev-token}"));
        assertEquals("fallback", sub("${EMPTY:-fallback}"));
        assertEquals("origin.test", sub("${HOST:-other}"));
        assertEquals("", sub("${TOKEN:-}"));
        assertEquals("a:-b", sub("${TOKEN:-a:-b}"));
    }

    @Test
    void emptyButSetVariableWithoutDefaultIsEmpty() {
        assertEquals("x", sub("x${EMPTY}"));
    }

    @Test
    void missingVariablesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sub("${NOPE}"));
        assertTrue(e.getMessage().contains("NOPE is not set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sub("${A}-${HOST}-${B}"));
        assertTrue(e.getMessage().contains("A, B are not set"), e.getMessage());
    }

    @Test
    void doubleDollarEscapesALiteral() {
        assertEquals("${HOST}", sub("$${HOST}"));
        assertEquals("cost: $5 and ${x}", sub("cost: $5 and $${x}"));
        assertEquals("$$ and $", sub("$$ and $"));
    }

    @Test
    void malformedReferencesAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> sub("${HOST"));
        assertThrows(IllegalArgumentException.class, () -> sub("${}"));
        assertThrows(IllegalArgumentException.class, () -> sub("${1X}"));
        assertThrows(IllegalArgumentException.class, () -> sub("${A B}"));
    }

    @Test
    void substitutionHappensBeforeTypeConversion() {
        EdgeConfig c = ConfigLoader.parseEdge("""
                node: {id: "${NODE_ID}"}
                server: {port: "${PORT}"}
                admin: {port: "${ADMIN_PORT:-9090}", token: "${ADMIN_TOKEN:-secret}"}
                origins:
                  - {host: "*", url: "http://${HOST}:${PORT}"}
                cache:
                  memory: {max-size: "${MEM:-64MiB}"}
                  heuristic: {fraction: "${FRACTION}"}
                access-log: {enabled: "${LOG}"}
                """, Map.of("NODE_ID", "edge-x", "PORT", "8081", "HOST", "origin.test", "FRACTION", "0.5",
                "LOG", "true"));
        assertEquals("edge-x", c.node().id());
        assertEquals(8081, c.server().port());
        assertEquals(9090, c.admin().port());
        assertEquals("secret", c.admin().token());
        assertEquals("http://origin.test:8081", c.origins().get(0).url().toString());
        assertEquals(64 * ByteSize.MIB, c.cache().memory().maxSize());
        assertEquals(0.5, c.cache().heuristic().fraction());
        assertTrue(c.accessLog().enabled());
    }

    @Test
    void unresolvedVariableIsReportedWithPathAndName() {
        var problems = Problems.ofEdge(Problems.MINIMAL_EDGE.replace("8080", "\"${EDGE_PORT}\"")
                + "purge: {api-url: \"${PURGE_URL}\"}\n");
        Problems.assertHas(problems, "server.port", "EDGE_PORT");
        Problems.assertHas(problems, "purge.api-url", "PURGE_URL");
        assertEquals(2, problems.size(), Problems.render(problems));
    }

    @Test
    void escapedDollarReachesTheValue() {
        EdgeConfig c = ConfigLoader.parseEdge(Problems.MINIMAL_EDGE.replace("admin: {port: 9080}",
                "admin: {port: 9080, token: \"a$${b}\"}"), Map.of());
        assertEquals("a${b}", c.admin().token());
    }
}
