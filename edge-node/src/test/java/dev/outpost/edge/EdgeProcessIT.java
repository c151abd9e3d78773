package dev.outpost.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.outpost.edge.testing.EdgeProcesses;
import dev.outpost.edge.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge as operators run it: a separate JVM started with {@code --config FILE}. Bad configuration
 * exits 2 before opening a port, printing every problem; SIGTERM drains and exits 0; a 1 GiB response
 * streams through a small heap.
 */
class EdgeProcessIT {

    @TempDir
    Path dir;

    private HttpServer origin;
    private Process edge;

    @BeforeEach
    void startOrigin() throws IOException {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        origin.createContext("/slow", ex -> {
            sleep(1500);
            byte[] body = "finished".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Cache-Control", "no-store");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.createContext("/huge", ex -> {
            long size = 1L << 30;
            ex.getResponseHeaders().add("Cache-Control", "max-age=60");
            ex.sendResponseHeaders(200, size);
            byte[] block = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                for (long sent = 0; sent < size; sent += block.length) {
                    out.write(block);
                }
            }
        });
        origin.start();
    }

    @AfterEach
    void stopAll() {
        if (edge != null && edge.isAlive()) {
            edge.destroyForcibly();
        }
        origin.stop(0);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }



    private Process launch(Path config, String... jvmArgs) throws IOException {
        return EdgeProcesses.launch(config, dir.resolve("stdout.log"), dir.resolve("stderr.log"), jvmArgs);
    }

    private String stderr() throws IOException {
        return EdgeProcesses.read(dir.resolve("stderr.log"));
    }

    private void awaitReady(int adminPort) throws Exception {
        EdgeProcesses.awaitReady(edge, adminPort, dir.resolve("stderr.log"));
    }

    private static int freePort() throws IOException {
        return EdgeProcesses.freePort();
    }

    private Path config(int port, int adminPort, String extra) throws IOException {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, """
                node:
                  id: edge-proc
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
                %s
                """.formatted(port, adminPort, origin.getAddress().getPort(), extra));
        return file;
    }



    @Test
    void badConfigExitsWithCode2AndListsEveryProblemWithoutAStackTrace() throws Exception {
        int port = freePort();
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                node:
                  id: edge-bad
                server:
                  port: %d
                  colour: blue
                admin:
                  port: abc
                origins:
                  - host: "*"
                    url: ftp://nowhere
                cache:
                  memory:
                    max-size: -5MiB
                """.formatted(port));
        edge = launch(file);
        assertTrue(edge.waitFor(30, TimeUnit.SECONDS));
        String err = stderr();
        assertEquals(2, edge.exitValue(), err);
        assertTrue(err.contains("server.colour"), err);
        assertTrue(err.contains("admin.port"), err);
        assertTrue(err.contains("origins[0].url"), err);
        assertTrue(err.contains("cache.memory.max-size"), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertTrue(s.isBound(), "the port was never taken");
        }
    }

    @Test
    void portInUseIsAConfigErrorNamingThePort() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            edge = launch(config(busy.getLocalPort(), freePort(), ""));
            assertTrue(edge.waitFor(30, TimeUnit.SECONDS));
            String err = stderr();
            assertEquals(2, edge.exitValue(), err);
            assertTrue(err.contains("server.port") && err.contains("in use"), err);
        }
    }

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        int port = freePort();
        int adminPort = freePort();
        edge = launch(config(port, adminPort, ""));
        awaitReady(adminPort);
        CompletableFuture<RawHttp.Response> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttp.get(port, "site.example", "/slow");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(500);
        edge.destroy(); // SIGTERM
        RawHttp.Response r = inFlight.get(20, TimeUnit.SECONDS);
        assertEquals(200, r.status());
        assertEquals("finished", r.text());
        assertTrue(edge.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, edge.exitValue(), stderr());
    }

    @Test
    void aOneGibResponseStreamsThroughA64MibHeap() throws Exception {
        int port = freePort();
        int adminPort = freePort();
        edge = launch(config(port, adminPort, """
                cache:
                  memory:
                    max-size: 16MiB
                    max-object-size: 4MiB
                """), "-Xmx64m", "-XX:+ExitOnOutOfMemoryError");
        awaitReady(adminPort);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write("GET /huge HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 * 1024];
            long total = 0;
            int headerEnd = -1;
            StringBuilder head = new StringBuilder();
            for (int n; (n = in.read(buf)) > 0;) {
                int offset = 0;
                if (headerEnd < 0) {
                    head.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    int idx = head.indexOf("\r\n\r\n");
                    if (idx < 0) {
                        continue;
                    }
                    headerEnd = idx + 4;
                    offset = n - (head.length() - headerEnd);
                    assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.substring(0, 40));
                }
                total += n - offset;
            }
            assertEquals(1L << 30, total);
        }
        assertTrue(edge.isAlive(), "edge survived with a 64 MiB heap");
    }
}
