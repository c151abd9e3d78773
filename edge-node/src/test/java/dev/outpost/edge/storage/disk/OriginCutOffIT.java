package dev.outpost.edge.storage.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.edge.testing.CacheStatusEntry;
import dev.outpost.edge.testing.EdgeTestBase;
import dev.outpost.edge.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An origin that cuts a body off part-way, with the disk tier on (issue 3: "a fetch that fails or is
 * cut off leaves nothing visible"). The origin is a scripted raw socket (WireMock cannot stop a body at
 * a chosen byte): Content-Length N closed after N/2 bytes, and a chunked body closed before its last
 * chunk. The client's response is cut (never completed with wrong bytes), nothing becomes visible in
 * either tier, no chunk of the partial object is left once the writes settle, the edge stays up, and the
 * next request is a miss that stores the object whole.
 */
class OriginCutOffIT extends EdgeTestBase {

    private static final int SIZE = 300_000; // 5 chunks; disk only (over the memory tier's 16 KiB limit)

    private ServerSocket raw;
    private Thread acceptor;
    private final BlockingQueue<Script> scripts = new LinkedBlockingQueue<>();
    private final AtomicInteger served = new AtomicInteger();

    /** What the raw origin writes for one request, after which it closes the connection. */
    @FunctionalInterface
    private interface Script {
        void answer(OutputStream out) throws IOException;
    }

    @Override
    protected String edgeYaml() {
        startRawOrigin();
        return withDiskTier(super.edgeYaml(), diskDir("outpost-cutoff"), "16KiB")
                .replace("url: http://127.0.0.1:" + origin.port(), "url: http://127.0.0.1:" + raw.getLocalPort());
    }

    private void startRawOrigin() {
        if (raw != null) {
            return;
        }
        try {
            raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        acceptor = new Thread(() -> {
            while (!raw.isClosed()) {
                try (Socket s = raw.accept()) {
                    readHead(s.getInputStream());
                    Script script = scripts.poll(10, TimeUnit.SECONDS);
                    if (script != null) {
                        served.incrementAndGet();
                        script.answer(s.getOutputStream());
                        s.getOutputStream().flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // closed, or the edge went away: next connection
                }
            }
        }, "raw-origin");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterEach
    void stopRawOrigin() throws Exception {
        stopOriginAndEdgeNow();
        raw.close();
        acceptor.join(5000);
    }

    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int c; matched < 4 && (c = in.read()) != -1;) {
            matched = c == end[matched] ? matched + 1 : c == '\r' ? 1 : 0;
        }
    }

    private static byte[] body() {
        byte[] b = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            b[i] = (byte) (i * 13 + (i >>> 10));
        }
        return b;
    }

    private static byte[] head(String framing) {
        return ("HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Type: application/octet-stream\r\n"
                + framing + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Script whole(byte[] body) {
        return out -> {
            out.write(head("Content-Length: " + body.length + "\r\n"));
            out.write(body);
        };
    }

    private static Script contentLengthCutAtHalf(byte[] body) {
        return out -> {
            out.write(head("Content-Length: " + body.length + "\r\n"));
            out.write(body, 0, body.length / 2);
        };
    }

    private static Script chunkedWithoutTheLastChunk(byte[] body) {
        return out -> {
            out.write(head("Transfer-Encoding: chunked\r\n"));
            for (int at = 0; at < body.length / 2; at += 16_384) {
                int n = Math.min(16_384, body.length - at);
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body, at, n);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            // no "0\r\n\r\n": the connection just closes
        };
    }

    @Test
    void contentLengthBodyCutAtHalfLeavesNothingVisible() throws Exception {
        cutOffLeavesNothing("/cl", contentLengthCutAtHalf(body()));
    }

    @Test
    void chunkedBodyWithoutItsLastChunkLeavesNothingVisible() throws Exception {
        cutOffLeavesNothing("/chunked", chunkedWithoutTheLastChunk(body()));
    }

    private void cutOffLeavesNothing(String path, Script cut) throws Exception {
        byte[] body = body();
        scripts.add(cut);
        byte[] got = null;
        try {
            RawHttp.Response r = get(path);
            assertEquals(200, r.status());
            got = r.body();
        } catch (IOException | RuntimeException reset) {
            // the edge reset the client's connection part-way (RawHttp may also fail on a cut chunk)
        }
        if (got != null) {
            assertTrue(got.length < SIZE, "the client's response is cut: " + got.length + " bytes");
            assertArrayEquals(Arrays.copyOf(body, got.length), got, "what was sent is the origin's bytes");
        }
        assertEquals(1, served.get());

        DiskStorage disk = edge.disk();
        disk.awaitWrites();
        assertEquals(0, disk.metaRecordCount(), "nothing became visible");
        assertEquals(0, disk.chunkKeyCount(), "the chunks written before the cut were deleted");
        assertEquals(0, disk.entryCount());
        assertEquals(0, edge.memory().entryCount());
        assertEquals(200, RawHttp.get(edge.adminPort(), "localhost", "/readyz").status(), "the edge stays up");

        scripts.add(whole(body));
        RawHttp.Response next = get(path);
        assertEquals(200, next.status());
        assertArrayEquals(body, next.body());
        CacheStatusEntry status = CacheStatusEntry.parse(ourCacheStatus(next));
        assertEquals("uri-miss", status.fwd(), next.header("Cache-Status"));
        assertTrue(status.stored());
        disk.awaitWrites();
        RawHttp.Response hit = get(path);
        assertArrayEquals(body, hit.body());
        assertTrue(CacheStatusEntry.parse(ourCacheStatus(hit)).hit(), hit.header("Cache-Status"));
        assertEquals(2, served.get(), "the whole copy was stored and served from disk");
    }
}
