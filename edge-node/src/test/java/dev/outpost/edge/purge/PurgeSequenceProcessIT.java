package dev.outpost.edge.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.RawHttp;
import dev.outpost.edge.testing.ScriptedFeed;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/purge-protocol.md "Sequences": an edge with a disk tier keeps {@code lastApplied} in its own
 * RocksDB, so a real edge process restarted gracefully (SIGTERM) or killed ({@code kill -9}) catches up
 * after the last purge it applied, not from the start of the log.
 */
class PurgeSequenceProcessIT {

    @TempDir
    Path dir;

    private final ScriptedFeed feed = new ScriptedFeed();
    private final List<JsonObject> logged = new ArrayList<>();
    private Process edge;
    private int launches;
    private int port;
    private int adminPort;

    @BeforeEach
    void ports() throws IOException {
        port = EdgeProcesses.freePort();
        adminPort = EdgeProcesses.freePort();
    }

    @AfterEach
    void stop() {
        if (edge != null && edge.isAlive()) {
            edge.destroyForcibly();
        }
        feed.close();
    }

    private void launch() throws Exception {
        Path config = dir.resolve("edge.yaml");
        Files.writeString(config, """
                node:
                  id: edge-seq
                server:
                  host: 127.0.0.1
                  port: %d
                  shutdown-timeout: 2s
                admin:
                  host: 127.0.0.1
                  port: %d
                  token: %s
                origins:
                  - host: "*"
                    url: http://127.0.0.1:9
                cache:
                  disk:
                    path: %s
                    max-size: 64MiB
                """.formatted(port, adminPort, PurgeEndpointIT.TOKEN, dir.resolve("disk"))
                + feed.purgeYaml("  poll-interval: 500ms\n"));
        launches++;
        Path stderr = dir.resolve("stderr-" + launches + ".log");
        edge = EdgeProcesses.launch(config, dir.resolve("stdout-" + launches + ".log"), stderr);
        EdgeProcesses.awaitReady(edge, adminPort, stderr);
    }

    /** Pushes purge {@code sequence} (and logs it in the feed, as purge-api does before pushing). */
    private void push(long sequence) throws IOException {
        logged.add(ScriptedFeed.urlEntry(sequence, "/p" + sequence, false));
        feed.log(1, sequence, logged, 1000);
        RawHttp.Response r = PurgeEndpointIT.post(adminPort, "application/json", "{\"type\":\"url\",\"values\":"
                + "[\"http://site.example/p" + sequence + "\"],\"sequence\":" + sequence + ",\"id\":\"p-" + sequence + "\"}",
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
        assertEquals(200, r.status(), r.text());
        assertEquals(sequence, new JsonObject(r.text()).getLong("lastApplied"));
    }

    private long lastApplied() throws IOException {
        RawHttp.Response r = RawHttp.get(adminPort, "127.0.0.1", "/purge/state",
                "Authorization: Bearer " + PurgeEndpointIT.TOKEN);
        assertEquals(200, r.status(), r.text());
        return new JsonObject(r.text()).getLong("lastApplied");
    }

    /** The feed's requests since the last {@link ScriptedFeed#log}, all asking after {@code sequence}. */
    private void assertCaughtUpAfter(long sequence) {
        List<String> afters = feed.afters();
        assertFalse(afters.isEmpty(), "the restarted edge read the feed");
        assertTrue(afters.stream().allMatch(a -> a.equals(Long.toString(sequence))),
                "every read was after=" + sequence + ": " + afters);
    }

    @Test
    void lastAppliedSurvivesKillNineAndAGracefulRestart() throws Exception {
        launch();
        assertEquals(0, lastApplied(), "a new, empty store starts at the log's last (0)");
        push(1);
        push(2);
        push(3);

        edge.destroyForcibly(); // SIGKILL: no shutdown hook, no WAL sync
        assertTrue(edge.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, edge.exitValue());
        feed.log(1, 3, logged, 1000);
        launch();
        assertEquals(3, lastApplied());
        assertCaughtUpAfter(3);

        push(4);
        edge.destroy(); // SIGTERM: graceful
        assertTrue(edge.waitFor(15, TimeUnit.SECONDS));
        assertEquals(0, edge.exitValue());
        feed.log(1, 4, logged, 1000);
        launch();
        assertEquals(4, lastApplied());
        assertCaughtUpAfter(4);
    }
}
