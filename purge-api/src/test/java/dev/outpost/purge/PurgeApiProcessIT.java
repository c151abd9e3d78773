package dev.outpost.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.config.RetentionConfig;
import dev.outpost.purge.log.PurgeLog;
import dev.outpost.purge.testing.Http;
import dev.outpost.purge.testing.PurgeApiProcesses;
import dev.outpost.purge.testing.ScriptedEdge;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The purge-api as operators run it, a separate JVM started with {@code --config FILE}: exit codes, SIGTERM,
 * and kill -9 in the middle of a fan-out (ARCHITECTURE §4: a restart loses nothing).
 */
class PurgeApiProcessIT {

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();
    private final List<ScriptedEdge> edges = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        processes.forEach(Process::destroyForcibly);
        edges.forEach(ScriptedEdge::close);
    }

    private Process launch(Path config, String name) throws IOException {
        Process p = PurgeApiProcesses.launch(config, tmp, name);
        processes.add(p);
        return p;
    }

    private String stderr(String name) throws IOException {
        return PurgeApiProcesses.stderr(tmp, name);
    }

    private void awaitReady(Process p, int port, String name) throws Exception {
        PurgeApiProcesses.awaitReady(p, port, tmp, name);
    }

    private Path config(int port, String edgesYaml) throws IOException {
        return Files.writeString(tmp.resolve("purge-api.yaml"), """
                server: {host: 127.0.0.1, port: %d}
                auth:
                  tokens:
                    - {name: test, token: t0k3n}
                log: {path: "%s"}
                fanout: {timeout: 2s, max-attempts: unbounded, initial-backoff: 20ms, max-backoff: 200ms, probe-interval: 300ms}
                edges:
                %s""".formatted(port, tmp.resolve("log"), edgesYaml));
    }

    @Test
    void aBadConfigExitsWith2ListingEveryProblem() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.yaml"), """
                server: {port: 99999}
                log: {path: "%s"}
                fanout: {max-attempts: 0}
                edges: []
                """.formatted(tmp.resolve("log")));
        Process p = launch(bad, "bad");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        String err = stderr("bad");
        assertTrue(err.contains("config error: server.port: expected an integer 0-65535, got 99999"), err);
        assertTrue(err.contains("config error: auth: missing required section"), err);
        assertTrue(err.contains("config error: fanout.max-attempts:"), err);
        assertTrue(err.contains("config error: edges: expected at least one element"), err);
        assertFalse(err.contains("Exception"), err);

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Process busy = launch(config(taken.getLocalPort(), "  - {id: e, admin-url: \"http://127.0.0.1:1\", token: x}\n"),
                    "busy");
            assertTrue(busy.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, busy.exitValue());
            assertTrue(stderr("busy").contains("config error: server.port: port " + taken.getLocalPort()), stderr("busy"));
        }
    }

    @Test
    void aLogHeldByAnotherProcessExitsWith1() throws Exception {
        Files.createDirectories(tmp.resolve("log"));
        try (PurgeLog held = PurgeLog.open(tmp.resolve("log"), new RetentionConfig(10, Duration.ofDays(1)),
                Clock.systemUTC(), List.of())) {
            Process p = launch(config(PurgeApiProcesses.freePort(), "  - {id: e, admin-url: \"http://127.0.0.1:1\", token: x}\n"), "held");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue());
            assertTrue(stderr("held").contains("purge-api: could not start: purge log at " + tmp.resolve("log")),
                    stderr("held"));
        }
    }

    @Test
    void sigtermStopsCleanlyWithExit0AndTheLogReopens() throws Exception {
        ScriptedEdge edge = new ScriptedEdge("edge-1", "e1");
        edges.add(edge);
        int port = PurgeApiProcesses.freePort();
        Path config = config(port, "  - {id: edge-1, admin-url: \"" + edge.adminUrl() + "\", token: e1}\n");
        Process p = launch(config, "first");
        awaitReady(p, port, "first");
        Http.Response r = Http.post("http://127.0.0.1:" + port + "/v1/purges?wait=5s", "t0k3n", "application/json",
                "{\"type\":\"all\"}");
        assertEquals(202, r.status(), r.toString());
        assertEquals("applied", r.json().getString("status"));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), stderr("first"));
        assertTrue(stderr("first").contains("stopped"), stderr("first"));

        Process again = launch(config, "second");
        awaitReady(again, port, "second");
        assertEquals(1, Http.get("http://127.0.0.1:" + port + "/v1/log", "t0k3n").json().getLong("last"));
        again.destroy();
        assertTrue(again.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, again.exitValue());
    }

    @Test
    void killedMidFanOutAndRestartedEveryEdgeStillGetsEveryPurge() throws Exception {
        ScriptedEdge fast = new ScriptedEdge("edge-fast", "f");
        ScriptedEdge slow = new ScriptedEdge("edge-slow", "s");
        edges.add(fast);
        edges.add(slow);
        slow.slowPushes(250);
        int port = PurgeApiProcesses.freePort();
        Path config = config(port, "  - {id: edge-fast, admin-url: \"" + fast.adminUrl() + "\", token: f}\n"
                + "  - {id: edge-slow, admin-url: \"" + slow.adminUrl() + "\", token: s}\n");
        Process p = launch(config, "killed");
        awaitReady(p, port, "killed");
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            Http.Response r = Http.post("http://127.0.0.1:" + port + "/v1/purges", "t0k3n", "application/json",
                    "{\"type\":\"url\",\"values\":[\"http://site.example/" + i + "\"]}");
            assertEquals(202, r.status(), r.toString());
            ids.add(r.json().getString("id"));
        }
        Http.eventually(Duration.ofSeconds(10), "the slow edge is mid-way", () -> slow.pushedSequences().size() >= 2);
        p.destroyForcibly(); // kill -9
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(slow.pushedSequences().size() < 12, "killed mid fan-out: " + slow.pushedSequences());
        slow.applyingInOrder();

        Process restarted = launch(config, "restarted");
        awaitReady(restarted, port, "restarted");
        List<Long> all = LongStream.rangeClosed(1, 12).boxed().toList();
        for (ScriptedEdge e : List.of(fast, slow)) {
            Http.eventually(Duration.ofSeconds(20), e.id + " has every purge",
                    () -> e.pushedSequences().containsAll(all));
            Set<Long> firstSeen = new LinkedHashSet<>(e.pushedSequences());
            assertEquals(all, List.copyOf(firstSeen), e.id + ": first deliveries in sequence order");
        }
        assertEquals(12, Http.get("http://127.0.0.1:" + port + "/v1/log?limit=0", "t0k3n").json().getLong("last"));
        Http.eventually(Duration.ofSeconds(10), "statuses say applied", () -> Http.get("http://127.0.0.1:" + port
                + "/v1/purges/" + ids.get(11), "t0k3n").json().getString("status").equals("applied"));
        assertEquals(13, Http.post("http://127.0.0.1:" + port + "/v1/purges", "t0k3n", "application/json",
                "{\"type\":\"all\"}").json().getLong("sequence"), "no sequence reused or skipped");
    }
}
