package dev.outpost.config;

import static dev.outpost.config.Problems.assertHas;
import static dev.outpost.config.Problems.assertOnly;
import static dev.outpost.config.Problems.ofPurgeApi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PurgeApiConfigTest {

    @TempDir
    Path tmp;

    private String minimal() {
        return """
                server: {port: 7070}
                auth:
                  tokens:
                    - {name: ci, token: t1}
                log: {path: "%s"}
                edges:
                  - {id: edge-1, admin-url: "http://127.0.0.1:9080", token: e1}
                """.formatted(tmp.resolve("log"));
    }

    @Test
    void appliesDefaults() {
        PurgeApiConfig c = ConfigLoader.parsePurgeApi(minimal(), Map.of());
        assertEquals(new PurgeServerConfig("0.0.0.0", 7070), c.server());
        assertEquals(List.of(new ApiToken("ci", "t1")), c.auth().tokens());
        assertEquals(new PurgeLogConfig(tmp.resolve("log"), new RetentionConfig(1_000_000, Duration.ofDays(7))),
                c.log());
        assertEquals(List.of(new EdgeTargetConfig("edge-1", "default", URI.create("http://127.0.0.1:9080"), "e1")),
                c.edges());
        assertEquals(new FanoutConfig(Duration.ofSeconds(2), OptionalInt.of(10), Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(5)), c.fanout());
        assertEquals(new PurgeLimitsConfig(256 * 1024, 1000, 8192, Duration.ofSeconds(60)), c.limits());
        assertEquals(Duration.ofMinutes(1), c.log().retention().checkInterval());
    }

    @Test
    void readsFanoutAndLimits() {
        PurgeApiConfig c = ConfigLoader.parsePurgeApi(minimal() + """
                fanout: {timeout: 500ms, max-attempts: unbounded, initial-backoff: 10ms, max-backoff: 1s,
                         probe-interval: 250ms}
                limits: {max-body-size: 64KiB, max-values: 50, max-value-length: 2048, max-wait: 10s}
                """, Map.of());
        assertEquals(new FanoutConfig(Duration.ofMillis(500), OptionalInt.empty(), Duration.ofMillis(10),
                Duration.ofSeconds(1), Duration.ofMillis(250)), c.fanout());
        assertEquals(new PurgeLimitsConfig(64 * 1024, 50, 2048, Duration.ofSeconds(10)), c.limits());
        assertEquals(OptionalInt.of(3), ConfigLoader.parsePurgeApi(minimal() + "fanout: {max-attempts: 3}\n",
                Map.of()).fanout().maxAttempts());
    }

    @Test
    void fanoutAndLimitsProblemsAreReportedTogether() {
        List<ConfigProblem> p = ofPurgeApi(minimal() + """
                fanout: {timeout: 0s, max-attempts: 0, initial-backoff: 2s, max-backoff: 1s, probe-interval: soon,
                         retries: 3}
                limits: {max-body-size: 2MiB, max-values: 1001, max-value-length: 0, max-wait: 0s}
                """);
        assertHas(p, "fanout.timeout", "greater than 0");
        assertHas(p, "fanout.max-attempts", "expected an integer 1-1000000 or \"unbounded\", got 0");
        assertHas(p, "fanout.max-backoff", "must be at least initial-backoff (2000ms), got 1000ms");
        assertHas(p, "fanout.probe-interval", "expected a duration like 30s");
        assertHas(p, "fanout.retries", "unknown key");
        assertHas(p, "limits.max-body-size", "from 1KiB to 1000KiB");
        assertHas(p, "limits.max-values", "expected an integer 1-1000, got 1001");
        assertHas(p, "limits.max-value-length", "expected an integer 1-8192, got 0");
        assertHas(p, "limits.max-wait", "greater than 0");
        assertEquals(9, p.size(), Problems.render(p));
    }

    @Test
    void readsRetentionAndFindsTokens() {
        PurgeApiConfig c = ConfigLoader.parsePurgeApi(minimal().replace("log: {path: \"" + tmp.resolve("log") + "\"}",
                "log: {path: \"" + tmp + "\", retention: {max-entries: 500, max-age: 2h}}"), Map.of());
        assertEquals(new RetentionConfig(500, Duration.ofHours(2)), c.log().retention());
        assertEquals("ci", c.auth().find("t1").orElseThrow().name());
        assertTrue(c.auth().find("nope").isEmpty());
        assertTrue(c.auth().find(null).isEmpty());
        assertFalse(c.auth().tokens().get(0).toString().contains("t1"));
        assertFalse(c.edges().get(0).toString().contains("e1"));
    }

    @Test
    void reportsEveryProblemAtOnce() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        List<ConfigProblem> p = ofPurgeApi("""
                server: {port: 99999, hots: x}
                auth:
                  tokens:
                    - {name: ci, token: same}
                    - {name: ci, token: same}
                    - {name: other}
                log: {path: "%s", retention: {max-entries: 0, max-age: forever, check-interval: 0s}}
                edges:
                  - {id: edge-1, admin-url: "http://127.0.0.1:9080", token: a}
                  - {id: edge-1, region: eu, admin-url: "mailto:x@y", token: b}
                """.formatted(file));
        assertHas(p, "server.port", "expected an integer 0-65535, got 99999");
        assertHas(p, "server.hots", "did you mean \"host\"?");
        assertHas(p, "auth.tokens[1].name", "duplicate token name \"ci\" (first at auth.tokens[0].name)");
        assertHas(p, "auth.tokens[1].token", "duplicate token");
        assertHas(p, "auth.tokens[2].token", "missing required key");
        assertHas(p, "log.path", "unreadable/unwritable log path");
        assertHas(p, "log.retention.max-entries", "expected an integer 1-");
        assertHas(p, "log.retention.max-age", "expected a duration like 30s, got \"forever\"");
        assertHas(p, "log.retention.check-interval", "greater than 0");
        assertHas(p, "edges[1].id", "duplicate edge id \"edge-1\"");
        assertHas(p, "edges[1].admin-url", "http or https");
        assertEquals(11, p.size(), Problems.render(p));
    }

    @Test
    void requiredSectionsAndLists() {
        List<ConfigProblem> p = ofPurgeApi("auth: {tokens: []}\nedges: []\n");
        assertHas(p, "server", "missing required section");
        assertHas(p, "auth.tokens", "at least one");
        assertHas(p, "log", "missing required section");
        assertHas(p, "edges", "at least one");
        assertEquals(4, p.size(), Problems.render(p));
        assertOnly(ofPurgeApi(minimal().replace("token: t1", "token: \"\"")), "auth.tokens[0].token",
                "must not be empty");
    }
}
