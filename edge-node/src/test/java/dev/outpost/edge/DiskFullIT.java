package dev.outpost.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.MountNamespaces;
import dev.outpost.edge.testing.RandomObjects;
import dev.outpost.edge.testing.RawHttp;
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
 * A real filling disk (issue 3, "Disk full ..."): the edge runs as a process in its own mount namespace
 * ({@code unshare -m}) with its disk tier on a 400 MiB tmpfs that a ballast file partly fills, configured
 * to store far more than fits. Filling it must never cost a client an error: every response is complete
 * and correct, the edge stops storing at {@code min-free} (so RocksDB never meets a full disk), counts the
 * refusals and logs the condition once, stays ready, and still serves what it stored. When space is freed
 * (the ballast removed from inside the namespace) it stores objects again and says so. The mount lives
 * and dies with the process. Needs {@code unshare} and mount rights (root, or
 * unprivileged user namespaces); elsewhere the test is skipped and says why.
 */
class DiskFullIT {

    private static final int OBJECT = 1 << 20;
    private static final int OBJECTS = 250; // 250 MiB through a 400 MiB volume with 100 MiB of ballast

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
        bodies = RandomObjects.stub(origin, OBJECTS, OBJECT, 7);
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        EdgeProcesses.stop(edge);
        origin.stop();
    }

    @Test
    void aFullDiskNeverCostsAClientAnErrorAndIsCountedAndLoggedOnce() throws Exception {
        Path volume = dir.resolve("volume");
        Files.createDirectories(volume);
        Path disk = volume.resolve("store");
        port = EdgeProcesses.freePort();
        adminPort = EdgeProcesses.freePort();
        Path config = dir.resolve("edge.yaml");
        Files.writeString(config, EdgeProcesses.configHead("edge-full", port, adminPort,
                "http://127.0.0.1:" + origin.port()) + """
                cache:
                  memory:
                    max-size: 4MiB
                    max-object-size: 64KiB
                  disk:
                    path: %s
                    max-size: 4GiB
                    max-object-size: 8MiB
                    min-free: 160MiB
                """.formatted(disk));
        Path stdout = dir.resolve("stdout.log");
        Path stderr = dir.resolve("stderr.log");
        // a ballast file takes a quarter of the volume; removing it later frees space for the recovery
        edge = MountNamespaces.startEdge("mount -t tmpfs -o size=400m outpost-full \"$0\""
                + " && head -c 104857600 /dev/zero > \"$0/ballast\"", volume, config, stdout, stderr, "-Xmx256m");
        EdgeProcesses.awaitReady(edge, adminPort, stderr);

        List<Integer> notStored = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < OBJECTS; i++) {
                RawHttp.Response r = RawHttp.get(port, "localhost", "/obj/" + i);
                assertEquals(200, r.status(), "round " + round + " object " + i + ": " + r.text());
                assertArrayEquals(bodies.get(i), r.body(), "round " + round + " object " + i + " body");
                if (round == 1 && !CacheStatusEntry.parse(r.header("Cache-Status")).hit()) {
                    notStored.add(i);
                }
            }
        }
        assertTrue(notStored.size() > OBJECTS / 2, "most objects did not fit: " + notStored);
        assertTrue(edge.isAlive(), "the edge survives a full disk");
        assertEquals(200, RawHttp.get(adminPort, "localhost", "/readyz").status(), "still ready");

        double failures = EdgeProcesses.metricSum(adminPort, "outpost_cache_write_failures_total");
        assertTrue(failures > 0, "write failures are counted: " + failures);
        String log = EdgeProcesses.read(stdout) + EdgeProcesses.read(stderr);
        long lines = log.lines().filter(l -> l.contains("below min-free")).count();
        assertEquals(1, lines, "logged once per condition, not per object:\n" + log);
        assertTrue(!log.contains("No space left"), "RocksDB never met a full disk:\n" + log);

        // what was stored before the disk filled is still served from disk
        RawHttp.Response first = RawHttp.get(port, "localhost", "/obj/0");
        assertArrayEquals(bodies.get(0), first.body());
        CacheStatusEntry status = CacheStatusEntry.parse(first.header("Cache-Status"));
        assertTrue(status.hit(), "object 0 was stored before the disk filled: " + first.header("Cache-Status"));
        assertEquals("disk", status.detail());

        // space is freed (as an operator would): RocksDB's SstFileManager notices, writes resume
        assumeTrue(MountNamespaces.canEnter(edge.pid()), "cannot enter the edge's mount namespace to free space");
        MountNamespaces.Result rm = MountNamespaces.insideOf(edge.pid(), "rm", volume.resolve("ballast").toString());
        assertEquals(0, rm.exitCode(), "ballast removed: " + rm.output());
        int retry = notStored.get(notStored.size() - 1);
        boolean stored = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!stored && System.nanoTime() < deadline) {
            RawHttp.Response r = RawHttp.get(port, "localhost", "/obj/" + retry);
            assertArrayEquals(bodies.get(retry), r.body());
            stored = CacheStatusEntry.parse(r.header("Cache-Status")).hit();
            if (!stored) {
                Thread.sleep(200);
            }
        }
        assertTrue(stored, "after space was freed an object that did not fit before is stored again:\n"
                + EdgeProcesses.read(stdout) + EdgeProcesses.read(stderr));
        String after = EdgeProcesses.read(stdout) + EdgeProcesses.read(stderr);
        assertTrue(after.contains("free space is back"), "the recovery is logged:\n" + after);
    }
}
