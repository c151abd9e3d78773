package dev.outpost.edge.server;

import dev.outpost.edge.http.CacheStatus;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Refuses malformed requests before the pipeline sees them (RFC 9112 §2.2 bare CR/LF, §5.1 no
 * whitespace before the colon, §5.2 obs-fold, §6.1 Transfer-Encoding must be exactly {@code chunked},
 * §6.3 Content-Length together with Transfer-Encoding or conflicting Content-Lengths, §7.1 chunk
 * syntax, RFC 9110 §5.5 CR/LF/NUL in values) with 400 and a closed connection, answers over-long
 * request lines with 414 and header sections with 431, and gives a connection a total deadline for
 * each request head (408), so a client trickling bytes cannot hold it forever.
 *
 * <p>Vert.x 5 / Netty accept several of these (Netty silently drops Content-Length next to
 * Transfer-Encoding, wraps a 9-digit chunk size to 0, folds obs-fold), which would let a request be
 * smuggled past a front proxy that reads the bytes differently. So we replace Vert.x's request decoder
 * on each connection with {@link StrictHttpRequestDecoder}. This uses Vert.x internals (the
 * {@code httpDecoder} pipeline handler, {@code ConnectionBase}): the raw-socket tests in
 * {@code BadInputIT} must pass on every Vert.x or Netty upgrade. HTTP/1.1 only (h2c off).
 */
public final class RequestHardening {

    private final String nodeId;
    private final Runnable onReject;

    public RequestHardening(String nodeId, Runnable onReject) {
        this.nodeId = nodeId;
        this.onReject = onReject;
    }

    /**
     * Must be called before {@code listen()}; requires {@code setHttp2ClearTextEnabled(false)}.
     *
     * @param early answers some requests before Vert.x sees them (see
     *              {@link StrictHttpRequestDecoder.EarlyResponder}); null for none
     */
    public void install(HttpServer server, HttpServerOptions options, long headDeadlineMs,
            StrictHttpRequestDecoder.EarlyResponder early) {
        if (options.isHttp2ClearTextEnabled()) {
            // With h2c on, Vert.x builds the HTTP/1 pipeline only while the first request is being decoded.
            throw new IllegalArgumentException("request hardening requires HTTP/1.1 only (h2c disabled)");
        }
        server.invalidRequestHandler(this::rejectInvalid);
        String rejected = rejectedEntry().toEntry();
        server.connectionHandler(conn -> installDecoder(conn, options, headDeadlineMs, early, rejected));
    }

    private static void installDecoder(HttpConnection conn, HttpServerOptions options, long headDeadlineMs,
            StrictHttpRequestDecoder.EarlyResponder early, String rejectedStatus) {
        // Netty keeps the estimator of the pipeline's first write: a TLS connection's handshake wrote before
        // this runs, so there it stays Netty's own (harmless: no file region is ever sent over TLS).
        ((ConnectionBase) conn).channel().config().setMessageSizeEstimator(FILE_REGIONS_COUNTED);
        ChannelPipeline p = ((ConnectionBase) conn).channel().pipeline();
        ChannelHandler current = p.get("httpDecoder");
        if (current instanceof VertxHttpRequestDecoder && !(current instanceof StrictHttpRequestDecoder)) {
            p.replace("httpDecoder", "httpDecoder", new StrictHttpRequestDecoder(options, headDeadlineMs, early,
                    rejectedStatus));
        }
    }

    /**
     * Netty's estimate of what a write queues, except that a file region weighs its bytes (Netty's own
     * counts it as 0): the socket's writability, which the early answers respect, then sees bodies sent
     * from files, so a client that does not read cannot queue more of them than one socket's worth.
     */
    static final MessageSizeEstimator FILE_REGIONS_COUNTED = new MessageSizeEstimator() {
        private final MessageSizeEstimator.Handle others = DefaultMessageSizeEstimator.DEFAULT.newHandle();
        private final MessageSizeEstimator.Handle handle = msg -> msg instanceof FileRegion region
                ? (int) Math.min(Integer.MAX_VALUE, region.count()) : others.size(msg);

        @Override
        public Handle newHandle() {
            return handle;
        }
    };

    /** 4xx with a short message naming the problem, then close: the framing can no longer be trusted. */
    private void rejectInvalid(HttpServerRequest req) {
        onReject.run();
        DecoderResult result = req.decoderResult();
        Throwable cause = result.cause();
        int status;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            message = "request line too long";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            message = "request header section too large";
        } else if (cause instanceof StrictHttpRequestDecoder.RequestHeadTimeoutException) {
            status = 408;
            message = "request head not received in time";
        } else {
            status = 400;
            message = "bad request" + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : "");
        }
        CacheStatus entry = rejectedEntry();
        req.response().setStatusCode(status)
                .putHeader("Content-Type", "text/plain; charset=utf-8")
                .putHeader("Cache-Status", entry.toEntry())
                .putHeader("Connection", "close")
                .end(message.replaceAll("[\\r\\n]", " ") + "\n")
                .onComplete(ar -> req.connection().close());
    }

    /** The Cache-Status entry of a request refused before it reached the cache. */
    private CacheStatus rejectedEntry() {
        return new CacheStatus(nodeId, false, CacheStatus.Fwd.BYPASS, CacheStatus.NO_STATUS, false, false,
                CacheStatus.NO_TTL, "bad-request");
    }
}
