package dev.outpost.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.RawHttp;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk tier's durability points (issue 3) with the edge as a real process, as in
 * {@link EdgeProcessIT}: a 1 GiB object stored and served back from disk at {@code -Xmx256m}; a
 * graceful restart (SIGTERM) comes back warm with Age continuing; {@code kill -9} in the middle of a
 * large write never leaves a truncated object, its chunks are collected at the next start and the
 * byte accounting is unchanged.
 */
class DiskProcessIT {

    private static final int BLOCK = 1 << 20;
    /** One MiB of seeded random bytes; block k of a body is this with k in its first 8 bytes. */
    private static final byte[] BASE = new byte[BLOCK];

    static {
        new Random(42).nextBytes(BASE);
    }

    @TempDir
    Path dir;

    private HttpServer origin;
    private ExecutorService originThreads;
    private final Map<String, AtomicInteger> originCalls = new ConcurrentHashMap<>();
    /** The first request for /partial stalls after {@link #PARTIAL_STALL} bytes until this opens. */
    private final CountDownLatch partialRelease = new CountDownLatch(1);
    private Process edge;
    private int launches;
    private int port;
    private int adminPort;

    private static final long HUGE = 1L << 30;
    private static final long MEDIUM = 3L * BLOCK;
    private static final long SMALL = 200 * 1024;
    private static final long PARTIAL = 64L * BLOCK;
    private static final long PARTIAL_STALL = 16L * BLOCK;

    @BeforeEach
    void startOrigin() throws IOException {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        originThreads = Executors.newCachedThreadPool();
        origin.setExecutor(originThreads);
        origin.createContext("/huge", ex -> serve(ex, HUGE, -1));
        origin.createContext("/medium", ex -> serve(ex, MEDIUM, -1));
        origin.createContext("/small", ex -> serve(ex, SMALL, -1));
        origin.createContext("/partial", ex -> serve(ex, PARTIAL, PARTIAL_STALL));
        origin.start();
        port = freePort();
        adminPort = freePort();
    }

    @AfterEach
    void stopAll() {
        if (edge != null && edge.isAlive()) {
            edge.destroyForcibly();
        }
        partialRelease.countDown();
        origin.stop(0);
        originThreads.shutdownNow();
    }

    // ------------------------------------------------------------------ origin and body generator

    private static void block(long k, byte[] into) {
        System.arraycopy(BASE, 0, into, 0, BLOCK);
        ByteBuffer.wrap(into).putLong(0, k);
    }

    /** CRC32C of the generated body of {@code size} bytes. */
    private static long expectedCrc(long size) {
        CRC32C crc = new CRC32C();
        byte[] b = new byte[BLOCK];
        for (long k = 0, sent = 0; sent < size; k++) {
            block(k, b);
            int n = (int) Math.min(BLOCK, size - sent);
            crc.update(b, 0, n);
            sent += n;
        }
        return crc.getValue();
    }

    /** Streams the generated body; the first request of a stalling path waits after {@code stallAt} bytes. */
    private void serve(HttpExchange ex, long size, long stallAt) throws IOException {
        String path = ex.getRequestURI().getPath();
        int call = originCalls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        ex.getResponseHeaders().add("Cache-Control", "max-age=600");
        ex.getResponseHeaders().add("ETag", "\"" + path.substring(1) + "-v1\"");
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, size);
        byte[] b = new byte[BLOCK];
        try (OutputStream out = ex.getResponseBody()) {
            for (long k = 0, sent = 0; sent < size; k++) {
                if (call == 1 && stallAt >= 0 && sent == stallAt) {
                    out.flush();
                    partialRelease.await(60, TimeUnit.SECONDS);
                }
                block(k, b);
                int n = (int) Math.min(BLOCK, size - sent);
                out.write(b, 0, n);
                sent += n;
            }
        } catch (IOException | InterruptedException gone) {
            // the edge went away (kill -9): nothing to do
        } finally {
            ex.close();
        }
    }

    private int calls(String path) {
        AtomicInteger n = originCalls.get(path);
        return n == null ? 0 : n.get();
    }

    // ------------------------------------------------------------------ the edge process

    private static int freePort() throws IOException {
        return EdgeProcesses.freePort();
    }

    private Path config() throws IOException {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, """
                node:
                  id: edge-disk
                server:
                  host: 127.0.0.1
                  port: %d
                  shutdown-timeout: 10s
                admin:
                  host: 127.0.0.1
                  port: %d
                origins:
                  - host: "*"
                    url: http://127.0.0.1:%d
                cache:
                  memory:
                    max-size: 16MiB
                    max-object-size: 64KiB
                  disk:
                    path: %s
                    max-size: 2GiB
                    max-object-size: 2GiB
                """.formatted(port, adminPort, origin.getAddress().getPort(), dir.resolve("disk")));
        return file;
    }

    /** Starts the edge (same config, same disk path each time) and waits until it is ready. */
    private void launch(String... jvmArgs) throws Exception {
        launches++;
        edge = EdgeProcesses.launch(config(), dir.resolve("stdout-" + launches + ".log"), stderrFile(), jvmArgs);
        EdgeProcesses.awaitReady(edge, adminPort, stderrFile());
    }

    private Path stderrFile() {
        return dir.resolve("stderr-" + launches + ".log");
    }

    private String stderr() throws IOException {
        return EdgeProcesses.read(stderrFile());
    }

    /** A disk-tier metric from the admin endpoint. */
    private double diskMetric(String name) throws IOException {
        String text = RawHttp.get(adminPort, "localhost", "/metrics").text();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains("tier=\"disk\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + name + " for the disk tier in:\n" + text);
    }

    /** Waits (bounded) until the disk tier holds {@code n} objects: commits finish after the response. */
    private void awaitDiskEntries(long n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double now = -1;
        while (System.nanoTime() < deadline) {
            now = diskMetric("outpost_cache_entries");
            if (now == n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("disk entries " + now + ", expected " + n);
    }

    // ------------------------------------------------------------------ a streaming client

    /** What a GET returned: status, headers, how many body bytes and their CRC32C. */
    private record Fetched(int status, Map<String, String> headers, long bytes, long crc) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        CacheStatusEntry cacheStatus() {
            String v = header("Cache-Status");
            assertNotNull(v, "Cache-Status");
            String[] members = v.split(",");
            return CacheStatusEntry.parse(members[members.length - 1].trim());
        }
    }

    /** GETs {@code path} with Connection: close and reads the body to the end, counting as it goes. */
    private Fetched fetch(String path, AtomicLong progress) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream(), 256 * 1024);
            List<String> lines = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) >= 0;) {
                if (c == '\n') {
                    String l = line.toString().stripTrailing();
                    line.setLength(0);
                    if (l.isEmpty()) {
                        break;
                    }
                    lines.add(l);
                } else {
                    line.append((char) c);
                }
            }
            assertFalse(lines.isEmpty(), "no response");
            int status = Integer.parseInt(lines.get(0).split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h : lines.subList(1, lines.size())) {
                int colon = h.indexOf(':');
                headers.merge(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim(),
                        (a, b) -> a + ", " + b);
            }
            CRC32C crc = new CRC32C();
            byte[] buf = new byte[256 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0;) {
                crc.update(buf, 0, n);
                total += n;
                if (progress != null) {
                    progress.set(total);
                }
            }
            return new Fetched(status, headers, total, crc.getValue());
        }
    }

    private Fetched fetch(String path) throws IOException {
        return fetch(path, null);
    }

    private static void assertBody(Fetched f, long size) {
        assertEquals(200, f.status());
        assertEquals(size, f.bytes(), "body length");
        assertEquals(expectedCrc(size), f.crc(), "body checksum");
    }

    // ------------------------------------------------------------------ tests

    @Test
    void aOneGibObjectIsStoredAndServedBackFromDiskWithA256MibHeap() throws Exception {
        launch("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
        long start = System.nanoTime();
        Fetched miss = fetch("/huge");
        long missMillis = (System.nanoTime() - start) / 1_000_000;
        assertBody(miss, HUGE);
        assertTrue(miss.cacheStatus().stored(), miss.header("Cache-Status"));
        awaitDiskEntries(1);

        start = System.nanoTime();
        Fetched hit = fetch("/huge");
        long hitMillis = (System.nanoTime() - start) / 1_000_000;
        assertBody(hit, HUGE);
        assertTrue(hit.cacheStatus().hit(), hit.header("Cache-Status"));
        assertEquals("disk", hit.cacheStatus().detail());
        assertEquals(1, calls("/huge"), "the origin was not called again");
        assertTrue(edge.isAlive(), "edge survived with a 256 MiB heap");
        assertEquals(0, diskMetric("outpost_cache_write_failures_total"), "nothing abandoned");
        System.out.printf("DiskProcessIT: 1 GiB miss (stored to disk) %d ms, disk hit %d ms%n", missMillis, hitMillis);
    }

    @Test
    void aGracefulRestartServesTheStoredObjectAsADiskHitWithAgeContinuing() throws Exception {
        launch();
        Fetched first = fetch("/medium");
        long storedAt = System.nanoTime();
        assertBody(first, MEDIUM);
        awaitDiskEntries(1);
        Thread.sleep(2100);

        edge.destroy(); // SIGTERM
        assertTrue(edge.waitFor(30, TimeUnit.SECONDS), "edge stopped");
        assertEquals(0, edge.exitValue(), stderr());
        launch();

        long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - storedAt);
        Fetched after = fetch("/medium");
        assertBody(after, MEDIUM);
        assertTrue(after.cacheStatus().hit(), after.header("Cache-Status"));
        assertEquals("disk", after.cacheStatus().detail());
        long age = Long.parseLong(after.header("Age"));
        assertTrue(age >= elapsedSeconds && elapsedSeconds >= 2, "Age " + age + " continues past the "
                + elapsedSeconds + " s elapsed since it was stored");
        assertTrue(age <= elapsedSeconds + 60, "Age " + age + " is not made up");
        assertEquals(1, calls("/medium"), "the origin was not called again");
    }

    @Test
    void killMinus9MidWriteNeverServesATruncatedObjectCollectsTheChunksAndKeepsTheAccounting() throws Exception {
        launch();
        assertBody(fetch("/small"), SMALL);
        awaitDiskEntries(1);
        double bytesBefore = diskMetric("outpost_cache_bytes");
        assertTrue(bytesBefore > SMALL, "the small object is accounted: " + bytesBefore);

        AtomicLong received = new AtomicLong();
        CompletableFuture<Fetched> cutOff = CompletableFuture.supplyAsync(() -> {
            try {
                return fetch("/partial", received);
            } catch (IOException e) {
                return null; // the connection was reset: fine
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received.get() < PARTIAL_STALL - 2 * BLOCK && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(received.get() >= PARTIAL_STALL - 2 * BLOCK, "the large object is streaming: " + received);
        Thread.sleep(500); // let the write thread catch up with what the client already has
        assertEquals(1, diskMetric("outpost_cache_entries"), "the partial object is not visible");
        edge.destroyForcibly(); // kill -9
        assertTrue(edge.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, edge.exitValue(), "killed by SIGKILL");
        partialRelease.countDown();
        Fetched partial = cutOff.get(30, TimeUnit.SECONDS);
        assertTrue(partial == null || partial.bytes() < PARTIAL, "the first client saw the cut");

        launch();
        assertEquals(1.0, diskMetric("outpost_cache_garbage_collected"), "the interrupted write was collected\n"
                + stderr());
        assertTrue(stderr().contains("1 interrupted writes collected"), stderr());
        assertEquals(1.0, diskMetric("outpost_cache_entries"));
        assertEquals(bytesBefore, diskMetric("outpost_cache_bytes"), "accounting: only the small object");

        Fetched again = fetch("/partial");
        assertBody(again, PARTIAL);
        assertFalse(again.cacheStatus().hit(), "not served from cache: " + again.header("Cache-Status"));
        assertEquals(2, calls("/partial"), "the origin was called again");

        Fetched small = fetch("/small");
        assertBody(small, SMALL);
        assertTrue(small.cacheStatus().hit(), small.header("Cache-Status"));
        assertEquals("disk", small.cacheStatus().detail());
        assertEquals(1, calls("/small"));

        awaitDiskEntries(2);
        Fetched partialHit = fetch("/partial");
        assertBody(partialHit, PARTIAL);
        assertTrue(partialHit.cacheStatus().hit(), partialHit.header("Cache-Status"));
        assertEquals(2, calls("/partial"));
    }
}
