package dev.outpost.loadtest.origin;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * Deterministic bodies of any length, streamed: byte {@code i} of every body is {@code LINE[i % 64]},
 * so a client can check any byte without the origin keeping the body anywhere. Writes follow the
 * connection (pause on a full write queue, resume on drain): a 16 GiB body costs no memory.
 */
final class PatternBody {

    static final int CHUNK = 64 * 1024;
    /** 64 bytes, a divisor of {@link #CHUNK}. */
    static final byte[] LINE =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\n".getBytes(StandardCharsets.US_ASCII);

    private PatternBody() {
    }

    /** Writes {@code size} pattern bytes and ends the response (headers must be set already). */
    static void stream(HttpServerResponse resp, long size) {
        int chunkSize = (int) Math.min(CHUNK, size);
        Buffer chunk = Buffer.buffer(chunkSize);
        for (int written = 0; written < chunkSize; written += LINE.length) {
            chunk.appendBytes(LINE, 0, Math.min(LINE.length, chunkSize - written));
        }
        resp.exceptionHandler(e -> { });
        pump(resp, chunk, size);
    }

    /** Writes {@code remaining} pattern bytes while the connection keeps up; resumes on drain. */
    private static void pump(HttpServerResponse resp, Buffer chunk, long remaining) {
        long left = remaining;
        while (left > 0 && !resp.writeQueueFull()) {
            if (resp.closed()) {
                return;
            }
            int n = (int) Math.min(chunk.length(), left);
            resp.write(n == chunk.length() ? chunk : chunk.slice(0, n));
            left -= n;
        }
        if (left == 0) {
            resp.end();
        } else {
            long rest = left;
            resp.drainHandler(v -> pump(resp, chunk, rest));
        }
    }
}
