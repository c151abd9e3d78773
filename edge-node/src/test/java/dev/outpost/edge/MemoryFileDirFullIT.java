package dev.outpost.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.MountNamespaces;
import dev.outpost.edge.testing.RandomObjects;
import dev.outpost.edge.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory tier's {@code file-dir} filling up in the middle of a fill: the edge runs as a process in its
 * own mount namespace with its body files on a 1 MiB tmpfs (see {@link MountNamespaces}), and bodies of
 * 400 KiB, so the third one finds no room part-way through (its file was sized to the declared length
 * up front, which takes no blocks; the writes then fail with ENOSPC). The client still gets every byte;
 * the object is stored in direct memory (the partial file's bytes copied over at the commit) and the partial
 * file's blocks are freed then; the failure is counted and logged; while
 * the filesystem stays full, large bodies go to direct memory without another try per object; once the
 * tier's own files shrink (a purge), bodies go to files again and the log says so.
 */
class MemoryFileDirFullIT {

    private static final int OBJECT = 400 * 1024;
    private static final long VOLUME = 1024 * 1024;
    private static final String TOKEN = "full-dir-token";

    @TempDir
    Path dir;

    private WireMockServer origin;
    private Process edge;
    private int port;
    private int adminPort;
    private List<byte[]> bodies;

    @BeforeEach
    void startOrigin() {
        origin = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
        origin.start();
        bodies = RandomObjects.stub(origin, 5, OBJECT, 11);
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        EdgeProcesses.stop(edge);
        origin.stop();
    }

    @Test
    void aFillThatRunsOutOfRoomPartWayStillAnswersInFullAndLeavesNothingBehind() throws Exception {
        Path files = dir.resolve("files");
        Files.createDirectories(files);
        port = EdgeProcesses.freePort();
        adminPort = EdgeProcesses.freePort();
        Path config = dir.resolve("edge.yaml");
        Files.writeString(config, EdgeProcesses.configHead("edge-files-full", port, adminPort,
                "http://127.0.0.1:" + origin.port()).replace("admin:\n  host: 127.0.0.1\n",
                "admin:\n  host: 127.0.0.1\n  token: " + TOKEN + "\n") + """
                cache:
                  memory:
                    max-size: 64MiB
                    max-object-size: 8MiB
                    file-dir: %s
                    file-min-size: 128KiB
                """.formatted(files));
        Path stdout = dir.resolve("stdout.log");
        Path stderr = dir.resolve("stderr.log");
        edge = MountNamespaces.startEdge("mount -t tmpfs -o size=" + VOLUME + " outpost-files \"$0\"", files, config,
                stdout, stderr, "-Xmx256m");
        EdgeProcesses.awaitReady(edge, adminPort, stderr);

        // two bodies fit: 800 KiB of files on the 1 MiB volume
        for (int i = 0; i < 2; i++) {
            assertFetched(i, false);
            assertFetched(i, true);
        }
        assertEquals(2.0 * OBJECT, fileBytes());
        assertEquals(0, failures());

        // the third runs out of room part-way: the client gets all of it, the cache stores it in direct memory
        assertFetched(2, false);
        assertEquals(1, failures(), "the failed fill is counted");
        assertFetched(2, true);
        assertEquals(2.0 * OBJECT, fileBytes(), "the partial file is not held");
        assertEquals(VOLUME - 2L * OBJECT, freeBytes(files), "the partial file's blocks are freed at the commit");
        String log = EdgeProcesses.read(stdout) + EdgeProcesses.read(stderr);
        assertTrue(log.contains("could not be written in " + files), log);

        // while the files are full, a large body goes to direct memory: no new try, no new failure
        assertFetched(4, false);
        assertFetched(4, true);
        assertEquals(1, failures(), "no second try while nothing was freed");
        assertEquals(2.0 * OBJECT, fileBytes());
        for (int i = 0; i < 2; i++) {
            assertFetched(i, true); // what was stored before the volume filled is still served
        }

        // a purge shrinks the tier's files: the next large body goes to a file again
        RawHttp.Response purge = RawHttp.exchange(adminPort, purgeRequest("{\"type\":\"url\",\"values\":"
                + "[\"http://site.example/obj/0\"]}"));
        assertEquals(200, purge.status(), purge.text());
        assertEquals(1.0 * OBJECT, fileBytes(), "the purged body's file is gone");
        assertFetched(3, false);
        assertFetched(3, true);
        assertEquals(2.0 * OBJECT, fileBytes(), "object 3 is held in a file");
        assertEquals(VOLUME - 2L * OBJECT, freeBytes(files));
        assertEquals(1, failures());
        String after = EdgeProcesses.read(stdout) + EdgeProcesses.read(stderr);
        assertTrue(after.contains("body files can be written again"), after);
        assertTrue(edge.isAlive());
        assertEquals(200, RawHttp.get(adminPort, "localhost", "/readyz").status(), "still ready");
    }

    private void assertFetched(int i, boolean hit) throws Exception {
        RawHttp.Response r = RawHttp.get(port, "site.example", "/obj/" + i);
        assertEquals(200, r.status(), "object " + i + ": " + r.text());
        assertArrayEquals(bodies.get(i), r.body(), "object " + i + " body");
        // the origin declares the length, so a fill's file is sized to it before its first write
        assertEquals(Integer.toString(OBJECT), r.header("Content-Length"), "object " + i);
        CacheStatusEntry status = CacheStatusEntry.parse(r.header("Cache-Status"));
        assertEquals(hit, status.hit(), "object " + i + ": " + r.header("Cache-Status"));
        if (hit) {
            assertEquals("memory", status.detail());
        }
    }

    private double failures() throws Exception {
        return EdgeProcesses.metricSum(adminPort, "outpost_cache_file_write_failures_total");
    }

    private double fileBytes() throws Exception {
        return EdgeProcesses.metricSum(adminPort, "outpost_cache_file_bytes");
    }

    /**
     * Free bytes of the edge's tmpfs ({@code stat -f}), reached through {@code /proc/PID/root}: the edge's
     * own view of the filesystem, without entering its namespaces.
     */
    private long freeBytes(Path volume) throws Exception {
        Process stat = new ProcessBuilder("stat", "-f", "-c", "%a %S", "/proc/" + edge.pid() + "/root" + volume)
                .redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, stat.waitFor(), out);
        String[] fields = out.trim().split(" ");
        return Long.parseLong(fields[0]) * Long.parseLong(fields[1]);
    }

    private static String purgeRequest(String json) {
        return "POST /purge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + json.length() + "\r\n"
                + "Connection: close\r\n\r\n" + json;
    }
}
